// The planner benchmark of issue 4: for MobileNet v1 224x224 batch 32 and ResNet-18 224x224
// batch 64 (or the models given as NAME:BATCH arguments), every policy's plans with arena bytes,
// peak bytes of the whole step (arena incl. gradients + weights, momentum, BN statistics), extra
// time over store-all (FLOP-based), and the planner's own run time.
//
//   build/host/bench/planner/planner_bench [NAME:BATCH ...]
//   build/host/bench/planner/planner_bench --fine-tune   (frozen layers, planner/freeze.h)
//
// Per policy it prints the least-memory plan of its family (for the optimal policy: of 24 DP
// budgets from the least feasible to store-all's) and, where different, the least-memory plan
// within 1.25x of store-all's step time (the target condition). "plan (s)" is the time
// to plan and place the whole family.
//
// --fine-tune: MobileNet v2 and ResNet-18 224x224 batch 32, all layers trained against only the
// last few (--train-last N): store-all and the optimal policy's least-memory plan, bytes and
// the step's forward + backward GFLOP (store-all, the optimizer left out).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "checkpoint/chain.h"
#include "checkpoint/solve.h"
#include "graph/freeze.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "util/units.h"

using namespace edgetrain::planner;

namespace {

void row(const char* model, uint32_t batch, const char* policy, const std::string& member,
         const Planned& p, double seconds) {
  std::printf("| %-12s | %5u | %-9s | %-16s | %13llu | %13llu | %10s | %6.1f%% | %8.3f |\n", model,
              batch, policy, member.c_str(), static_cast<unsigned long long>(p.graph.arena_bytes),
              static_cast<unsigned long long>(p.total_bytes()), format_mib(p.total_bytes()).c_str(),
              100.0 * p.extra_forward_fraction(), seconds);
}

int fine_tune_table() {
  struct Run { const char* model; uint32_t train_last; const char* what; };
  const Run runs[] = {{"mobilenet_v2", 0, "all"}, {"mobilenet_v2", 9, "features.17 on"},
                      {"mobilenet_v2", 1, "classifier"},  {"resnet18", 0, "all"},
                      {"resnet18", 11, "layer4 + fc"},     {"resnet18", 1, "fc"}};
  std::printf("| model        | batch | trained          | store-all bytes | store-all  | optimal least bytes | optimal    |  extra | GFLOP/step |\n"
              "|--------------|------:|------------------|----------------:|-----------:|--------------------:|-----------:|-------:|-----------:|\n");
  for (const Run& r : runs) {
    const uint32_t batch = 32;
    Graph g = build_zoo_model(r.model, batch);
    const Frozen frozen = freeze_layers(g, {{}, r.train_last});
    derive_schedules(g, frozen.params);
    const Chain chain = build_chain(g);
    const Planned store = plan_with_policy(g, chain, Policy::StoreAll, 0);
    const std::vector<Planned> curve = policy_curve(g, chain, Policy::Optimal, 24);
    const Planned* least = &curve.front();
    for (const Planned& p : curve) {
      if (p.total_bytes() < least->total_bytes()) least = &p;
    }
    // TimeModel's default rate is 1e9 FLOP/s, so its seconds are GFLOP.
    std::printf("| %-12s | %5u | %-16s | %15llu | %10s | %19llu | %10s | %5.1f%% | %10.1f |\n", r.model, batch, r.what,
                static_cast<unsigned long long>(store.total_bytes()), format_mib(store.total_bytes()).c_str(),
                static_cast<unsigned long long>(least->total_bytes()), format_mib(least->total_bytes()).c_str(),
                100.0 * least->extra_forward_fraction(), store.store_all_time);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--fine-tune") {
    try {
      return fine_tune_table();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "planner_bench: error: %s\n", e.what());
      return 1;
    }
  }
  std::vector<std::pair<std::string, uint32_t>> runs = {{"mobilenet_v1", 32}, {"resnet18", 64}};
  if (argc > 1) {
    runs.clear();
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const size_t colon = a.find(':');
      if (colon == std::string::npos) {
        std::fprintf(stderr, "planner_bench: error: expected NAME:BATCH, got '%s'\n", argv[i]);
        return 1;
      }
      runs.emplace_back(a.substr(0, colon), static_cast<uint32_t>(std::stoul(a.substr(colon + 1))));
    }
  }
  try {
    std::printf("| model        | batch | policy    | member           |   arena bytes |    peak bytes |       peak |  extra | plan (s) |\n"
                "|--------------|------:|-----------|------------------|--------------:|--------------:|-----------:|-------:|---------:|\n");
    for (const auto& [model, batch] : runs) {
      Graph g = build_zoo_model(model, batch);
      derive_schedules(g);
      const Chain chain = build_chain(g);
      for (const std::string& name : policy_names()) {
        const Policy policy = parse_policy(name);
        const auto t0 = std::chrono::steady_clock::now();
        const std::vector<Planned> curve = policy_curve(g, chain, policy, 24);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const Planned* least = &curve.front();
        const Planned* least_fast = nullptr;
        for (const Planned& p : curve) {
          if (p.total_bytes() < least->total_bytes()) least = &p;
          if (p.extra_forward_fraction() <= 0.25 && (!least_fast || p.total_bytes() < least_fast->total_bytes())) least_fast = &p;
        }
        row(model.c_str(), batch, name.c_str(), least->strategy.parameter.empty() ? "-" : least->strategy.parameter, *least, seconds);
        if (least_fast && least_fast != least) {
          row(model.c_str(), batch, name.c_str(), "<=1.25x time", *least_fast, seconds);
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "planner_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

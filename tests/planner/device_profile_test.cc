#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "checkpoint/solve.h"
#include "cost/device_profile.h"
#include "graph/training.h"
#include "import/zoo.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

Graph derived_fashion_cnn(uint32_t batch) {
  Graph g = build_zoo_model("fashion_cnn", batch);
  derive_schedules(g);
  return g;
}

std::string tensor_written(const Graph& g, const Op& op) {
  return g.at(!op.out.empty() && op.out[0] != kNoTensor ? op.out[0] : op.in[0]).name;
}

// A profile in the format firmware-tools/profile.sh writes, one line per op (so errors have lines):
// every train op at its FLOP time at 1 GFLOP/s, the forward op `slow` `factor` times slower.
std::string profile_text(const Graph& g, int slow = -1, double factor = 1) {
  std::ostringstream s;
  s << "{\"format\": \"edgetrain-device-profile\", \"version\": 1, \"model\": \"" << g.model << "\",\n"
    << " \"device\": {\"host\": \"pi\", \"emulated\": false}, \"steps\": 4,\n"
    << " \"runs\": [{\"batch\": " << g.batch << ", \"threads\": 4, \"ops\": [\n";
  for (size_t k = 0; k < g.train.size(); ++k) {
    const Op& op = g.train[k];
    double ms = 1e3 * op_flops(g, op) / 1e9;
    if (static_cast<int>(k) == slow) ms *= factor;
    s << (k ? ",\n" : "") << "  {\"index\": " << k << ", \"kind\": \"" << op_kind_name(op.kind)
      << "\", \"writes\": \"" << tensor_written(g, op) << "\", \"ms\": " << ms << "}";
  }
  s << "]}]}\n";
  return s.str();
}

std::string error_of(const std::string& text) {
  try {
    parse_device_profile(text, "p.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// How many times the step runs forward op `i` (1: kept; more: recomputed).
int forward_runs(const Graph& planned, int i) {
  int runs = 0;
  for (const Op& op : planned.train) {
    if (op.source == i && !op.out.empty() && op.out[0] != kNoTensor) {
      const std::string& name = planned.at(op.out[0]).name;
      runs += name.rfind("d.", 0) != 0 && op.kind != OpKind::SgdMomentum &&
              (static_cast<size_t>(&op - planned.train.data()) < planned.forward.size() ||
               name.find("~r") != std::string::npos);
    }
  }
  return runs;
}

}  // namespace

TEST_CASE("a profile at the FLOP rate reproduces the FLOP time model") {
  const Graph g = derived_fashion_cnn(8);
  ProfileMatch m;
  const TimeModel t = time_model_from_profile(g, parse_device_profile(profile_text(g), "p.json"), &m);
  CHECK(m.run_batch == 8);
  CHECK(m.unmatched_ops == 0);
  CHECK(m.covered_forward == g.forward.size());
  const TimeModel flops;
  for (size_t i = 0; i < g.forward.size(); ++i) {
    CHECK(t.forward(g, static_cast<int32_t>(i)) == doctest::Approx(flops.forward(g, static_cast<int32_t>(i))).epsilon(1e-4));
    CHECK(t.backward(g, static_cast<int32_t>(i)) == doctest::Approx(flops.backward(g, static_cast<int32_t>(i))).epsilon(1e-4));
  }
}

TEST_CASE("a run of another batch is scaled, recompute clones count for their forward op") {
  const Graph g = derived_fashion_cnn(16);
  std::string text = profile_text(derived_fashion_cnn(8));
  // A clone of conv1 measured twice as slow as conv1: the forward time is their mean.
  const std::string conv1 = "{\"index\": 1, \"kind\": \"Conv2d\", \"writes\": \"conv1\", \"ms\": ";
  const size_t at = text.find(conv1);
  REQUIRE(at != std::string::npos);
  const double ms = std::stod(text.substr(at + conv1.size()));
  text.insert(at, "{\"index\": 99, \"kind\": \"Conv2d\", \"writes\": \"conv1~r1\", \"ms\": " +
                      std::to_string(3 * ms) + "},\n");
  ProfileMatch m;
  const TimeModel t = time_model_from_profile(g, parse_device_profile(text, "p.json"), &m);
  CHECK(m.run_batch == 8);
  CHECK(t.forward(g, 1) == doctest::Approx(2 * 2 * ms / 1e3).epsilon(1e-3));  // mean 2 ms, x2 batch
}

TEST_CASE("a profile that makes one recompute expensive changes the optimal schedule") {
  const Graph g = derived_fashion_cnn(32);
  const uint64_t budget = (366u << 20) / 100;  // 3.66 MiB: store-all needs 3.68 MiB
  const Planned by_flops = plan_with_policy(g, build_chain(g), Policy::Optimal, budget);
  int recomputed = -1;  // the most expensive forward op the FLOP-based optimum runs twice
  for (int i = 0; i < static_cast<int>(g.forward.size()); ++i) {
    if (forward_runs(by_flops.graph, i) > 1 &&
        (recomputed < 0 || op_flops(g, g.forward[static_cast<size_t>(i)]) >
                               op_flops(g, g.forward[static_cast<size_t>(recomputed)]))) {
      recomputed = i;
    }
  }
  REQUIRE(recomputed >= 0);
  INFO("recomputed by FLOPs: " << tensor_written(g, g.forward[static_cast<size_t>(recomputed)]));
  const DeviceProfile p = parse_device_profile(profile_text(g, recomputed, 1000), "p.json");
  const Chain measured = build_chain(g, time_model_from_profile(g, p));
  const Planned by_profile = plan_with_policy(g, measured, Policy::Optimal, budget);
  // The measured optimum runs that op fewer times, and under the measured costs it beats the
  // FLOP-based schedule (the same stages: build_chain's partition does not depend on time).
  CHECK(forward_runs(by_profile.graph, recomputed) < forward_runs(by_flops.graph, recomputed));
  CHECK(by_profile.total_bytes() <= budget);
  CHECK(step_time(by_profile.strategy, measured) < 0.8 * step_time(by_flops.strategy, measured));
}

TEST_CASE("malformed profiles name the file, the line and the problem") {
  const Graph g = derived_fashion_cnn(2);
  const std::string good = profile_text(g);
  CHECK(error_of("{\"format\": \"edgetrain-device-profile\",\n \"version\": 2}") ==
        "p.json:2: unsupported \"version\" (this planner reads 1)");
  CHECK(error_of("[1, 2]") == "p.json:1: a device profile is one JSON object");
  CHECK(error_of("{\"format\": \"x\"}") == "p.json:1: \"format\" is 'x', not 'edgetrain-device-profile'");
  std::string bad_kind = good;
  bad_kind.replace(bad_kind.find("\"Conv2d\""), 8, "\"Conv3d\"");
  CHECK(error_of(bad_kind) == "p.json:5: unknown op kind 'Conv3d'");  // line 4 is Normalize
  std::string bad_ms = good;
  bad_ms.replace(bad_ms.find("\"ms\": ") + 6, 1, "-");
  CHECK(error_of(bad_ms).rfind("p.json:4: ", 0) == 0);
  CHECK(error_of(good.substr(0, good.size() / 2)).rfind("p.json:", 0) == 0);
  std::string other_model = good;
  other_model.replace(other_model.find("fashion_cnn"), 11, "resnet18");
  try {
    time_model_from_profile(g, parse_device_profile(other_model, "p.json"));
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "p.json:1: the profile is of model 'resnet18', not 'fashion_cnn'");
  }
}

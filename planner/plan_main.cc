// The planner CLI: builds a model's training step, picks what to recompute under a memory
// budget, places every tensor in one arena, checks the plan with the simulator, and writes it as
// generated C++ (and JSON). Every failure is one line on stderr and exit status 1.
//
//   plan --model mobilenet_v1 --batch 32 --budget 300MiB --policy optimal --out plans.gen.cc
//   plan --model resnet18 --batch 64 --peak-budget 600MB --policy optimal --out plans.gen.cc
//   plan --model-file my_model.json --batch 8 --out plans.gen.cc   (format: model_file.h)
//   plan --model fashion_cnn --batch 32 --profile pi3-profile.json ...   (measured op times)
//   plan --model fashion_cnn --batch 32 --policy optimal --budget 4MiB --report DIR   (report.md, pareto.png)
//   plan --onnx model.onnx --batch 8 --out plans.gen.cc --weights-out init.state   (onnx_import.h)
//   plan --onnx model.onnx --export-weights trained.state --out-onnx trained.onnx
//   plan --model resnet18 --batch 32 --freeze conv1 --freeze layer1 ... (freeze.h: fine-tuning)
//   plan --model resnet18 --batch 32 --train-last 11 --from-state pre.state --weights-out ft.state
//   plan --model fashion_net --batch 32 --optimizer adam --out plans.gen.cc   (sgd, adam, adamw)
//   plan --list-models | --list-policies | --model NAME --list-layers
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoint/chain.h"
#include "checkpoint/peak_budget.h"
#include "checkpoint/solve.h"
#include "cost/device_profile.h"
#include "cost/off_arena.h"
#include "emit/emit.h"
#include "emit/report.h"
#include "graph/allreduce.h"
#include "graph/freeze.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "import/freeze_state.h"
#include "import/model_file.h"
#include "import/onnx_weights.h"
#include "import/zoo.h"
#include "memory/arena_map.h"
#include "memory/liveness.h"
#include "util/atomic_file.h"
#include "util/units.h"

namespace {

using namespace edgetrain;
using namespace edgetrain::planner;

constexpr const char* kUsage =
    "usage: plan (--model NAME [--image N] [--classes N] | --model-file FILE.json |\n"
    "             --onnx FILE.onnx [--weights-out STATE]) --batch N[,N...]\n"
    "            [--policy store-all|uniform|chen-sqrt|seed|optimal] [--budget BYTES | --peak-budget BYTES]\n"
    "            [--out FILE.gen.cc] [--json FILE.json] [--no-in-place] [--keep-gradients]\n"
    "            [--profile DEVICE-PROFILE.json] [--report DIR] [--arena-map]\n"
    "            [--target host|pi3] [--data fashion-mnist|synthetic:N]\n"
    "            [--normalize MEAN,...:STD,...] [--no-dropout]\n"
    "            [--freeze LAYER-OR-PREFIX]... [--train-last N] [--optimizer sgd|adam|adamw]\n"
    "            [--from-state STATE --weights-out STATE] [--data-parallel [--bucket-bytes BYTES]]\n"
    "       plan --onnx FILE.onnx --export-weights STATE --out-onnx OUT.onnx\n"
    "       plan --list-models | --list-policies | (--model NAME | ...) --list-layers\n"
    "BYTES: the whole step (arena incl. gradients + weights, optimizer state), e.g. 300MiB, 1.5GB;\n"
    "       least: the optimal policy's least-memory plan.\n"
    "--peak-budget BYTES: the trainer's whole process instead, its peak RSS as predicted for\n"
    "       --target and --data (what a device has free, e.g. 900MB on a Pi 3).\n"
    "--keep-gradients: update every parameter at the end of the step, so its gradient can be read\n"
    "after it (default: right after the gradient's last use; same weights, less memory).\n"
    "--target and --data: the device and the trainer's data the peak-RSS prediction is for\n"
    "(default host; fashion-mnist for 28x28x1 inputs, else synthetic:<batch>).\n"
    "--normalize: the input's per-channel mean and std of x / 255, one of each per channel\n"
    "(default: ImageNet's 0.485,0.456,0.406:0.229,0.224,0.225 for 3-channel inputs, else\n"
    "Fashion-MNIST's 0.2860:0.3530 in every channel).\n"
    "--no-dropout: every Dropout at ratio 0, the identity (to compare with a run without dropout).\n"
    "--arena-map: print each plan's arena over its train ops (a letter per live tensor) on stdout.\n"
    "--optimizer: each trained parameter's update, baked into the plan: sgd (with momentum, the\n"
    "default; one state tensor per parameter), adam or adamw (PyTorch's Adam and AdamW; two).\n"
    "The trainer sets their hyperparameters (--lr, --momentum, --beta1, ...).\n"
    "--freeze, --train-last: fine-tune; frozen layers get no gradients, no optimizer state, no update,\n"
    "and their BatchNorm runs in eval mode. --from-state: a state of the model (any layers\n"
    "frozen) whose weights --weights-out writes as this plan's initial state.\n"
    "--data-parallel: a plan for mpirun -np R edgetrain-train-mpi: parameter gradients averaged over\n"
    "the ranks in buckets of --bucket-bytes (default 1MiB), each sent as soon as its last gradient is\n"
    "written while backward goes on, and waited for before its updates.\n";

struct Args {
  std::string model, model_file, out, json, profile, report, data;
  std::string target = "host";
  std::string onnx, weights_out, export_weights, out_onnx;  // onnx_weights.h
  std::string from_state;                                   // freeze_state.h
  std::vector<float> norm_mean, norm_std;                   // --normalize (model_builder.h)
  FreezeSpec freeze;
  bool list_layers = false, no_dropout = false;
  uint64_t bucket_bytes = 0;  // --data-parallel (graph/allreduce.h); 0: one process
  std::vector<uint32_t> batches;
  ZooOptions zoo;
  Policy policy = Policy::StoreAll;
  uint64_t budget = 0, peak_budget = 0;
  bool least_memory = false;  // --budget least: the optimal policy's least-memory plan
  bool list_models = false, list_policies = false, in_place = true, arena_map = false;
  Updates updates = Updates::AfterLastUse;
  OpKind optimizer = OpKind::SgdMomentum;
};

uint32_t parse_count(const std::string& flag, const std::string& s, unsigned long max) {
  uint64_t v = 0;
  if (!parse_decimal(s, max, &v) || v == 0) {  // digits only: not " 8", "+8" or "0x8"
    throw std::invalid_argument(flag + " must be a positive integer (at most " + std::to_string(max) +
                                "), got '" + s + "'");
  }
  return static_cast<uint32_t>(v);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--list-models") { a.list_models = true; continue; }
    if (flag == "--list-policies") { a.list_policies = true; continue; }
    if (flag == "--no-in-place") { a.in_place = false; continue; }
    if (flag == "--keep-gradients") { a.updates = Updates::AtStepEnd; continue; }
    if (flag == "--arena-map") { a.arena_map = true; continue; }
    if (flag == "--list-layers") { a.list_layers = true; continue; }
    if (flag == "--no-dropout") { a.no_dropout = true; continue; }
    if (flag == "--data-parallel") { a.bucket_bytes = a.bucket_bytes ? a.bucket_bytes : kDefaultBucketBytes; continue; }
    if (flag == "--help" || flag == "-h") { std::cout << kUsage; std::exit(0); }
    if (flag.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + flag + "' (see plan --help)");
    if (i + 1 >= argc) throw std::invalid_argument("'" + flag + "' needs a value (see plan --help)");
    const std::string value = argv[++i];
    if (flag == "--model") a.model = value;
    else if (flag == "--model-file") a.model_file = value;
    else if (flag == "--onnx") a.onnx = value;
    else if (flag == "--weights-out") a.weights_out = value;
    else if (flag == "--export-weights") a.export_weights = value;
    else if (flag == "--out-onnx") a.out_onnx = value;
    else if (flag == "--freeze") a.freeze.layers.push_back(value);
    else if (flag == "--train-last") a.freeze.train_last = parse_count(flag, value, 1u << 20);
    else if (flag == "--from-state") a.from_state = value;
    else if (flag == "--out") a.out = value;
    else if (flag == "--json") a.json = value;
    else if (flag == "--profile") a.profile = value;
    else if (flag == "--report") a.report = value;
    else if (flag == "--target") a.target = value;
    else if (flag == "--data") a.data = (parse_trainer_data(value), value);
    else if (flag == "--normalize") parse_normalization(value, &a.norm_mean, &a.norm_std);
    else if (flag == "--image") a.zoo.image = parse_count(flag, value, 4096);
    else if (flag == "--classes") a.zoo.classes = parse_count(flag, value, 100000);
    else if (flag == "--policy") a.policy = parse_policy(value);
    else if (flag == "--optimizer") a.optimizer = parse_optimizer(value);
    else if (flag == "--budget" && value == "least") a.least_memory = true;
    else if (flag == "--budget") a.budget = parse_bytes(value);
    else if (flag == "--peak-budget") a.peak_budget = parse_bytes(value);
    else if (flag == "--bucket-bytes") a.bucket_bytes = parse_bytes(value);
    else if (flag == "--batch") {
      std::stringstream ss(value);
      for (std::string item; std::getline(ss, item, ',');) a.batches.push_back(parse_count(flag, item, 1u << 20));
      if (a.batches.empty() || value.back() == ',') parse_count(flag, "", 1u << 20);
    } else {
      throw std::invalid_argument("unknown flag '" + flag + "' (see plan --help)");
    }
  }
  const int sources = !a.model.empty() + !a.model_file.empty() + !a.onnx.empty();
  if (!a.export_weights.empty() != !a.out_onnx.empty() || (!a.export_weights.empty() && a.onnx.empty())) {
    throw std::invalid_argument("--export-weights STATE needs --onnx FILE.onnx and --out-onnx OUT.onnx (see plan --help)");
  }
  if (!a.weights_out.empty() && a.onnx.empty() && a.from_state.empty()) {
    throw std::invalid_argument("--weights-out needs --onnx FILE.onnx or --from-state STATE");
  }
  if (!a.from_state.empty() && a.weights_out.empty()) throw std::invalid_argument("--from-state needs --weights-out STATE");
  if (!a.list_models && !a.list_policies &&
      (sources != 1 || (a.batches.empty() && a.export_weights.empty() && !a.list_layers))) {
    throw std::invalid_argument("--batch and one of --model, --model-file, --onnx are required (see plan --help)");
  }
  if (a.peak_budget != 0 && (a.budget != 0 || a.least_memory)) {
    throw std::invalid_argument("give --budget or --peak-budget, not both");
  }
  if (!a.report.empty() && a.batches.size() != 1) {
    throw std::invalid_argument("--report describes one plan: give one --batch");
  }
  return a;
}

// The forward graph of the model source the flags name, at `batch`.
// An ONNX import's notes (one line each on stderr) are said once, whatever the batches.
Graph build_model(const Args& a, uint32_t batch) {
  Graph g;
  if (!a.onnx.empty()) {
    OnnxModel m = load_onnx(a.onnx, batch);
    static bool noted = false;
    for (const std::string& line : m.notes) {
      if (!noted) std::cerr << line << "\n";
    }
    noted = true;
    g = std::move(m.graph);
  } else {
    g = a.model_file.empty() ? build_zoo_model(a.model, batch, a.zoo) : load_model_file(a.model_file, batch);
  }
  if (!a.norm_mean.empty()) set_input_normalization(g, a.norm_mean, a.norm_std);
  if (a.no_dropout) disable_dropout(g);
  return g;
}

void list_layers(const Args& a) {
  const Graph g = build_model(a, a.batches.empty() ? 1 : a.batches.front());
  for (const Layer& l : parameterised_layers(g)) {
    std::cout << l.name << " " << op_name(g.forward[static_cast<size_t>(l.op)].kind) << " " << l.parameters << "\n";
  }
}

void export_weights(const Args& a) {
  if (!a.freeze.empty()) {
    export_frozen_onnx_weights(a.onnx, a.export_weights, a.freeze, a.out_onnx);
  } else {
    export_onnx_weights(a.onnx, a.export_weights, a.out_onnx);
  }
  std::fprintf(stderr, "plan: wrote %s: %s with the weights of %s\n", a.out_onnx.c_str(), a.onnx.c_str(), a.export_weights.c_str());
}

// "optimizer adam: exp_avg, exp_avg_sq of 8 trained parameters, 41472 bytes of the params block"
// (placed bytes, each tensor aligned as placement aligns it).
std::string describe_optimizer_state(const Graph& g, OpKind optimizer) {
  uint64_t bytes = 0, tensors = 0;
  for (const Tensor& t : g.tensors) {
    if (t.role != Role::OptState) continue;
    bytes += aligned_bytes(t.bytes());
    ++tensors;
  }
  std::string slots;
  for (int k = kOptimizerStateSlot; k < op_input_count(optimizer); ++k) {
    slots += (slots.empty() ? "" : ", ") + std::string(op_input_name(optimizer, k));
  }
  const uint64_t per_param = static_cast<uint64_t>(op_input_count(optimizer) - kOptimizerStateSlot);
  return "optimizer " + std::string(optimizer_name(optimizer)) + ": " + slots + " of " +
         std::to_string(tensors / per_param) + " trained parameters, " + std::to_string(bytes) +
         " bytes of the params block";
}

// What planning one batch size gives: the placed plan, its predicted peak RSS and the lines the
// CLI prints once every file is written (a failure prints only its error).
struct BatchPlan {
  Graph graph;
  uint64_t predicted_peak = 0;
  std::string summary;
};

BatchPlan plan_batch(const Args& a, uint32_t batch, const DeviceProfile* profile, const OffArenaModel& off_arena) {
  BatchPlan out;
  Graph g = build_model(a, batch);
  const Frozen frozen = freeze_layers(g, a.freeze);
  derive_schedules(g, frozen.params, a.updates, a.optimizer);
  g.allreduce_bucket_bytes = a.bucket_bytes;
  if (!a.freeze.empty()) out.summary += "plan: " + describe_frozen(g, frozen) + "\n";
  if (a.optimizer != OpKind::SgdMomentum) out.summary += "plan: " + describe_optimizer_state(g, a.optimizer) + "\n";
  TimeModel time;
  char line[512];
  if (profile != nullptr) {
    ProfileMatch m;
    time = time_model_from_profile(g, *profile, &m);
    std::snprintf(line, sizeof line,
                  "plan: profile %s: batch %u timed from its batch-%u run: %zu ops matched, %zu unmatched, "
                  "%zu of %zu forward ops measured, the rest at %.3g FLOP/s\n",
                  a.profile.c_str(), batch, m.run_batch, m.matched_ops, m.unmatched_ops,
                  m.covered_forward, g.forward.size(), m.flops_per_second);
    out.summary += line;
  }
  const Chain chain = build_chain(g, time);
  const TrainerData data = a.data.empty() ? default_trainer_data(g) : parse_trainer_data(a.data);
  Planned p;
  try {
    if (a.least_memory && a.policy != Policy::Optimal) {
      throw std::invalid_argument("--budget least needs --policy optimal");
    }
    p = a.least_memory  ? least_memory_plan(g, chain, 1000, a.in_place)
        : a.peak_budget ? plan_for_peak(g, chain, a.policy, a.peak_budget, off_arena, data, 1000, a.in_place)
                        : plan_with_policy(g, chain, a.policy, a.budget, 1000, a.in_place);
  } catch (const InfeasibleBudget& e) {
    const char* what = a.peak_budget ? " bytes of predicted peak RSS" : " bytes";
    throw std::runtime_error(g.model + " batch " + std::to_string(batch) + ": " + e.what() + " in " +
                             std::to_string(a.peak_budget ? a.peak_budget : a.budget) + what +
                             "; the smallest feasible budget is " + std::to_string(e.smallest_bytes) +
                             " bytes (" + format_mib(e.smallest_bytes) + ")");
  }
  if (!a.report.empty()) {
    write_report(a.report, g, chain, p, policy_name(a.policy), a.budget);
    out.summary += "plan: report: " + a.report + "/report.md, " + a.report + "/pareto.png\n";
  }
  const Graph& pg = p.graph;
  std::snprintf(line, sizeof line,
               "plan: %s batch %u, %s: arena %llu bytes (lower bound %llu), params %llu bytes, "
               "total %s, %zu train ops, +%.1f%% forward time\n",
               pg.model.c_str(), batch, policy_name(a.policy),
               static_cast<unsigned long long>(pg.arena_bytes),
               static_cast<unsigned long long>(pg.arena_lower_bound),
               static_cast<unsigned long long>(pg.params_bytes), format_mib(p.total_bytes()).c_str(),
               pg.train.size(), 100.0 * p.extra_forward_fraction());
  out.summary += line;
  if (a.bucket_bytes != 0) out.summary += "plan: " + describe_buckets(pg) + "\n";
  const PeakPrediction peak = predict_peak(pg, off_arena, data);
  const std::string data_name =
      data.fashion_mnist ? "fashion-mnist" : "synthetic:" + std::to_string(data.synthetic_images);
  std::snprintf(line, sizeof line,
                "plan: %s batch %u: predicted peak RSS %llu bytes (%s) on %s, data %s: "
                "%llu reading the data, %llu training (XNNPACK region %llu)\n",
                pg.model.c_str(), batch, static_cast<unsigned long long>(peak.peak()),
                format_mib(peak.peak()).c_str(), off_arena.target.c_str(), data_name.c_str(),
                static_cast<unsigned long long>(peak.load_peak),
                static_cast<unsigned long long>(peak.run_peak),
                static_cast<unsigned long long>(peak.xnnpack_region));
  out.summary += line;
  out.predicted_peak = peak.peak();
  out.graph = std::move(p.graph);
  return out;
}

void write_plans(const Args& a, const std::vector<Graph>& plans, const std::vector<uint64_t>& predicted_peak) {
  if (!a.out.empty()) {
    std::ostringstream cpp;
    emit_cpp(cpp, plans, predicted_peak);
    write_file_atomically(a.out, cpp.str());
  }
  if (!a.json.empty()) {
    std::ostringstream json;
    emit_json(json, plans, predicted_peak);
    write_file_atomically(a.json, json.str());
  }
}

// --weights-out: the plan's initial state, from another state (--from-state) or the ONNX file.
std::string write_initial_state(const Args& a, const Graph& plan) {
  if (!a.from_state.empty()) {
    convert_state(a.from_state, build_model(a, plan.batch), plan, a.weights_out);
    return "plan: initial state (the weights of " + a.from_state + ", momentum zero) for --init-state: " +
           a.weights_out + "\n";
  }
  if (a.weights_out.empty()) return "";
  write_onnx_initial_state(a.onnx, plan, a.weights_out);
  return "plan: initial state (the ONNX weights) for --init-state: " + a.weights_out + "\n";
}

int run(const Args& a) {
  if (a.list_models || a.list_policies) {
    for (const std::string& m : a.list_models ? zoo_models() : policy_names()) std::cout << m << "\n";
    return 0;
  }
  if (a.list_layers) {
    list_layers(a);
    return 0;
  }
  if (!a.export_weights.empty()) {
    export_weights(a);
    return 0;
  }
  DeviceProfile profile;
  if (!a.profile.empty()) profile = load_device_profile(a.profile);
  const OffArenaModel off_arena = off_arena_model_for(a.target, a.profile.empty() ? nullptr : &profile);
  std::vector<Graph> plans;
  std::vector<uint64_t> predicted_peak;
  std::string summary;
  for (uint32_t batch : a.batches) {
    BatchPlan b = plan_batch(a, batch, a.profile.empty() ? nullptr : &profile, off_arena);
    summary += b.summary;
    predicted_peak.push_back(b.predicted_peak);
    plans.push_back(std::move(b.graph));
  }
  write_plans(a, plans, predicted_peak);
  summary += write_initial_state(a, plans.front());
  std::fputs(summary.c_str(), stderr);
  if (a.arena_map) {
    for (const Graph& g : plans) std::cout << g.model << " batch " << g.batch << ": " << arena_map(g);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan: error: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "plan: error: unexpected failure\n");
    return 1;
  }
}

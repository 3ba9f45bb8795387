// torchvision's classification CNNs as torch.onnx.export writes them (tests/onnx/export_torchvision.py:
// the torchvision classes at small widths, 32x32, opsets 11, 13 and 17, eval and training exports).
// Each file imports, plans, and trains 2 steps on synthetic data under store-all and under the
// optimal checkpointing policy at about a third of store-all's arena; the two end bit-identical
// (weights, momentum and running statistics), and the checkpointed plan does recompute.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "checkpoint/chain.h"
#include "checkpoint/solve.h"
#include "../planner/graph_lookup.h"
#include "import/onnx_weights.h"
#include "onnx_test_util.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

constexpr uint32_t kBatch = 2;

// The params block after `steps` steps of SGD with momentum and weight decay on a fixed
// synthetic batch, from the file's own weights.
std::vector<unsigned char> train(const Graph& planned, const OnnxModel& m, int steps) {
  OnnxRunner r(planned);
  const Status loaded = r.load(make_state_file(planned, m));
  REQUIRE_MESSAGE(loaded.is_ok(), loaded.message());
  Executor& exec = r.exec;
  for (int s = 0; s < steps; ++s) {  // a step reuses the batch's bytes: filled before each
    for (size_t i = 0; i < r.input_bytes(); ++i) exec.input()[i] = static_cast<uint8_t>((i * 37 + 11 + s) % 251);
    for (uint32_t i = 0; i < kBatch; ++i) exec.labels()[i] = static_cast<int32_t>((i * 3 + 1 + s) % 10);
    const Status st = exec.train_step({0.05f, 0.9f, 1e-4f});
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    REQUIRE(std::isfinite(exec.loss()));
  }
  return {exec.params(), exec.params() + r.owned.plan.params_bytes};
}

void store_all_equals_checkpointed(const std::string& file) {
  CAPTURE(file);
  const OnnxModel m = load_onnx(onnx_path("torchvision/" + file), kBatch);
  Graph g = m.graph;
  derive_schedules(g, {}, Updates::AfterLastUse, OpKind::SgdMomentum);
  const Chain chain = build_chain(g);
  const Planned all = plan_with_policy(g, chain, Policy::StoreAll, 0);
  // About a third of store-all's arena; the least-memory plan where that is below it.
  const uint64_t budget = all.graph.params_bytes + all.graph.arena_bytes / 3;
  Planned few;
  try {
    few = plan_with_policy(g, chain, Policy::Optimal, budget);
  } catch (const InfeasibleBudget&) {
    few = least_memory_plan(g, chain);
  }
  CHECK(few.graph.arena_bytes < all.graph.arena_bytes);
  CHECK(few.extra_forward_fraction() > 0);  // it recomputes
  MESSAGE(file << ": store-all arena " << all.graph.arena_bytes << " B, checkpointed " << few.graph.arena_bytes << " B (+"
               << few.extra_forward_fraction() * 100 << "% forward)");
  const std::vector<unsigned char> a = train(all.graph, m, 2), b = train(few.graph, m, 2);
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// export_torchvision.py's NARROW models
const char* const kModels[] = {"resnet18",           "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
                               "shufflenet_v2_x0_5", "densenet121",  "inception_blocks"};

}  // namespace

TEST_CASE("torchvision exports: every opset and mode imports, and checkpointed training is bit-identical to store-all") {
  for (const char* model : kModels) {
    for (const char* mode : {"eval", "train"}) {
      for (int opset : {11, 13, 17}) {
        store_all_equals_checkpointed(std::string(model) + "-" + mode + "-" + std::to_string(opset) + ".onnx");
      }
    }
  }
}

TEST_CASE("torchvision exports: an eval export says BatchNorm was folded into the convolutions") {
  const OnnxModel eval = load_onnx(onnx_path("torchvision/resnet18-eval-13.onnx"), kBatch);
  REQUIRE(eval.notes.size() == 1);
  CHECK(eval.notes[0].find("importing 20 convolutions with bias") != std::string::npos);
  size_t bn = 0;
  for (const Op& op : eval.graph.forward) bn += op.kind == OpKind::BatchNormTrain;
  CHECK(bn == 0);
  const OnnxModel train = load_onnx(onnx_path("torchvision/resnet18-train-13.onnx"), kBatch);
  CHECK(train.notes.empty());
  bn = 0;
  for (const Op& op : train.graph.forward) bn += op.kind == OpKind::BatchNormTrain;
  CHECK(bn == 20);
}

TEST_CASE("torchvision exports: what the new ops cannot express is refused in one line naming the node") {
  const auto set_int = [](onnx::NodeProto& n, const char* name, int64_t v) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.name() == name) return a.set_i(v);
    }
    onnx::AttributeProto& a = *n.add_attribute();
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(v);
  };
  const std::string shufflenet = "torchvision/shufflenet_v2_x0_5-train-13.onnx";
  CHECK(test::import_error_after(shufflenet, [&](onnx::GraphProto& g) { set_int(test::first(g, "Concat"), "axis", 2); }) ==
        "m.onnx: node '/stage2/stage2.0/Concat' (Concat): axis 2 is not supported (supported: 1, the channels)");
  CHECK(test::import_error_after(shufflenet, [](onnx::GraphProto& g) {
          onnx::NodeProto& t = test::first(g, "Transpose");
          t.mutable_attribute(0)->set_ints(1, 3);
        }).find("(Transpose): supported: the transpose of a 2-D weight, or a channel shuffle") != std::string::npos);
  const std::string squeezenet = "torchvision/squeezenet1_1-train-13.onnx";
  CHECK(test::import_error_after(squeezenet, [&](onnx::GraphProto& g) { set_int(test::first(g, "MaxPool"), "ceil_mode", 2); })
            .find("(MaxPool): ceil_mode and count_include_pad must be 0 or 1") != std::string::npos);
  const std::string mobilenet = "torchvision/mobilenet_v3_small-train-13.onnx";
  CHECK(test::import_error_after(mobilenet, [](onnx::GraphProto& g) {
          onnx::NodeProto& n = test::first(g, "Mul");
          n.set_input(1, g.initializer(0).name());
        }).find("(Mul): input '" ) != std::string::npos);
  CHECK(test::import_error_after(mobilenet, [](onnx::GraphProto& g) {
          onnx::NodeProto& n = test::first(g, "HardSigmoid");
          REQUIRE(n.attribute(0).name() == "alpha");
          n.mutable_attribute(0)->set_f(INFINITY);
        }).find("(HardSigmoid): alpha and beta must be finite") != std::string::npos);
}

// torch 1.13 writes chunk(2, dim=1) as two Slices; other exporters write one Split. The same
// model with its first pair of Slices as a Split (equal parts, opset 13: no sizes) imports to the
// same ops, and sizes that do not add up are refused.
TEST_CASE("torchvision exports: a Split of the channels imports like the Slices it replaces") {
  const std::string file = "torchvision/shufflenet_v2_x0_5-train-13.onnx";
  const auto to_split = [](onnx::GraphProto& g, std::vector<int64_t> sizes) {
    auto& nodes = *g.mutable_node();
    int a = -1, b = -1;
    for (int i = 0; i < nodes.size() && b < 0; ++i) {
      if (nodes[i].op_type() != "Slice") continue;
      if (a < 0) {
        a = i;
      } else if (nodes[i].input(0) == nodes[a].input(0)) {
        b = i;
      }
    }
    REQUIRE(b > a);
    const std::string second = nodes[b].output(0);
    nodes.DeleteSubrange(b, 1);
    onnx::NodeProto& split = nodes[a];
    split.set_op_type("Split");
    split.mutable_input()->DeleteSubrange(1, split.input_size() - 1);
    split.add_output(second);
    onnx::AttributeProto& axis = *split.add_attribute();
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    if (!sizes.empty()) {
      onnx::TensorProto& t = *g.add_initializer();
      t.set_name("split_sizes");
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_dims(static_cast<int64_t>(sizes.size()));
      for (int64_t v : sizes) t.add_int64_data(v);
      split.add_input("split_sizes");
    }
  };
  CHECK(test::import_error_after(file, [&](onnx::GraphProto& g) { to_split(g, {}); }).empty());
  onnx::ModelProto m = parse_model_proto(read_binary_file(test::onnx_path(file)), file);
  to_split(*m.mutable_graph(), {});
  std::string bytes;
  REQUIRE(m.SerializeToString(&bytes));
  const OnnxModel split = parse_onnx(bytes, "m.onnx", 2), slices = load_onnx(test::onnx_path(file), 2);
  REQUIRE(split.graph.forward.size() == slices.graph.forward.size());
  for (size_t i = 0; i < split.graph.forward.size(); ++i) CHECK(split.graph.forward[i].kind == slices.graph.forward[i].kind);
  CHECK(test::import_error_after(file, [&](onnx::GraphProto& g) { to_split(g, {4, 2}); })
            .find("(Split): split sizes must be positive, one per output, and sum to the ") != std::string::npos);
}

// DenseNet's layers concatenate all earlier outputs of their block (6 in the narrow model's last
// layer: a chain of two concats) and its transitions put an all-zero Pad ahead of AveragePool
// (the identity); inception_v3's InceptionA pools with F.avg_pool2d(x, 3, 1, 1), which PyTorch
// exports as a Pad and an AveragePool without pads: one average pool with pad 1 that counts the
// padding. Anything else a Pad does is refused.
TEST_CASE("torchvision exports: DenseNet's long concats and inception's Pad + AveragePool") {
  const OnnxModel dense = load_onnx(onnx_path("torchvision/densenet121-train-13.onnx"), kBatch);
  const Graph& dg = dense.graph;
  const Op& part = writing(dg.forward, dg, "features.denseblock2.denselayer6.Concat.part1");
  CHECK(part.kind == OpKind::Concat);
  CHECK(part.in.size() == kMaxOpInputs);
  const Op& last = writing(dg.forward, dg, "features.denseblock2.denselayer6.Concat");
  REQUIRE(last.in.size() == 2);
  CHECK(last.in[0] == part.out[0]);

  const std::string file = "torchvision/inception_blocks-train-13.onnx";
  const OnnxModel inc = load_onnx(onnx_path(file), kBatch);
  size_t pools = 0;
  for (const Op& op : inc.graph.forward) {
    if (op.kind != OpKind::AvgPool2d) continue;
    ++pools;
    CHECK((op.params.pad_top == 1 && op.params.pad_left == 1 && op.params.pad_bottom == 1 && op.params.pad_right == 1));
    CHECK(pool_count_include_pad(op.params));
  }
  CHECK(pools == 1);
  const auto pad_node = [](onnx::GraphProto& g) -> onnx::NodeProto& { return test::first(g, "Pad"); };
  CHECK(test::import_error_after(file, [&](onnx::GraphProto& g) {
          onnx::AttributeProto& mode = *pad_node(g).mutable_attribute(0);
          REQUIRE(mode.name() == "mode");
          mode.set_s("reflect");
        }).find("(Pad): mode 'reflect' is not supported (supported: constant)") != std::string::npos);
  CHECK(test::import_error_after(file, [&](onnx::GraphProto& g) {
          // the Pad's AveragePool, an Identity: it no longer pools
          onnx::NodeProto& pool = test::first(g, "AveragePool");
          pool.set_op_type("Identity");
          pool.clear_attribute();
        }) == "m.onnx: node '/Mixed_5b/Pad' (Pad): is read by '/Mixed_5b/AveragePool' (Identity); supported: a Pad "
              "that only AveragePools read");
  CHECK(test::import_error_after(file, [&](onnx::GraphProto& g) {
          for (auto& a : *test::first(g, "AveragePool").mutable_attribute()) {
            if (a.name() == "ceil_mode") a.set_i(1);
          }
        }).find("(AveragePool): after a Pad, supported: pads 0 and ceil_mode 0") != std::string::npos);
}

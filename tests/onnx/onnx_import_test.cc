// ONNX import against PyTorch: each committed model (tests/golden/onnx/) is imported, planned,
// started from the state the planner writes from its initializers (read back by the runtime's
// own state reader), and trained one step on PyTorch's batch. The loss, every parameter gradient
// and the BatchNorm running statistics must match PyTorch's float64 step.
//
// Tolerance, element-wise: |ours - torch| <= 5e-5 * max|torch| over the tensor + 1e-6. Our step is
// float32 (XNNPACK forward, our backward), the golden float64; the largest error measured at the
// time of writing is printed by each case (MESSAGE) and sits well below the bound.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "import/onnx_weights.h"
#include "onnx_test_util.h"
#include "state_file.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

void one_step_matches_pytorch(const std::string& model) {
  CAPTURE(model);
  const Goldens& gold = OnnxGoldens::get();
  const PlannedOnnx p(model + ".onnx", 4);
  OnnxRunner r(p.graph);
  const Status loaded = r.load(make_state_file(p.graph, p.model));
  REQUIRE_MESSAGE(loaded.is_ok(), loaded.message());
  Executor& exec = r.exec;

  const std::vector<float>& bytes = gold.at(model + "/input_u8");
  REQUIRE(r.input_bytes() == bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) exec.input()[i] = static_cast<uint8_t>(bytes[i]);
  const std::vector<float>& labels = gold.at(model + "/labels");
  for (size_t i = 0; i < labels.size(); ++i) exec.labels()[i] = static_cast<int32_t>(labels[i]);
  REQUIRE(exec.train_step({0.1f, 0.0f, 0.0f}).is_ok());

  const double loss_err = std::fabs(exec.loss() - gold.at(model + "/loss")[0]);
  CHECK(loss_err <= 1e-5);
  double worst_grad = 0, worst_stat = 0;
  size_t grads = 0, stats = 0;
  for (const OnnxBinding& b : p.model.bindings) {
    if (b.initializer.empty()) continue;  // a bias PyTorch's model does not have
    const std::string grad_key = model + "/grad/" + b.initializer, stat_key = model + "/running/" + b.initializer;
    if (gold.has(grad_key)) {
      const std::vector<float> ref = onnx_to_ours(b, gold.at(grad_key));
      worst_grad = std::max(worst_grad, compare_to_pytorch("d." + b.tensor, exec.context().f32(p.id("d." + b.tensor)), ref));
      ++grads;
    } else {
      REQUIRE_MESSAGE(gold.has(stat_key), "no golden for " << b.initializer);
      worst_stat = std::max(worst_stat, compare_to_pytorch(b.tensor, exec.context().f32(p.id(b.tensor)), onnx_to_ours(b, gold.at(stat_key))));
      ++stats;
    }
  }
  CHECK(grads > 0);
  MESSAGE(model << ": loss " << exec.loss() << " (|err| " << loss_err << "), " << grads
                << " gradients (max err / max|g| " << worst_grad << "), " << stats
                << " running statistics (" << worst_stat << ")");
}

}  // namespace

TEST_CASE("onnx import: MobileNetV2-style model, one step equals PyTorch's") { one_step_matches_pytorch("mobilenet_v2_tiny"); }
TEST_CASE("onnx import: ResNet-style model, one step equals PyTorch's") { one_step_matches_pytorch("resnet_tiny"); }
TEST_CASE("onnx import: Flatten of [C,H,W] into a bias-less MatMul, one step equals PyTorch's") {
  one_step_matches_pytorch("plain_cnn");
}

TEST_CASE("onnx import: the models are built of the ops they were exported with") {
  const OnnxModel m = load_onnx(onnx_path("mobilenet_v2_tiny.onnx"), 2);
  size_t depthwise = 0, adds = 0, bn = 0;
  for (const Op& op : m.graph.forward) {
    depthwise += op.kind == OpKind::Conv2d && op.params.groups > 1;
    adds += op.kind == OpKind::Add;
    bn += op.kind == OpKind::BatchNormTrain;
  }
  CHECK(depthwise == 3);
  CHECK(adds == 2);
  CHECK(bn == 10);
  CHECK(m.graph.batch == 2);  // --batch replaces the exported batch
  CHECK(m.graph.at(m.graph.logits).shape == std::vector<uint32_t>{2, 10});
}

TEST_CASE("onnx import: layout conversions are exact inverses") {
  for (const char* file : {"mobilenet_v2_tiny.onnx", "resnet_tiny.onnx", "plain_cnn.onnx"}) {
    const OnnxModel m = load_onnx(onnx_path(file), 2);
    for (const OnnxBinding& b : m.bindings) {
      const std::vector<float>& ours = m.weights.at(b.tensor);
      CHECK(onnx_to_ours(b, ours_to_onnx(b, ours)) == ours);
    }
  }
}

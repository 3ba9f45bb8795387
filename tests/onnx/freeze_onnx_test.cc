// Fine-tuning with frozen layers against PyTorch (plan --freeze, planner/freeze.h): resnet_tiny
// with conv1, bn1 and layer1 frozen, as make_onnx_goldens.py freezes them in PyTorch
// (requires_grad=False, eval() on the frozen BatchNorms). One step through the runtime must give
// PyTorch's loss, the trainable parameters' gradients and every BatchNorm's running statistics;
// frozen layers get no gradient tensor at all; N steps leave frozen weights and statistics bit
// for bit as loaded; an unfrozen model's state converts into the frozen plan's.
//
// Tolerance as onnx_import_test.cc: |ours - torch| <= 5e-5 * max|torch| + 1e-6 per element.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "../test_random.h"
#include "graph/freeze.h"
#include "import/freeze_state.h"
#include "import/onnx_weights.h"
#include "memory/in_place.h"
#include "memory/simulate.h"
#include "onnx_test_util.h"
#include "state_file.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

const FreezeSpec kFrozen{{"conv1", "bn1", "layer1"}, 0};

struct FrozenOnnx {
  OnnxModel model;
  Graph graph;
  std::vector<bool> frozen_param;  // by our tensor name's binding: is its layer frozen
  explicit FrozenOnnx(uint32_t batch) : model(load_onnx(onnx_path("resnet_tiny.onnx"), batch)) {
    graph = model.graph;
    const Frozen f = freeze_layers(graph, kFrozen);
    CHECK(f.layers == 6);
    CHECK(f.first_trainable == "layer2.conv1");
    derive_schedules(graph, f.params, Updates::AtStepEnd);  // gradients read after a step
    // Frozen BatchNorms write over their conv's output (plan_format.h allows BatchNormEval in
    // place), so the PyTorch comparison covers that path of the runtime too.
    assign_in_place(graph);
    size_t eval_in_place = 0;
    for (const Op& op : graph.train) eval_in_place += op.kind == OpKind::BatchNormEval && op.params.in_place == 1;
    CHECK(eval_in_place == 3);
    place(graph);
    check_plan(graph);  // the planner's simulator
  }
  int32_t id(const std::string& name) const {
    for (size_t i = 0; i < graph.tensors.size(); ++i) {
      if (graph.tensors[i].name == name) return static_cast<int32_t>(i);
    }
    return -1;
  }
  static bool frozen(const std::string& tensor) {
    for (const std::string& p : kFrozen.layers) {
      if (tensor.rfind(p + ".", 0) == 0) return true;
    }
    return false;
  }
};

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST_CASE("frozen layers: one step equals PyTorch's with requires_grad=False and eval-mode BatchNorm") {
  const Goldens& gold = OnnxGoldens::get();
  const std::string tag = "resnet_tiny_frozen";
  const FrozenOnnx p(4);
  OnnxRunner r(p.graph);
  const Status loaded = r.load(make_state_file(p.graph, p.model));
  REQUIRE_MESSAGE(loaded.is_ok(), loaded.message());

  const std::vector<float>& bytes = gold.at(tag + "/input_u8");
  REQUIRE(r.owned.tensors[static_cast<size_t>(p.graph.input)].bytes == bytes.size());
  auto* raw = reinterpret_cast<unsigned char*>(r.exec.input());
  for (size_t i = 0; i < bytes.size(); ++i) raw[i] = static_cast<unsigned char>(bytes[i]);
  const std::vector<float>& labels = gold.at(tag + "/labels");
  for (size_t i = 0; i < labels.size(); ++i) r.exec.labels()[i] = static_cast<int32_t>(labels[i]);
  REQUIRE(r.exec.train_step({0.1f, 0.0f, 0.0f}).is_ok());

  const double loss_err = std::fabs(r.exec.loss() - gold.at(tag + "/loss")[0]);
  CHECK(loss_err <= 1e-5);
  double worst_grad = 0, worst_stat = 0;
  size_t grads = 0, frozen = 0, stats = 0;
  for (const OnnxBinding& b : p.model.bindings) {
    const std::string grad_key = tag + "/grad/" + b.initializer, stat_key = tag + "/running/" + b.initializer;
    CAPTURE(b.tensor);
    if (gold.has(stat_key)) {
      worst_stat = std::max(worst_stat, compare_to_pytorch(b.tensor, r.exec.context().f32(p.id(b.tensor)), onnx_to_ours(b, gold.at(stat_key))));
      ++stats;
    } else if (FrozenOnnx::frozen(b.tensor)) {
      CHECK_FALSE(gold.has(grad_key));  // PyTorch computed none either
      CHECK(p.id("d." + b.tensor) == -1);
      CHECK(p.id(b.tensor + ".velocity") == -1);
      ++frozen;
    } else {
      REQUIRE(gold.has(grad_key));
      worst_grad = std::max(worst_grad, compare_to_pytorch("d." + b.tensor, r.exec.context().f32(p.id("d." + b.tensor)),
                                                onnx_to_ours(b, gold.at(grad_key))));
      ++grads;
    }
  }
  CHECK(grads == 11);   // layer2's 3 convs and 3 BatchNorms (weight, bias), fc's weight and bias
  CHECK(frozen == 9);   // conv1, bn1, layer1: 3 conv weights, 3 BatchNorms' weight and bias
  CHECK(stats == 12);   // 6 BatchNorms, 3 of them frozen (statistics unchanged by the step)
  MESSAGE("resnet_tiny, conv1/bn1/layer1 frozen: loss " << r.exec.loss() << " (|err| " << loss_err << "), " << grads
          << " gradients (max err / max|g| " << worst_grad << "), running statistics " << worst_stat);
}

TEST_CASE("frozen layers: weights and running statistics stay bit-identical over training steps") {
  const FrozenOnnx p(2);
  OnnxRunner r(p.graph);
  REQUIRE(r.load(make_state_file(p.graph, p.model)).is_ok());
  std::vector<std::pair<int32_t, std::vector<unsigned char>>> before;
  for (size_t id = 0; id < p.graph.tensors.size(); ++id) {
    const Tensor& t = p.graph.tensors[id];
    if (t.role == Role::Param || t.role == Role::RunningStat) before.emplace_back(id, r.bytes(static_cast<int32_t>(id)));
  }
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t input_bytes = r.owned.tensors[static_cast<size_t>(p.graph.input)].bytes;
  for (int step = 0; step < 4; ++step) {
    auto* raw = reinterpret_cast<unsigned char*>(r.exec.input());
    for (size_t i = 0; i < input_bytes; ++i) raw[i] = static_cast<unsigned char>(rng() >> 24);
    for (uint32_t b = 0; b < p.graph.batch; ++b) r.exec.labels()[b] = static_cast<int32_t>(rng() % 10);
    REQUIRE(r.exec.train_step({0.05f, 0.9f, 5e-4f}).is_ok());
  }
  size_t same = 0, changed = 0;
  for (const auto& [id, bytes] : before) {
    const std::string& name = p.graph.at(id).name;
    CAPTURE(name);
    if (FrozenOnnx::frozen(name)) {
      CHECK(r.bytes(id) == bytes);
      ++same;
    } else {
      CHECK(r.bytes(id) != bytes);  // trained: weights, biases and running statistics move
      ++changed;
    }
  }
  CHECK(same == 15);     // 9 frozen parameters + 3 frozen BatchNorms' two statistics
  CHECK(changed == 17);  // 11 trainable parameters + 3 BatchNorms' two statistics
}

TEST_CASE("frozen layers: a state of the unfrozen model converts into the frozen plan's") {
  const FrozenOnnx p(2);
  OnnxModel trained = p.model;  // an unfrozen "pretrained" state: weights off the ONNX values
  for (auto& [name, values] : trained.weights) {
    for (size_t i = 0; i < values.size(); ++i) values[i] += 0.001f * static_cast<float>(i % 7);
  }
  for (OpKind optimizer : optimizer_kinds()) {  // whichever optimizer pretrained it
    CAPTURE(op_name(optimizer));
    Graph unfrozen = p.model.graph;
    derive_schedules(unfrozen, {}, Updates::AfterLastUse, optimizer);
    CHECK(model_hash(unfrozen) == model_hash(p.graph));  // freezing is not another model
    const std::string pid = std::to_string(::getpid());
    const std::string in = "/tmp/edgetrain-freeze-test-" + pid + "-in.state", out = "/tmp/edgetrain-freeze-test-" + pid + "-out.state";
    write_file_atomically(in, make_state_file(unfrozen, trained));

    OnnxRunner r(p.graph);
    const Status refused = r.load(read(in));  // the runtime refuses it as is: momentum of frozen layers
    CHECK_FALSE(refused.is_ok());
    CHECK(std::string(refused.message()).find("bytes of state") != std::string::npos);

    convert_state(in, p.model.graph, p.graph, out);
    const Status loaded = r.load(read(out));
    REQUIRE_MESSAGE(loaded.is_ok(), loaded.message());
    for (const auto& [name, values] : trained.weights) {
      CAPTURE(name);
      REQUIRE(p.id(name) >= 0);
      CHECK(std::memcmp(r.exec.context().f32(p.id(name)), values.data(), values.size() * 4) == 0);
    }
    std::remove(in.c_str());
    std::remove(out.c_str());
  }
}

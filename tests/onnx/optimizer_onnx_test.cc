// Adam and AdamW plans against PyTorch (plan --optimizer, training.h): resnet_tiny, imported from
// its committed ONNX file, trains 5 steps on make_onnx_goldens.py's batch with each optimizer;
// every parameter must then match torch.optim.Adam's / AdamW's weights (make_optimizer_goldens.py,
// float64) within 1e-5 of the tensor's max |weight|, and the BatchNorm running statistics as the
// one-step test bounds them. The worst error measured is printed by each case (MESSAGE).
//
// Then the runtime's side of the state: a run saved at step 2 and resumed ends bit-identical to an
// uninterrupted one (the trainer's 1-based step count reaches Adam's bias corrections), and
// --init-state keeps the weights and zeroes both moments.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "import/onnx_weights.h"
#include "onnx_test_util.h"
#include "state_file.h"
#include "state_format.h"
#include "trainer.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

constexpr uint32_t kBatch = 4;

StepSettings golden_config(const std::vector<float>& h) {  // lr, beta1, beta2, eps, weight decay, steps
  StepSettings c;
  c.lr = h[0], c.beta1 = h[1], c.beta2 = h[2], c.eps = h[3], c.weight_decay = h[4];
  c.momentum = 0.0f;  // SGD's: not read by an Adam plan
  return c;
}

void trains_like_pytorch(const std::string& optimizer) {
  CAPTURE(optimizer);
  const std::string tag = "resnet_tiny_" + optimizer;
  const Goldens& gold = OnnxGoldens::optimizer();
  const Goldens& batch = OnnxGoldens::get();
  const PlannedOnnx p("resnet_tiny.onnx", kBatch, parse_optimizer(optimizer), Updates::AfterLastUse);
  OnnxRunner r(p.graph);
  REQUIRE(r.load(make_state_file(p.graph, p.model)).is_ok());
  const StepSettings config = golden_config(gold.at(tag + "/hyper"));
  const std::vector<float>& losses = gold.at(tag + "/loss");
  const std::vector<float>& bytes = batch.at("resnet_tiny/input_u8");
  const std::vector<float>& labels = batch.at("resnet_tiny/labels");
  REQUIRE(r.input_bytes() == bytes.size());
  double worst_loss = 0;
  for (uint32_t t = 0; t < losses.size(); ++t) {
    // Through the API, as an app steps it: the session counts the steps (Adam's bias corrections).
    const std::vector<uint8_t> images(bytes.begin(), bytes.end());
    const std::vector<int32_t> classes(labels.begin(), labels.end());
    float loss = 0;
    REQUIRE(r.session->train_step(images.data(), classes.data(), config, &loss).is_ok());
    CHECK(r.session->step() == t + 1);
    worst_loss = std::max(worst_loss, static_cast<double>(std::fabs(loss - losses[t])));
  }
  CHECK(worst_loss <= 1e-5);

  double worst_w = 0, worst_stat = 0, moved = 0;
  size_t weights = 0;
  const std::string other = optimizer == "adam" ? "resnet_tiny_adamw" : "resnet_tiny_adam";
  double other_apart = 0;  // how far the other optimizer's weights are: the bound tells them apart
  for (const OnnxBinding& b : p.model.bindings) {
    REQUIRE_MESSAGE(!b.initializer.empty(), b.tensor << " is not in PyTorch's model");
    const std::string w_key = tag + "/w/" + b.initializer;
    TensorView view;
    REQUIRE(r.session->parameter(b.tensor.c_str(), &view).is_ok());
    const float* ours = view.data;
    if (!gold.has(w_key)) {
      worst_stat = std::max(worst_stat, compare_to_pytorch(b.tensor, ours, onnx_to_ours(b, gold.at(tag + "/running/" + b.initializer))));
      continue;
    }
    const std::vector<float> want = onnx_to_ours(b, gold.at(w_key));
    worst_w = std::max(worst_w, compare_to_pytorch(b.tensor, ours, want, 1e-5, 0.0));
    const std::vector<float>& start = p.model.weights.at(b.tensor);
    const std::vector<float> theirs = onnx_to_ours(b, gold.at(other + "/w/" + b.initializer));
    double max_w = 0;
    for (float v : want) max_w = std::max(max_w, std::fabs(static_cast<double>(v)));
    for (size_t i = 0; i < want.size(); ++i) {
      moved = std::max(moved, std::fabs(static_cast<double>(want[i]) - start[i]) / max_w);
      other_apart = std::max(other_apart, std::fabs(static_cast<double>(theirs[i]) - want[i]) / max_w);
    }
    ++weights;
  }
  CHECK(weights == 20);  // 7 convs, 6 BatchNorms' gamma and beta, the FC's weight and bias
  CHECK(moved > 1e-3);         // 5 steps of lr 1e-3 move the weights 100x the bound
  CHECK(other_apart > 1e-4);   // and the bound tells Adam's weights from AdamW's
  MESSAGE(optimizer << ": worst |loss err| " << worst_loss << ", weights max err / max|w| " << worst_w
                    << " (bound 1e-5; moved " << moved << ", the other optimizer's " << other_apart
                    << "), running statistics " << worst_stat);
}

std::string temp_path(const std::string& name) {
  return "/tmp/edgetrain-optimizer-test-" + std::to_string(::getpid()) + "-" + name;
}

// The persistent params bytes (weights, moments, running statistics) of two runners' plans.
bool same_state(const OnnxRunner& a, const OnnxRunner& b) {
  for (const TensorDesc& t : a.owned.tensors) {
    if (saved_in_state(t.region, t.init) &&
        std::memcmp(a.exec.params() + t.offset, b.exec.params() + t.offset, t.bytes) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("optimizer: an Adam plan trains resnet_tiny 5 steps through the API to torch.optim.Adam's weights") {
  trains_like_pytorch("adam");
}
TEST_CASE("optimizer: an AdamW plan trains resnet_tiny 5 steps through the API to torch.optim.AdamW's weights") {
  trains_like_pytorch("adamw");
}

TEST_CASE("optimizer: an Adam run saved at step 2 and resumed ends bit-identical to an uninterrupted one") {
  const PlannedOnnx p("resnet_tiny.onnx", kBatch, OpKind::Adam, Updates::AfterLastUse);
  const ImageSet data = synthetic_image_set(10, 32, 32, 3, 10, 17);  // batches cross epochs
  const std::string state = make_state_file(p.graph, p.model), path = temp_path("resume");
  TrainOptions options;
  options.log_every = 100;
  options.optimizer.lr = 1e-2f;
  options.optimizer.weight_decay = 1e-2f;
  FILE* null = std::fopen("/dev/null", "w");

  OnnxRunner straight(p.graph), first(p.graph), resumed(p.graph), restarted(p.graph);
  for (OnnxRunner* r : {&straight, &first, &restarted}) REQUIRE(r->load(state).is_ok());
  options.steps = 6;
  REQUIRE(train_at(*straight.session, data, options, &straight.position, null).is_ok());
  options.save_path = path.c_str();
  options.stop_after = 2;
  REQUIRE(train_at(*first.session, data, options, &first.position, null).is_ok());
  REQUIRE(load_state(path.c_str(), resumed.owned.plan, resumed.exec.params(), &resumed.position).is_ok());
  CHECK(resumed.position.step == 2);
  options.stop_after = 0;
  options.resumed = true;
  REQUIRE(train_at(*resumed.session, data, options, &resumed.position, null).is_ok());
  CHECK(resumed.position.step == 6);
  CHECK(same_state(straight, resumed));

  // The same state and batches with the step count restarted at 1 (all the saved position but
  // its step): only the bias corrections differ, and the weights end elsewhere, so the check
  // above can fail.
  TrainPosition from_zero;
  REQUIRE(load_state(path.c_str(), restarted.owned.plan, restarted.exec.params(), &from_zero).is_ok());
  from_zero.step = 0;
  options.steps = 4;
  options.save_path = nullptr;
  REQUIRE(train_at(*restarted.session, data, options, &from_zero, null).is_ok());
  CHECK_FALSE(same_state(straight, restarted));
  std::fclose(null);
  std::remove(path.c_str());
}

TEST_CASE("optimizer: --init-state from an Adam run keeps its weights and zeroes both moments") {
  const PlannedOnnx p("resnet_tiny.onnx", kBatch, OpKind::Adam, Updates::AfterLastUse);
  const ImageSet data = synthetic_image_set(8, 32, 32, 3, 10, 5);
  const std::string path = temp_path("init");
  TrainOptions options;
  options.steps = 3;
  options.log_every = 100;
  options.optimizer.lr = 1e-2f;
  options.save_path = path.c_str();
  FILE* null = std::fopen("/dev/null", "w");
  OnnxRunner trained(p.graph), fresh(p.graph);
  REQUIRE(trained.load(make_state_file(p.graph, p.model)).is_ok());
  REQUIRE(train_at(*trained.session, data, options, &trained.position, null).is_ok());
  std::fclose(null);
  REQUIRE(load_initial_state(path.c_str(), fresh.owned.plan, fresh.exec.params()).is_ok());
  size_t updates = 0;
  for (const Op& op : p.graph.train) {
    if (op.kind != OpKind::Adam) continue;
    ++updates;
    const TensorDesc& w = fresh.owned.tensors[static_cast<size_t>(op.in[slot::Adam::w])];
    CHECK(std::memcmp(fresh.exec.params() + w.offset, trained.exec.params() + w.offset, w.bytes) == 0);
    for (int k : {+slot::Adam::exp_avg, +slot::Adam::exp_avg_sq}) {
      const TensorDesc& s = fresh.owned.tensors[static_cast<size_t>(op.in[k])];
      const std::vector<unsigned char> zeros(s.bytes, 0);
      CHECK(std::memcmp(fresh.exec.params() + s.offset, zeros.data(), s.bytes) == 0);
      CHECK(std::memcmp(trained.exec.params() + s.offset, zeros.data(), s.bytes) != 0);  // it had moments
    }
  }
  CHECK(updates == 20);
  std::remove(path.c_str());
}

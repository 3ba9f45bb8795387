#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>

#include "../test_random.h"
#include "executor.h"
#include "runtime_test_util.h"

using namespace edgetrain;
using namespace edgetrain::test;

namespace {

// A random batch of 28x28 images and labels, kept to refill the executor before every step
// (a step reuses the input's bytes once it has read them).
struct Batch {
  std::vector<uint8_t> x;
  std::vector<int32_t> y;

  Batch(const Plan& p, std::mt19937& rng) : x(random_bytes(rng, p.tensors[p.input].bytes)), y(p.batch) {
    for (int32_t& label : y) label = static_cast<int32_t>(rng() % 10);
  }
  void fill(Executor& exec) const {
    std::memcpy(exec.input(), x.data(), x.size());
    std::memcpy(exec.labels(), y.data(), y.size() * 4);
  }
};

std::vector<float> params_copy(const Executor& exec) {
  const Plan& p = exec.plan();
  std::vector<float> out;
  for (uint32_t i = 0; i < p.tensor_count; ++i) {
    if (p.tensors[i].region != Region::Params) continue;
    const float* v = exec.context().f32(static_cast<int32_t>(i));
    out.insert(out.end(), v, v + p.tensors[i].bytes / 4);
  }
  return out;
}

void params_restore(Executor& exec, const std::vector<float>& saved) {
  const Plan& p = exec.plan();
  size_t at = 0;
  for (uint32_t i = 0; i < p.tensor_count; ++i) {
    if (p.tensors[i].region != Region::Params) continue;
    std::memcpy(exec.context().f32(static_cast<int32_t>(i)), saved.data() + at, p.tensors[i].bytes);
    at += p.tensors[i].bytes / 4;
  }
}

// An executor on a baked plan, with XNNPACK set up for `threads` threads.
struct Runner {
  XnnContext xnn;
  Executor exec;
  Runner(uint32_t batch, uint32_t seed, size_t threads = 1) {
    REQUIRE(xnn.init(threads).is_ok());
    REQUIRE(exec.init(baked_plan(batch), xnn, seed).is_ok());
  }
};

}  // namespace

TEST_CASE("training steps overfit one fixed batch") {
  Runner r(8, 7, 1);
  Executor& exec = r.exec;
  EDGETRAIN_SEEDED_RNG(rng);
  const Batch batch(exec.plan(), rng);
  batch.fill(exec);
  REQUIRE(exec.train_step({0.05f, 0.9f, 0.0f}).is_ok());
  const float first = exec.loss();
  CHECK(first > 1.5f);  // about ln(10) for random labels at initialisation
  float last = first;
  for (int i = 0; i < 80; ++i) {
    batch.fill(exec);
    REQUIRE(exec.train_step({0.05f, 0.9f, 0.0f}).is_ok());
    last = exec.loss();
  }
  CHECK(std::isfinite(last));
  CHECK(last < 0.5f * first);
}

TEST_CASE("parameter updates match finite differences of the loss") {
  // The plan updates each parameter as soon as its gradient is complete (the gradient is gone
  // after the step): with lr 1 and no momentum the update is the gradient, w_before - w_after.
  Runner r(4, 3, 1);
  Executor& exec = r.exec;
  EDGETRAIN_SEEDED_RNG(rng);
  const Batch batch(exec.plan(), rng);
  const Plan& p = exec.plan();
  const char* const names[] = {"conv1.weight", "bn1.weight", "conv2.weight", "bn2.bias", "fc.weight", "fc.bias"};
  const std::vector<float> before = params_copy(exec);
  std::vector<std::vector<float>> saved_w;
  for (const char* name : names) {
    const float* w = exec.context().f32(tensor_id(p, name));
    saved_w.emplace_back(w, w + 6);
  }
  batch.fill(exec);
  REQUIRE(exec.train_step({1.0f, 0.0f, 0.0f}).is_ok());
  std::vector<std::vector<double>> update;
  for (size_t n = 0; n < std::size(names); ++n) {
    const float* w = exec.context().f32(tensor_id(p, names[n]));
    update.emplace_back();
    for (size_t i = 0; i < 6; ++i) update.back().push_back(double{saved_w[n][i]} - w[i]);
  }
  params_restore(exec, before);
  const OptimizerConfig frozen{0.0f, 0.0f, 0.0f};  // lr 0: steps leave the weights alone
  for (size_t n = 0; n < std::size(names); ++n) {
    const char* name = names[n];
    CAPTURE(name);
    float* w = exec.context().f32(tensor_id(p, name));
    for (size_t i : {size_t{0}, size_t{5}}) {
      CAPTURE(i);
      const double analytic = update[n][i];
      const float saved = w[i], h = 1e-2f;
      w[i] = saved + h;
      batch.fill(exec);
      REQUIRE(exec.train_step(frozen).is_ok());
      const double up = exec.loss();
      w[i] = saved - h;
      batch.fill(exec);
      REQUIRE(exec.train_step(frozen).is_ok());
      const double down = exec.loss();
      w[i] = saved;
      const double numeric = (up - down) / (2.0 * h);
      // float forward, central differences with h = 1e-2: agreement to a few 1e-3 absolute.
      CHECK(std::fabs(analytic - numeric) <= 3e-3 + 3e-2 * std::fabs(numeric));
    }
  }
}

TEST_CASE("two runs from the same seed give bit-identical weights") {
  std::vector<float> result[2];
  for (auto& r : result) {
    Runner run(8, 11);
    Executor& exec = run.exec;
    std::mt19937 rng(5);
    for (int step = 0; step < 5; ++step) {
      Batch(exec.plan(), rng).fill(exec);
      REQUIRE(exec.train_step({0.1f, 0.9f, 1e-4f}).is_ok());
    }
    r = params_copy(exec);
  }
  REQUIRE(result[0].size() == result[1].size());
  CHECK(std::memcmp(result[0].data(), result[1].data(), result[0].size() * 4) == 0);
}

TEST_CASE("evaluation normalises with running statistics, training with batch statistics") {
  Runner r(8, 1, 2);
  Executor& exec = r.exec;
  EDGETRAIN_SEEDED_RNG(rng);
  const Batch batch(exec.plan(), rng);
  float* running_mean = exec.context().f32(tensor_id(exec.plan(), "bn2.running_mean"));
  const OptimizerConfig frozen{0.0f, 0.0f, 0.0f};

  batch.fill(exec);
  REQUIRE(exec.eval_step().is_ok());
  const std::vector<float> before(exec.logits(), exec.logits() + 80);
  batch.fill(exec);
  REQUIRE(exec.train_step(frozen).is_ok());
  const float train_loss = exec.loss();

  running_mean[0] += 1.0f;
  batch.fill(exec);
  REQUIRE(exec.eval_step().is_ok());
  const std::vector<float> after(exec.logits(), exec.logits() + 80);
  CHECK(after != before);
  for (float v : after) CHECK(std::isfinite(v));
  batch.fill(exec);
  REQUIRE(exec.train_step(frozen).is_ok());
  CHECK(exec.loss() == train_loss);
}

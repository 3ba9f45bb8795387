// ReLU, softmax cross-entropy and SGD with momentum: hand-computed values, stability with large
// logits, and gradients against finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

TEST_CASE("relu forward and backward on hand values") {
  const std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f};
  std::vector<float> y(5), dx(5);
  f32_relu_scalar(5, x.data(), y.data());
  CHECK(y == std::vector<float>{0, 0, 0, 0.5f, 3});
  const std::vector<float> dy = {1, 2, 3, 4, 5};
  f32_relu_bwd_scalar(5, y.data(), dy.data(), dx.data());
  CHECK(dx == std::vector<float>{0, 0, 0, 4, 5});  // the kink at 0 gets 0, as in PyTorch
}

TEST_CASE("relu backward matches finite differences away from the kink") {
  EDGETRAIN_SEEDED_RNG(rng);
  auto x = uniform(rng, 37);
  for (float& v : x) v += v < 0 ? -0.01f : 0.01f;  // keep every probe 1e4 steps from 0
  const auto r = uniform(rng, x.size());
  std::vector<float> y(x.size()), dx(x.size());
  f32_relu_scalar(x.size(), x.data(), y.data());
  f32_relu_bwd_scalar(x.size(), y.data(), r.data(), dx.data());
  check_close("dx", dx, fd_gradient(to_double(r), to_double(x), relu_ref), 1e-6, 1e-6);
}

TEST_CASE("relu6 forward and backward on hand values") {
  const std::vector<float> x = {-2.0f, 0.0f, 0.5f, 6.0f, 7.5f};
  std::vector<float> y(5), dx(5);
  f32_relu6_scalar(5, x.data(), y.data());
  CHECK(y == std::vector<float>{0, 0, 0.5f, 6, 6});
  const std::vector<float> dy = {1, 2, 3, 4, 5};
  f32_relu6_bwd_scalar(5, y.data(), dy.data(), dx.data());
  CHECK(dx == std::vector<float>{0, 0, 3, 0, 0});  // no gradient at either clip point
}

TEST_CASE("relu6 backward matches finite differences away from the clip points") {
  EDGETRAIN_SEEDED_RNG(rng);
  auto x = uniform(rng, 41, -3.0f, 9.0f);
  for (float& v : x) {
    if (std::fabs(v) < 0.01f || std::fabs(v - 6.0f) < 0.01f) v += 0.05f;
  }
  const auto r = uniform(rng, x.size());
  std::vector<float> y(x.size()), dx(x.size());
  f32_relu6_scalar(x.size(), x.data(), y.data());
  f32_relu6_bwd_scalar(x.size(), y.data(), r.data(), dx.data());
  // The finite difference of the 41-term dot product carries ~1e-9 of rounding (1e-14 / 2h):
  // relative to max|want|, not to a small entry (seed 2856737962: 5.94139e-4 vs 5.94138e-4).
  check_close("dx", dx, fd_gradient(to_double(r), to_double(x), relu6_ref), 1e-6, 1e-6);
}

TEST_CASE("relu and relu6 mask variants equal the scalar references bit for bit") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (size_t size : {size_t{1}, size_t{7}, size_t{8}, size_t{1003}}) {
    auto x = uniform(rng, size, -3.0f, 9.0f);
    // Every edge of both masks: the kink, both clip points, NaN, signed zero, infinities.
    const float edges[] = {0.0f, -0.0f, 6.0f, NAN, -NAN, INFINITY, -INFINITY, 5.9999995f, 1e-45f};
    for (size_t i = 0; i * 7 < size && i < sizeof edges / sizeof edges[0]; i++) x[i * 7] = edges[i];
    const auto dy = uniform(rng, size);
    for (const float upper : {INFINITY, 6.0f}) {
      INFO("size " << size << ", upper " << upper);
      const bool relu = upper == INFINITY;
      std::vector<float> y_want(size), want(size), y(size), dx(size);
      std::vector<uint8_t> mask((size + 7) / 8, 0xaa);
      (relu ? f32_relu_scalar : f32_relu6_scalar)(size, x.data(), y_want.data());
      (relu ? f32_relu_bwd_scalar : f32_relu6_bwd_scalar)(size, y_want.data(), dy.data(), want.data());
      // In 8-element tiles, as the runtime splits it, and with y written over x.
      y = x;
      for (size_t i = 0; i < size; i += 8) {
        f32_relu_mask_tiled(std::min<size_t>(8, size - i), upper, y.data() + i, y.data() + i, mask.data() + i / 8);
      }
      CHECK(std::memcmp(y_want.data(), y.data(), size * sizeof(float)) == 0);
      f32_relu_bwd_mask_tiled(size, mask.data(), dy.data(), dx.data());
      CHECK(std::memcmp(want.data(), dx.data(), size * sizeof(float)) == 0);
      dx = dy;  // in place
      f32_relu_bwd_mask_tiled(size, mask.data(), dx.data(), dx.data());
      CHECK(std::memcmp(want.data(), dx.data(), size * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("u8 normalize maps bytes to (x / 255 - mean) / std") {
  std::vector<uint8_t> x = {0, 1, 128, 255};
  std::vector<float> y(x.size());
  const float mean = 0.5f, std = 0.25f;
  u8_normalize_scalar(x.size(), 1, &mean, &std, x.data(), y.data());
  for (size_t i = 0; i < x.size(); i++) CHECK(y[i] == (x[i] / 255.0f - 0.5f) / 0.25f);
  CHECK(y[0] == -2.0f);
  CHECK(y[3] == 2.0f);
}

TEST_CASE("u8 normalize takes each interleaved channel's mean and std") {
  const std::vector<uint8_t> x = {0, 10, 20, 255, 128, 7};  // two RGB pixels
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  std::vector<float> y(x.size());
  u8_normalize_scalar(2, 3, mean, std, x.data(), y.data());
  for (size_t i = 0; i < x.size(); i++) CHECK(y[i] == (x[i] / 255.0f - mean[i % 3]) / std[i % 3]);
}

TEST_CASE("add sums elementwise") {
  const std::vector<float> a = {1.0f, -2.0f, 0.25f}, b = {0.5f, 2.0f, 1e-8f};
  std::vector<float> y(3);
  f32_add_scalar(3, a.data(), b.data(), y.data());
  CHECK(y == std::vector<float>{1.5f, 0.0f, 0.25f + 1e-8f});
}

TEST_CASE("softmax-xent on hand values: uniform logits give ln(classes)") {
  const std::vector<float> logits = {0, 0, /* row 2 */ 1, 1};
  const std::vector<int32_t> labels = {0, 1};
  float loss = 0;
  std::vector<float> probs(4), dlogits(4);
  f32_softmax_xent_scalar(2, 2, logits.data(), labels.data(), &loss, probs.data());
  CHECK(loss == doctest::Approx(std::log(2.0)).epsilon(1e-6));
  CHECK(probs == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
  f32_softmax_xent_bwd_scalar(2, 2, probs.data(), labels.data(), dlogits.data());
  CHECK(dlogits == std::vector<float>{-0.25f, 0.25f, 0.25f, -0.25f});  // (p - onehot) / batch
}

TEST_CASE("softmax-xent stays finite and exact with large logits") {
  // exp(1000) overflows float and double; exp(-1000) underflows. Subtracting the max avoids both.
  const std::vector<float> logits = {1000, 0, -1000, /* row 2 */ 1e4f, 1e4f, -3e4f,
                                     /* row 3 */ -1000, -1000, -1000};
  std::vector<float> probs(9);
  float loss = -1;
  std::vector<int32_t> labels = {0, 1, 2};
  f32_softmax_xent_scalar(3, 3, logits.data(), labels.data(), &loss, probs.data());
  for (float p : probs) CHECK(std::isfinite(p));
  CHECK(probs[0] == 1.0f);
  CHECK(probs[1] == 0.0f);
  CHECK(probs[3] == 0.5f);
  CHECK(probs[5] == 0.0f);
  CHECK(probs[6] == doctest::Approx(1.0 / 3).epsilon(1e-6));
  CHECK(loss == doctest::Approx((0 + std::log(2.0) + std::log(3.0)) / 3).epsilon(1e-6));
  // A wrong label with a 1000 margin costs exactly 1000, not inf.
  labels = {1, 0, 0};
  f32_softmax_xent_scalar(1, 3, logits.data(), labels.data(), &loss, probs.data());
  CHECK(loss == 1000.0f);
}

TEST_CASE("softmax-xent backward matches finite differences of the mean loss") {
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t batch, classes; };
  for (Shape s : {Shape{1, 10}, Shape{5, 7}, Shape{3, 2}}) {
    INFO("batch " << s.batch << " classes " << s.classes);
    const auto logits = uniform(rng, s.batch * s.classes, -3.0f, 3.0f);
    std::vector<int32_t> labels(s.batch);
    for (auto& l : labels) l = static_cast<int32_t>(rng() % s.classes);
    float loss = 0;
    std::vector<float> probs(logits.size()), dlogits(logits.size());
    f32_softmax_xent_scalar(s.batch, s.classes, logits.data(), labels.data(), &loss, probs.data());
    const dvec ld = to_double(logits);
    CHECK(loss == doctest::Approx(softmax_xent_ref(s.batch, s.classes, ld, labels)).epsilon(1e-5));
    f32_softmax_xent_bwd_scalar(s.batch, s.classes, probs.data(), labels.data(), dlogits.data());
    // The loss is a scalar: the objective weight is the single 1 of d(loss).
    const dvec one = {1.0};
    auto fwd = [&](const dvec& v) { return dvec{softmax_xent_ref(s.batch, s.classes, v, labels)}; };
    check_close("dlogits", dlogits, fd_gradient(one, ld, fwd), 1e-3, 1e-4);
  }
}

TEST_CASE("sgd momentum over two steps matches the hand formula") {
  const float lr = 0.1f, momentum = 0.9f, wd = 0.01f;
  std::vector<float> w = {1.0f, -2.0f}, v = {0.0f, 0.0f};
  const std::vector<float> g = {0.5f, 0.25f};
  double w_ref[2] = {1.0, -2.0}, v_ref[2] = {0.0, 0.0};
  for (int step = 0; step < 2; step++) {
    f32_sgd_momentum_scalar(2, lr, momentum, wd, w.data(), g.data(), v.data());
    for (size_t i = 0; i < 2; i++) {
      v_ref[i] = 0.9 * v_ref[i] + (g[i] + 0.01 * w_ref[i]);
      w_ref[i] -= 0.1 * v_ref[i];
    }
  }
  // By hand for w0: v1 = 0.51, w1 = 0.949; v2 = 0.9*0.51 + 0.5 + 0.00949 = 0.96849, w2 = 0.852151.
  CHECK(v[0] == doctest::Approx(0.96849).epsilon(1e-6));
  CHECK(w[0] == doctest::Approx(0.852151).epsilon(1e-6));
  CHECK(v[1] == doctest::Approx(v_ref[1]).epsilon(1e-6));
  CHECK(w[1] == doctest::Approx(w_ref[1]).epsilon(1e-6));
}

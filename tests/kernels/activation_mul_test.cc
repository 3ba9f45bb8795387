// MobileNetV3's activations (sigmoid, hard sigmoid, hard swish) and the products (same shapes,
// and a [N,1,1,C] gate): PyTorch's values at the edges, gradients against finite differences,
// and the four-lane variants against the scalar references (bit for bit, the sigmoid forward
// within a few ulp), with odd sizes, edge values and in-place calls.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

namespace {

const size_t kSizes[] = {1, 3, 7, 13, 35, 1003};
// NaN, infinities, signed zeros, the clip points of every activation here and their neighbours.
const float kEdges[] = {NAN,   INFINITY, -INFINITY, 0.0f,  -0.0f, 3.0f,       -3.0f, 2.9999998f, -3.0000002f,
                        2.5f,  -2.5f,    1e-45f,    88.0f, -88.0f, -100.0f, 100.0f, 6.0f, -1.5f};

std::vector<float> with_edges(std::vector<float> x) {
  for (size_t i = 0; i * 5 < x.size() && i < std::size(kEdges); i++) x[i * 5] = kEdges[i];
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Element-wise kernels of the shapes (n, x, y) and (n, u, v, out).
using Unary = std::function<void(size_t, const float*, float*)>;
using Binary = std::function<void(size_t, const float*, const float*, float*)>;

// The variant equals the reference bit for bit, and so does it in place (out over `over`: 0 the
// first input, 1 the second).
void check_unary_bits(const Unary& ref, const Unary& variant, const std::vector<float>& x) {
  std::vector<float> want(x.size()), got(x.size());
  ref(x.size(), x.data(), want.data());
  variant(x.size(), x.data(), got.data());
  CHECK(same_bits(got, want));
  got = x;
  variant(got.size(), got.data(), got.data());
  CHECK(same_bits(got, want));
}

void check_binary_bits(const Binary& ref, const Binary& variant, const std::vector<float>& u,
                       const std::vector<float>& v) {
  std::vector<float> want(u.size()), got(u.size());
  ref(u.size(), u.data(), v.data(), want.data());
  variant(u.size(), u.data(), v.data(), got.data());
  CHECK(same_bits(got, want));
  got = v;  // the backward kernels' dx over dy
  variant(got.size(), u.data(), got.data(), got.data());
  CHECK(same_bits(got, want));
}

dvec sigmoid_ref(const dvec& x) {
  dvec y(x.size());
  for (size_t i = 0; i < x.size(); i++) y[i] = 1.0 / (1.0 + std::exp(-x[i]));
  return y;
}

dvec hardswish_ref(const dvec& x) {
  dvec y(x.size());
  for (size_t i = 0; i < x.size(); i++) y[i] = x[i] * std::min(std::max(x[i] + 3.0, 0.0), 6.0) / 6.0;
  return y;
}

// Moves every element at least `gap` from each kink.
void away_from(std::vector<float>& x, std::initializer_list<float> kinks, float gap) {
  for (float& v : x) {
    for (float k : kinks) {
      if (std::fabs(v - k) < gap) v = k + (v < k ? -gap : gap);
    }
  }
}

}  // namespace

TEST_CASE("hard swish forward and backward give PyTorch's bits at the edges") {
  // torch 1.13: y = F.hardswish(x); y.backward(dy).
  const std::vector<float> x = {-4.0f, -3.0f, -0x1.7ffffep+1f, -1.5f, -0.0f, 0x1.666666p-1f,
                                0x1.7ffffep+1f, 3.0f, 0x1.800002p+1f, 4.0f};
  const std::vector<float> dy = {1.0f, 0.75f, 1.0f, -2.0f, 1.0f, 0.3f, 1.0f, 1.25f, 1.0f, -0.5f};
  const std::vector<float> y_torch = {-0.0f, -0.0f, -0x1.fffffep-24f, -0.375f, -0.0f, 0x1.ba06d2p-2f,
                                      0x1.7ffffep+1f, 3.0f, 0x1.800002p+1f, 4.0f};
  // x = -3 and x = 3 take the middle piece (-dy/2, 3dy/2); just past them 0 and dy.
  const std::vector<float> dx_torch = {0.0f, -0.375f, -0x1.fffffcp-2f, -0.0f, 0.5f, 0x1.c28f5ep-3f,
                                       1.5f, 1.875f, 1.0f, -0.5f};
  std::vector<float> y(x.size()), dx(x.size());
  f32_hardswish_scalar(x.size(), x.data(), y.data());
  f32_hardswish_bwd_scalar(x.size(), x.data(), dy.data(), dx.data());
  CHECK(same_bits(y, y_torch));
  CHECK(same_bits(dx, dx_torch));
  const float nan = NAN, one = 1.0f;
  float out = 0;
  f32_hardswish_scalar(1, &nan, &out);
  CHECK(std::isnan(out));
  f32_hardswish_bwd_scalar(1, &nan, &one, &out);
  CHECK(out == 1.0f);  // PyTorch's last branch
}

TEST_CASE("hard sigmoid forward and backward on hand values: ONNX's formula, no gradient at the clips") {
  const float alpha = 1.0f / 6.0f, beta = 0.5f;  // PyTorch's nn.Hardsigmoid as exported
  const std::vector<float> x = {-4.0f, -3.0f, -1.5f, 0.0f, 1.5f, 3.0f, 4.0f};
  std::vector<float> y(x.size()), dx(x.size());
  f32_hardsigmoid_scalar(x.size(), alpha, beta, x.data(), y.data());
  CHECK(y == std::vector<float>{0.0f, 0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.0f});
  const std::vector<float> dy = {1, 1, 1, 1, 6, 1, 1};
  f32_hardsigmoid_bwd_scalar(x.size(), alpha, y.data(), dy.data(), dx.data());
  CHECK(dx == std::vector<float>{0.0f, 0.0f, alpha, alpha, 6 * alpha, 0.0f, 0.0f});
  f32_hardsigmoid_scalar(1, 0.2f, 0.5f, &x[4], &y[0]);  // ONNX's defaults
  CHECK(y[0] == 0.2f * 1.5f + 0.5f);
}

TEST_CASE("sigmoid reference is within 2 ulp of the double sigmoid and saturates without NaN") {
  EDGETRAIN_SEEDED_RNG(rng);
  const auto x = uniform(rng, 2001, -30.0f, 30.0f);
  std::vector<float> y(x.size());
  f32_sigmoid_scalar(x.size(), x.data(), y.data());
  const dvec want = sigmoid_ref(to_double(x));
  for (size_t i = 0; i < x.size(); i++) {
    CAPTURE(x[i]);
    CHECK(std::fabs(y[i] - want[i]) <= 2.4e-7 * want[i]);
  }
  const float big[] = {-200.0f, 200.0f, -INFINITY, INFINITY};
  float out[4];
  f32_sigmoid_scalar(4, big, out);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == 1.0f);
  CHECK(out[2] == 0.0f);
  CHECK(out[3] == 1.0f);
}

TEST_CASE("both sigmoids are within 2 ulp of PyTorch's") {
  // torch 1.13: torch.sigmoid(x).
  const std::vector<float> x = {-4.0f, -3.0f, -0x1.7ffffep+1f, -1.5f, -0.0f, 0x1.666666p-1f, 0x1.7ffffep+1f, 3.0f, 4.0f};
  const std::vector<float> torch = {0x1.26afa2p-6f, 0x1.848344p-5f, 0x1.84834ap-5f, 0x1.759b84p-3f, 0.5f,
                                    0x1.561cb4p-1f, 0x1.e7b7ccp-1f, 0x1.e7b7ccp-1f, 0x1.f6ca82p-1f};
  for (const auto sigmoid : {f32_sigmoid_scalar, f32_sigmoid_tiled}) {
    std::vector<float> y(x.size());
    sigmoid(x.size(), x.data(), y.data());
    for (size_t i = 0; i < x.size(); i++) {
      CAPTURE(x[i]);
      CHECK(std::fabs(y[i] - torch[i]) <= 2.4e-7f * torch[i]);
    }
  }
}

TEST_CASE("sigmoid four-lane variant is within 4 ulp of the reference, in place and in every tail") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (size_t size : kSizes) {
    CAPTURE(size);
    const auto x = with_edges(uniform(rng, size, -20.0f, 20.0f));
    std::vector<float> want(size), got(size);
    f32_sigmoid_scalar(size, x.data(), want.data());
    f32_sigmoid_tiled(size, x.data(), got.data());
    for (size_t i = 0; i < size; i++) {
      CAPTURE(x[i]);
      if (std::isnan(want[i])) {
        CHECK(std::isnan(got[i]));
        continue;
      }
      // 4 ulp, and the subnormals below 2^-126 the variant flushes to 0.
      CHECK(std::fabs(got[i] - want[i]) <= 4.8e-7f * want[i] + 1.2e-38f);
    }
    std::vector<float> in_place = x;
    f32_sigmoid_tiled(size, in_place.data(), in_place.data());
    CHECK(same_bits(in_place, got));
  }
}

TEST_CASE("activation backward, hard sigmoid and hard swish variants equal the references bit for bit") {
  EDGETRAIN_SEEDED_RNG(rng);
  const float alpha = 1.0f / 6.0f, beta = 0.5f;
  for (size_t size : kSizes) {
    CAPTURE(size);
    const auto x = with_edges(uniform(rng, size, -5.0f, 5.0f));
    const auto dy = uniform(rng, size);
    std::vector<float> s(size), h(size);
    f32_sigmoid_scalar(size, x.data(), s.data());
    f32_hardsigmoid_scalar(size, alpha, beta, x.data(), h.data());
    check_unary_bits(f32_hardswish_scalar, f32_hardswish_tiled, x);
    check_unary_bits([&](size_t n, const float* u, float* v) { f32_hardsigmoid_scalar(n, alpha, beta, u, v); },
                     [&](size_t n, const float* u, float* v) { f32_hardsigmoid_tiled(n, alpha, beta, u, v); }, x);
    check_binary_bits(f32_sigmoid_bwd_scalar, f32_sigmoid_bwd_tiled, s, dy);
    check_binary_bits(f32_hardswish_bwd_scalar, f32_hardswish_bwd_tiled, x, dy);
    check_binary_bits(
        [&](size_t n, const float* u, const float* v, float* o) { f32_hardsigmoid_bwd_scalar(n, alpha, u, v, o); },
        [&](size_t n, const float* u, const float* v, float* o) { f32_hardsigmoid_bwd_tiled(n, alpha, u, v, o); }, h, dy);
    check_binary_bits(f32_mul_scalar, f32_mul_tiled, x, dy);
  }
}

TEST_CASE("activation backward kernels match finite differences away from the kinks") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (size_t size : {size_t{3}, size_t{7}, size_t{41}}) {
    CAPTURE(size);
    auto x = uniform(rng, size, -6.0f, 6.0f);
    const auto r = uniform(rng, size);
    std::vector<float> y(size), dx(size);
    SUBCASE("sigmoid") {
      f32_sigmoid_tiled(size, x.data(), y.data());
      f32_sigmoid_bwd_tiled(size, y.data(), r.data(), dx.data());
      check_close("dx", dx, fd_gradient(to_double(r), to_double(x), sigmoid_ref), 1e-5, 1e-6);
    }
    SUBCASE("hard sigmoid, ONNX's default alpha and beta") {
      away_from(x, {-2.5f, 2.5f}, 0.01f);
      f32_hardsigmoid_tiled(size, 0.2f, 0.5f, x.data(), y.data());
      f32_hardsigmoid_bwd_tiled(size, 0.2f, y.data(), r.data(), dx.data());
      auto ref = [](const dvec& v) {
        dvec out(v.size());
        for (size_t i = 0; i < v.size(); i++) out[i] = std::min(std::max(0.2 * v[i] + 0.5, 0.0), 1.0);
        return out;
      };
      check_close("dx", dx, fd_gradient(to_double(r), to_double(x), ref), 1e-6, 1e-6);
    }
    SUBCASE("hard swish") {
      away_from(x, {-3.0f, 3.0f}, 0.01f);
      f32_hardswish_tiled(size, x.data(), y.data());
      f32_hardswish_bwd_tiled(size, x.data(), r.data(), dx.data());
      check_close("dx", dx, fd_gradient(to_double(r), to_double(x), hardswish_ref), 1e-5, 1e-6);
    }
  }
}

TEST_CASE("products: the gate broadcast and its gradient, variants bit for bit and against finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t batch, pixels, channels; };
  // 5x7 images; 130 pixels cross two of the gate gradient's float blocks, 67 channels its
  // channel groups.
  for (Shape s : {Shape{2, 35, 3}, Shape{1, 35, 7}, Shape{3, 35, 13}, Shape{2, 130, 67}, Shape{1, 1, 5}}) {
    CAPTURE(s.pixels);
    CAPTURE(s.channels);
    const size_t full = s.batch * s.pixels * s.channels, gates = s.batch * s.channels;
    const auto a = with_edges(uniform(rng, full, -3.0f, 3.0f)), dy = uniform(rng, full);
    const auto b = uniform(rng, gates);
    std::vector<float> want(full), got(full), db_want(gates), db_got(gates);
    f32_mul_channels_scalar(s.batch, s.pixels, s.channels, a.data(), b.data(), want.data());
    f32_mul_channels_tiled(s.batch, s.pixels, s.channels, a.data(), b.data(), got.data());
    CHECK(same_bits(got, want));
    got = a;
    f32_mul_channels_tiled(s.batch, s.pixels, s.channels, got.data(), b.data(), got.data());
    CHECK(same_bits(got, want));
    f32_mul_channels_bwd_scalar(s.batch, s.pixels, s.channels, a.data(), dy.data(), db_want.data());
    f32_mul_channels_bwd_tiled(s.batch, s.pixels, s.channels, a.data(), dy.data(), db_got.data());
    CHECK(same_bits(db_got, db_want));

    // Gradients of sum(r * a * gate): da by the broadcast product (dy * gate), db by the sum.
    const auto a_fd = uniform(rng, full);
    std::vector<float> da(full);
    f32_mul_channels_tiled(s.batch, s.pixels, s.channels, dy.data(), b.data(), da.data());
    f32_mul_channels_bwd_tiled(s.batch, s.pixels, s.channels, a_fd.data(), dy.data(), db_got.data());
    const auto product = [&](const dvec& u, const dvec& g) {
      dvec y(full);
      for (size_t i = 0; i < full; i++) y[i] = u[i] * g[i / (s.pixels * s.channels) * s.channels + i % s.channels];
      return y;
    };
    const dvec ad = to_double(a_fd), bd = to_double(b), r = to_double(dy);
    check_close("da", da, fd_gradient(r, ad, [&](const dvec& u) { return product(u, bd); }), 1e-6, 1e-6);
    check_close("db", db_got, fd_gradient(r, bd, [&](const dvec& g) { return product(ad, g); }), 1e-5, 1e-6);
  }
}

TEST_CASE("same-shape product backward is two products, against finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t n = 3 * 5 * 7;
  const auto a = uniform(rng, n), b = uniform(rng, n), r = uniform(rng, n);
  std::vector<float> da(n), db(n);
  f32_mul_tiled(n, r.data(), b.data(), da.data());
  f32_mul_tiled(n, r.data(), a.data(), db.data());
  const dvec ad = to_double(a), bd = to_double(b), rd = to_double(r);
  const auto product = [](const dvec& u, const dvec& v) {
    dvec y(u.size());
    for (size_t i = 0; i < u.size(); i++) y[i] = u[i] * v[i];
    return y;
  };
  check_close("da", da, fd_gradient(rd, ad, [&](const dvec& u) { return product(u, bd); }), 1e-6, 1e-6);
  check_close("db", db, fd_gradient(rd, bd, [&](const dvec& v) { return product(ad, v); }), 1e-6, 1e-6);
}

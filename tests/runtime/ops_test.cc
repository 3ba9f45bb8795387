// The runtime's op dispatch against the scalar references: each XNNPACK-backed forward op, run
// through a one-op plan built here, equals the reference kernel on the same data. This checks the
// mapping of plan params (padding order, strides, groups, clamp bounds) onto XNNPACK's API, and
// the threaded tiling of the kernel-backed ops (conv and FC gradients, batch norm) on a pool.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../test_random.h"
#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"
#include "one_op.h"

using namespace edgetrain;
using namespace edgetrain::test;

namespace {

void check_near(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::fabs(got[i] - want[i]) <= 1e-4f + 1e-5f * std::fabs(want[i]));
  }
}

// Sums of many terms in another order: relative to the tensor's largest entry.
void check_sum_near(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  float scale = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::fabs(got[i] - want[i]) <= 1e-5f * scale + 1e-5f * std::fabs(want[i]));
  }
}

// A convolution's shapes, for the forward and backward cases below.
struct ConvCase {
  uint32_t n, h, w, c, oc, k, stride, pad, groups;
  uint32_t oh() const { return (h + 2 * pad - k) / stride + 1; }
  uint32_t ow() const { return (w + 2 * pad - k) / stride + 1; }
  std::vector<uint32_t> x() const { return {n, h, w, c}; }
  std::vector<uint32_t> weights() const { return {oc, k, k, c / groups}; }
  std::vector<uint32_t> y() const { return {n, oh(), ow(), oc}; }
  OpParams params() const {
    return window(static_cast<uint16_t>(k), static_cast<uint16_t>(stride),
                  static_cast<uint16_t>(pad), groups);
  }
};

}  // namespace

TEST_CASE("Conv2d through XNNPACK equals the reference: stride, padding, groups, depthwise") {
  for (const ConvCase& k : {ConvCase{2, 9, 7, 3, 5, 3, 1, 1, 1}, ConvCase{1, 12, 12, 3, 8, 7, 2, 3, 1},
                        ConvCase{3, 8, 9, 6, 6, 3, 2, 1, 6}, ConvCase{2, 5, 5, 4, 6, 1, 1, 0, 2}}) {
    CAPTURE(k.k);
    CAPTURE(k.groups);
    EDGETRAIN_SEEDED_RNG(rng);
    OneOp t(rng);
    const int32_t x = t.tensor(k.x()), w = t.tensor(k.weights());
    const int32_t b = t.tensor({k.oc}), y = t.tensor(k.y());
    const OpDesc op = op_of(OpKind::Conv2d, {x, w, b}, {y}, k.params());
    const std::vector<float> got = t.run(op);
    std::vector<float> want(got.size());
    f32_conv2d_scalar(window_geometry(t.ctx(), op, x, y), t.f32(x), t.f32(w), t.f32(b), want.data());
    check_near(got, want);
  }
}

TEST_CASE("MaxPool2d with and without its taps equals the reference: 2x2/s2 and overlapping 3x3/s2/p1") {
  for (uint16_t k : {uint16_t{2}, uint16_t{3}}) {
    EDGETRAIN_SEEDED_RNG(rng);
    OneOp t(rng);
    const uint16_t pad = k == 3 ? 1 : 0;
    const uint32_t oh = (11 + 2 * pad - k) / 2 + 1;
    const int32_t x = t.tensor({2, 11, 11, 5}), y = t.tensor({2, oh, oh, 5});
    const int32_t taps = t.tensor({2, oh, oh, 5});  // bytes, in a tensor big enough for floats
    const OpDesc op = op_of(OpKind::MaxPool2d, {x}, {y}, window(k, 2, pad));
    const std::vector<float> got = t.run(op);
    std::vector<float> want(got.size());
    f32_maxpool2d_scalar(window_geometry(t.ctx(), op, x, y), t.f32(x), want.data());
    CHECK(got == want);
    CHECK(t.run(op_of(OpKind::MaxPool2d, {x}, {y, taps}, window(k, 2, pad))) == want);
  }
}

TEST_CASE("Add, GlobalAvgPool and FullyConnected through XNNPACK equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  SUBCASE("add") {
    OneOp t(rng);
    const int32_t a = t.tensor({3, 4, 4, 6}), b = t.tensor({3, 4, 4, 6}), y = t.tensor({3, 4, 4, 6});
    const std::vector<float> got = t.run(op_of(OpKind::Add, {a, b}, {y}));
    std::vector<float> want(got.size());
    f32_add_scalar(want.size(), t.f32(a), t.f32(b), want.data());
    CHECK(got == want);
  }
  SUBCASE("global average pool") {
    OneOp t(rng);
    const int32_t x = t.tensor({3, 5, 7, 9}), y = t.tensor({3, 1, 1, 9});
    const std::vector<float> got = t.run(op_of(OpKind::GlobalAvgPool, {x}, {y}));
    std::vector<float> want(got.size());
    f32_gavgpool_scalar(3, 35, 9, t.f32(x), want.data());
    check_near(got, want);
  }
  SUBCASE("fully connected on a flattened input") {
    OneOp t(rng);
    const int32_t x = t.tensor({4, 1, 1, 13}), w = t.tensor({7, 13}), b = t.tensor({7}), y = t.tensor({4, 7});
    const std::vector<float> got = t.run(op_of(OpKind::FullyConnected, {x, w, b}, {y}));
    std::vector<float> want(got.size());
    f32_fc_scalar(4, 13, 7, t.f32(x), t.f32(w), t.f32(b), want.data());
    check_near(got, want);
  }
}

TEST_CASE("Conv2d gradients on the thread pool equal the references: dense, depthwise, grouped") {
  for (const ConvCase& k : {ConvCase{3, 9, 7, 5, 37, 3, 2, 1, 1}, ConvCase{2, 8, 8, 1, 16, 3, 1, 1, 1},
                        ConvCase{2, 9, 9, 3, 20, 7, 2, 3, 1}, ConvCase{3, 8, 9, 19, 19, 3, 2, 1, 19},
                        ConvCase{2, 5, 5, 4, 6, 1, 1, 0, 2},
                        // pointwise over >= 64 pixels: the input gradient runs on XNNPACK's GEMM
                        ConvCase{2, 8, 9, 24, 40, 1, 1, 0, 1}}) {
    CAPTURE(k.k);
    CAPTURE(k.groups);
    EDGETRAIN_SEEDED_RNG(rng);
    OneOp t(rng);
    const int32_t x = t.tensor(k.x()), w = t.tensor(k.weights());
    const int32_t dy = t.tensor(k.y()), dx = t.tensor(k.x());
    const int32_t dw = t.tensor(k.weights()), db = t.tensor({k.oc});
    const OpParams p = k.params();
    const OpDesc data = op_of(OpKind::Conv2dBwdData, {dy, w}, {dx}, p);
    const std::vector<float> got_dx = t.run(data);
    const std::vector<float> got_dw = t.run(op_of(OpKind::Conv2dBwdWeights, {x, dy}, {dw, db}, p));
    const f32_window_geometry g = window_geometry(t.ctx(), data, dx, dy);
    std::vector<float> want_dx(got_dx.size()), want_dw(got_dw.size()), want_db(k.oc);
    f32_conv2d_bwd_data_scalar(g, t.f32(dy), t.f32(w), want_dx.data());
    f32_conv2d_bwd_weights_scalar(g, t.f32(x), t.f32(dy), want_dw.data(), want_db.data());
    check_sum_near(got_dx, want_dx);
    check_sum_near(got_dw, want_dw);
    check_sum_near(t.values(db), want_db);
  }
}

TEST_CASE("Relu and Relu6 with masks, then ReluBwd, over element tiles on the thread pool equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (OpKind kind : {OpKind::Relu, OpKind::Relu6}) {
    CAPTURE(op_kind_name(kind));
    OneOp t(rng);
    // Big enough to leave the calling thread, and not a whole number of tiles.
    const std::vector<uint32_t> shape = {3, 61, 67, 29};
    const int32_t x = t.tensor(shape), y = t.tensor(shape), mask = t.tensor(shape);
    const int32_t dy = t.tensor(shape), dx = t.tensor(shape);
    const std::vector<float> got_y = t.run(op_of(kind, {x}, {y, mask}));
    const std::vector<float> got_dx = t.run(op_of(OpKind::ReluBwd, {mask, dy}, {dx}));
    const bool relu = kind == OpKind::Relu;
    std::vector<float> want_y(got_y.size()), want_dx(got_y.size());
    (relu ? f32_relu_scalar : f32_relu6_scalar)(want_y.size(), t.f32(x), want_y.data());
    (relu ? f32_relu_bwd_scalar : f32_relu6_bwd_scalar)(want_y.size(), want_y.data(), t.f32(dy), want_dx.data());
    CHECK(got_y == want_y);
    CHECK(got_dx == want_dx);
  }
}

TEST_CASE("MaxPool2dBwd from the taps in image tiles on the thread pool equals the reference") {
  EDGETRAIN_SEEDED_RNG(rng);
  OneOp t(rng);
  // 3x3/s2/p1 (overlapping windows), big enough to leave the calling thread.
  const int32_t x = t.tensor({5, 57, 57, 70}), y = t.tensor({5, 29, 29, 70});
  const int32_t taps = t.tensor({5, 29, 29, 70}), dy = t.tensor({5, 29, 29, 70});
  const int32_t dx = t.tensor({5, 57, 57, 70});
  t.run(op_of(OpKind::MaxPool2d, {x}, {y, taps}, window(3, 2, 1)));
  const OpDesc op = op_of(OpKind::MaxPool2dBwd, {taps, dy}, {dx}, window(3, 2, 1));
  const std::vector<float> got = t.run(op);
  std::vector<float> want(got.size());
  f32_maxpool2d_bwd_scalar(window_geometry(t.ctx(), op, dx, dy), t.f32(x), t.f32(dy), want.data());
  CHECK(got == want);
}

TEST_CASE("Normalize turns image bytes into (x / 255 - mean[c]) / std[c]") {
  EDGETRAIN_SEEDED_RNG(rng);
  OneOp t(rng);
  const int32_t x = t.tensor({2, 3, 4, 3}), y = t.tensor({2, 3, 4, 3});
  OpParams p{};
  const float mean[3] = {0.25f, 0.5f, 0.125f}, std[3] = {0.5f, 0.25f, 2.0f};
  for (int c = 0; c < 3; ++c) p.norm_mean[c] = mean[c], p.norm_std[c] = std[c];
  const std::vector<float> got = t.run(op_of(OpKind::Normalize, {x}, {y}, p));
  const auto* bytes = reinterpret_cast<const uint8_t*>(t.f32(x));
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == (bytes[i] / 255.0f - mean[i % 3]) / std[i % 3]);
}

TEST_CASE("FullyConnected gradients on the thread pool equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  OneOp t(rng);
  const int32_t x = t.tensor({5, 1, 1, 37}), w = t.tensor({21, 37}), dy = t.tensor({5, 21});
  const int32_t dx = t.tensor({5, 1, 1, 37}), dw = t.tensor({21, 37}), db = t.tensor({21});
  const std::vector<float> got_dx = t.run(op_of(OpKind::FullyConnectedBwdData, {dy, w}, {dx}));
  const std::vector<float> got_dw = t.run(op_of(OpKind::FullyConnectedBwdWeights, {x, dy}, {dw, db}));
  std::vector<float> want_dx(got_dx.size()), want_dw(got_dw.size()), want_db(21);
  f32_fc_bwd_data_scalar(5, 37, 21, t.f32(dy), t.f32(w), want_dx.data());
  f32_fc_bwd_weights_scalar(5, 37, 21, t.f32(x), t.f32(dy), want_dw.data(), want_db.data());
  check_sum_near(got_dx, want_dx);
  check_sum_near(got_dw, want_dw);
  check_sum_near(t.values(db), want_db);
}

TEST_CASE("BatchNormTrain and BatchNormBwd on the thread pool equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  OneOp t(rng);
  const uint32_t c = 45;
  const int32_t x = t.tensor({3, 7, 5, c}), gamma = t.tensor({c}), beta = t.tensor({c});
  const int32_t rm = t.tensor({c}), rv = t.tensor({c}), y = t.tensor({3, 7, 5, c});
  const int32_t mean = t.tensor({c}), var = t.tensor({c}), dy = t.tensor({3, 7, 5, c});
  const int32_t dx = t.tensor({3, 7, 5, c}), dgamma = t.tensor({c}), dbeta = t.tensor({c});
  OpParams p{};
  p.eps = 1e-5f;
  const std::vector<float> got_y =
      t.run(op_of(OpKind::BatchNormTrain, {x, gamma, beta, rm, rv}, {y, mean, var}, p));
  const std::vector<float> got_dx =
      t.run(op_of(OpKind::BatchNormBwd, {x, gamma, mean, var, dy}, {dx, dgamma, dbeta}, p));
  const size_t rows = 3 * 7 * 5;
  std::vector<float> want_y(got_y.size()), want_mean(c), want_var(c);
  f32_batchnorm_fwd_train_scalar(rows, c, 1e-5f, t.f32(x), t.f32(gamma), t.f32(beta),
                                 want_y.data(), want_mean.data(), want_var.data());
  std::vector<float> want_dx(got_dx.size()), want_dgamma(c), want_dbeta(c);
  f32_batchnorm_bwd_scalar(rows, c, 1e-5f, t.f32(x), t.f32(gamma), t.f32(mean), t.f32(var),
                           t.f32(dy), want_dx.data(), want_dgamma.data(), want_dbeta.data());
  check_sum_near(got_y, want_y);
  check_sum_near(t.values(mean), want_mean);
  check_sum_near(t.values(var), want_var);
  check_sum_near(got_dx, want_dx);
  check_sum_near(t.values(dgamma), want_dgamma);
  check_sum_near(t.values(dbeta), want_dbeta);
}

TEST_CASE("Channel shuffle and slice with their backwards in pixel tiles on the thread pool equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  // 58 channels (ShuffleNetV2's 116 in two), big enough to leave the calling thread, odd sizes.
  const std::vector<uint32_t> shape = {3, 37, 41, 58};
  const size_t pixels = 3 * 37 * 41;
  SUBCASE("shuffle") {
    for (uint32_t groups : {2u, 29u}) {
      CAPTURE(groups);
      OneOp t(rng);
      const int32_t x = t.tensor(shape), y = t.tensor(shape), dy = t.tensor(shape), dx = t.tensor(shape);
      OpParams p{};
      p.groups = groups;
      const std::vector<float> got_y = t.run(op_of(OpKind::ChannelShuffle, {x}, {y}, p));
      const std::vector<float> got_dx = t.run(op_of(OpKind::ChannelShuffleBwd, {dy}, {dx}, p));
      std::vector<float> want_y(got_y.size()), want_dx(got_dx.size());
      f32_channel_shuffle_scalar(pixels, 58, groups, t.f32(x), want_y.data());
      f32_channel_shuffle_scalar(pixels, 58, 58 / groups, t.f32(dy), want_dx.data());
      CHECK(got_y == want_y);
      CHECK(got_dx == want_dx);
      p.groups = 3;  // does not divide 58: the plan is refused, not run
      CHECK(run_op(t.ctx(), op_of(OpKind::ChannelShuffle, {x}, {y}, p)).code() == StatusCode::InvalidPlan);
    }
  }
  SUBCASE("slice") {
    for (uint32_t begin : {0u, 29u, 5u}) {
      const uint32_t end = begin == 5 ? 18 : begin + 29;
      CAPTURE(begin);
      OneOp t(rng);
      const std::vector<uint32_t> part = {3, 37, 41, end - begin};
      const int32_t x = t.tensor(shape), y = t.tensor(part), dy = t.tensor(part), dx = t.tensor(shape);
      OpParams p{};
      set_channel_slice(p, begin, end);
      const std::vector<float> got_y = t.run(op_of(OpKind::ChannelSlice, {x}, {y}, p));
      const std::vector<float> got_dx = t.run(op_of(OpKind::ChannelSliceBwd, {dy}, {dx}, p));
      std::vector<float> want_y(got_y.size()), want_dx(got_dx.size());
      f32_channel_slice_scalar(pixels, 58, begin, end, t.f32(x), want_y.data());
      f32_channel_slice_bwd_scalar(pixels, 58, begin, end, t.f32(dy), want_dx.data());
      CHECK(got_y == want_y);
      CHECK(got_dx == want_dx);
      set_channel_slice(p, begin, end + 1);  // y is narrower than the range
      CHECK(run_op(t.ctx(), op_of(OpKind::ChannelSlice, {x}, {y}, p)).code() == StatusCode::InvalidPlan);
    }
  }
}

TEST_CASE("Sigmoid, HardSigmoid, HardSwish and their backward over element tiles on the thread pool equal the kernels") {
  EDGETRAIN_SEEDED_RNG(rng);
  // Big enough to leave the calling thread, and not a whole number of tiles.
  const std::vector<uint32_t> shape = {3, 61, 67, 29};
  OneOp t(rng);
  const int32_t x = t.tensor(shape), y = t.tensor(shape), dy = t.tensor(shape), dx = t.tensor(shape);
  const int32_t over = t.tensor(shape);  // in place: the op's output over its input
  const size_t n = 3 * 61 * 67 * 29;
  OpParams p{};
  set_hard_sigmoid(p, 0.2f, 0.5f);
  std::vector<float> want_y(n), want_dx(n);
  SUBCASE("sigmoid") {
    const std::vector<float> got_y = t.run(op_of(OpKind::Sigmoid, {x}, {y}));
    f32_sigmoid_tiled(n, t.f32(x), want_y.data());  // one call: tiles never change the bits
    CHECK(got_y == want_y);
    std::vector<float> ref(n);
    f32_sigmoid_scalar(n, t.f32(x), ref.data());
    check_near(got_y, ref);
    f32_sigmoid_bwd_scalar(n, t.f32(y), t.f32(dy), want_dx.data());
    CHECK(t.run(op_of(OpKind::SigmoidBwd, {y, dy}, {dx})) == want_dx);
    std::memcpy(t.f32(over), t.f32(x), n * 4);
    CHECK(t.run(op_of(OpKind::Sigmoid, {over}, {over})) == want_y);
  }
  SUBCASE("hard sigmoid") {
    const std::vector<float> got_y = t.run(op_of(OpKind::HardSigmoid, {x}, {y}, p));
    f32_hardsigmoid_scalar(n, 0.2f, 0.5f, t.f32(x), want_y.data());
    CHECK(got_y == want_y);
    f32_hardsigmoid_bwd_scalar(n, 0.2f, t.f32(y), t.f32(dy), want_dx.data());
    CHECK(t.run(op_of(OpKind::HardSigmoidBwd, {y, dy}, {dx}, p)) == want_dx);
    std::memcpy(t.f32(over), t.f32(dy), n * 4);
    CHECK(t.run(op_of(OpKind::HardSigmoidBwd, {y, over}, {over}, p)) == want_dx);
  }
  SUBCASE("hard swish") {
    const std::vector<float> got_y = t.run(op_of(OpKind::HardSwish, {x}, {y}));
    f32_hardswish_scalar(n, t.f32(x), want_y.data());
    CHECK(got_y == want_y);
    f32_hardswish_bwd_scalar(n, t.f32(x), t.f32(dy), want_dx.data());
    CHECK(t.run(op_of(OpKind::HardSwishBwd, {x, dy}, {dx})) == want_dx);
  }
}

TEST_CASE("Mul and MulBwd, same shapes and a [N,1,1,C] gate, on the thread pool equal the kernels") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (uint32_t c : {13u, 67u}) {
    CAPTURE(c);
    OneOp t(rng);
    const std::vector<uint32_t> full = {5, 57, 59, c}, gate = {5, 1, 1, c};
    const size_t n = 5 * 57 * 59 * size_t{c}, pixels = 57 * 59;
    const int32_t a = t.tensor(full), b = t.tensor(full), g = t.tensor(gate), y = t.tensor(full);
    const int32_t dy = t.tensor(full), da = t.tensor(full), db = t.tensor(full), dg = t.tensor(gate);
    std::vector<float> want(n), want_db(n), want_dg(5 * c);
    // Same shapes.
    const std::vector<float> got = t.run(op_of(OpKind::Mul, {a, b}, {y}));
    f32_mul_scalar(n, t.f32(a), t.f32(b), want.data());
    CHECK(got == want);
    t.run(op_of(OpKind::MulBwd, {a, b, dy}, {da, db}));
    f32_mul_scalar(n, t.f32(dy), t.f32(b), want.data());
    f32_mul_scalar(n, t.f32(dy), t.f32(a), want_db.data());
    CHECK(t.values(da) == want);
    CHECK(t.values(db) == want_db);
    // The gate, with both gradients and with each alone (the input only the other reads: -1).
    const std::vector<float> got_gated = t.run(op_of(OpKind::Mul, {a, g}, {y}));
    f32_mul_channels_scalar(5, pixels, c, t.f32(a), t.f32(g), want.data());
    CHECK(got_gated == want);
    f32_mul_channels_scalar(5, pixels, c, t.f32(dy), t.f32(g), want.data());
    f32_mul_channels_bwd_scalar(5, pixels, c, t.f32(a), t.f32(dy), want_dg.data());
    t.run(op_of(OpKind::MulBwd, {a, g, dy}, {da, dg}));
    CHECK(t.values(da) == want);
    CHECK(t.values(dg) == want_dg);
    std::memset(t.f32(dg), 0, 5 * c * 4);
    REQUIRE(run_op(t.ctx(), op_of(OpKind::MulBwd, {a, -1, dy}, {-1, dg})).is_ok());  // out[0] is -1
    CHECK(t.values(dg) == want_dg);
    std::memset(t.f32(da), 0, n * 4);
    CHECK(t.run(op_of(OpKind::MulBwd, {-1, g, dy}, {da, -1})) == want);
  }
}

TEST_CASE("Dropout and DropoutBwd over element tiles on the thread pool equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  // Big enough to leave the calling thread, and not a whole number of tiles.
  const std::vector<uint32_t> shape = {3, 61, 67, 29};
  const size_t n = 3 * 61 * 67 * 29;
  OneOp t(rng);
  const int32_t x = t.tensor(shape), y = t.tensor(shape), mask = t.tensor(shape), dy = t.tensor(shape);
  const int32_t dx = t.tensor(shape), over = t.tensor(shape);
  const uint64_t seed = rng();
  const uint32_t salt = static_cast<uint32_t>(rng());
  OpParams p{};
  set_dropout(p, 0.3f, salt);
  t.set_step(seed, 7);
  const std::vector<float> got_y = t.run(op_of(OpKind::Dropout, {x}, {y, mask}, p));
  const std::vector<uint8_t> got_mask(t.u8(mask), t.u8(mask) + (n + 7) / 8);
  std::vector<float> want_y(n), want_dx(n);
  std::vector<uint8_t> want_mask((n + 7) / 8);
  f32_dropout_scalar(n, 0.3f, dropout_key(seed, 7, salt), 0, t.f32(x), want_y.data(), want_mask.data());
  CHECK(got_y == want_y);
  CHECK(got_mask == want_mask);
  f32_dropout_bwd_scalar(n, 0.3f, want_mask.data(), t.f32(dy), want_dx.data());
  CHECK(t.run(op_of(OpKind::DropoutBwd, {mask, dy}, {dx}, p)) == want_dx);
  // In place, both ways; without a mask (no backward) the same y.
  std::memcpy(t.f32(over), t.f32(dy), n * 4);
  CHECK(t.run(op_of(OpKind::DropoutBwd, {mask, over}, {over}, p)) == want_dx);
  std::memcpy(t.f32(over), t.f32(x), n * 4);
  CHECK(t.run(op_of(OpKind::Dropout, {over}, {over}, p)) == want_y);
  CHECK(t.run(op_of(OpKind::Dropout, {x}, {y}, p)) == want_y);
  // Another step, seed or salt draws another mask; ratio 0 (evaluation) is the identity.
  t.set_step(seed, 8);
  CHECK(t.run(op_of(OpKind::Dropout, {x}, {y}, p)) != want_y);
  t.set_step(seed + 1, 7);
  CHECK(t.run(op_of(OpKind::Dropout, {x}, {y}, p)) != want_y);
  t.set_step(seed, 7);
  OpParams other = p;
  set_dropout(other, 0.3f, salt + 1);
  CHECK(t.run(op_of(OpKind::Dropout, {x}, {y}, other)) != want_y);
  OpParams identity = p;
  set_dropout(identity, 0.0f, salt);
  CHECK(t.run(op_of(OpKind::Dropout, {x}, {y}, identity)) == t.values(x));
}

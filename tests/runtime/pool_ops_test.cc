// The pooling and concatenation adapters on the thread pool against the kernels: AvgPool2d and
// its backward (ceil mode, count_include_pad) in image tiles, MaxPool2d in ceil mode with its
// taps, Concat of two to five inputs and ConcatBwd's slices of dy; operands that do not fit the
// params are refused as an invalid plan, not run.
#include <doctest/doctest.h>

#include <vector>

#include "../test_random.h"
#include "kernels/kernels.h"
#include "one_op.h"
#include "window.h"

using namespace edgetrain;
using namespace edgetrain::test;

TEST_CASE("AvgPool2d and AvgPool2dBwd in image tiles on the thread pool equal the kernels, both flags") {
  EDGETRAIN_SEEDED_RNG(rng);
  // SqueezeNet's 3x3/s2 ceil-mode shape and a padded one; big enough to leave the calling thread.
  struct Case {
    uint16_t k, stride, pad;
  };
  for (const Case& k : {Case{3, 2, 0}, Case{3, 2, 1}, Case{2, 2, 1}}) {
    for (const bool ceil : {false, true}) {
      for (const bool include_pad : {false, true}) {
        CAPTURE(k.pad);
        CAPTURE(ceil);
        CAPTURE(include_pad);
        const uint32_t h = 56, w = 57, c = 37;
        const auto oh = static_cast<uint32_t>(pool_out_extent(h, k.k, k.stride, k.pad, k.pad, ceil));
        const auto ow = static_cast<uint32_t>(pool_out_extent(w, k.k, k.stride, k.pad, k.pad, ceil));
        OneOp t(rng);
        const int32_t x = t.tensor({5, h, w, c}), y = t.tensor({5, oh, ow, c});
        const int32_t dy = t.tensor({5, oh, ow, c}), dx = t.tensor({5, h, w, c});
        OpParams p = window(k.k, k.stride, k.pad);
        set_pool_flags(p, ceil, include_pad);
        const OpDesc fwd = op_of(OpKind::AvgPool2d, {x}, {y}, p);
        const std::vector<float> got_y = t.run(fwd);
        const std::vector<float> got_dx = t.run(op_of(OpKind::AvgPool2dBwd, {dy}, {dx}, p));
        f32_window_geometry g = window_geometry(t.ctx(), fwd, x, y);
        g.groups = 1;
        const f32_avgpool_params a{k.pad, k.pad, include_pad};
        std::vector<float> want_y(got_y.size()), want_dx(got_dx.size());
        f32_avgpool2d_scalar(g, a, t.f32(x), want_y.data());
        f32_avgpool2d_bwd_scalar(g, a, t.f32(dy), want_dx.data());
        CHECK(got_y == want_y);
        CHECK(got_dx == want_dx);
        set_pool_flags(p, !ceil, include_pad);  // the output extent of the other mode
        if (pool_out_extent(h, k.k, k.stride, k.pad, k.pad, !ceil) != oh) {
          CHECK(run_op(t.ctx(), op_of(OpKind::AvgPool2d, {x}, {y}, p)).code() == StatusCode::InvalidPlan);
        }
      }
    }
  }
}

TEST_CASE("MaxPool2d in ceil mode with its taps, then MaxPool2dBwd, equal the references") {
  EDGETRAIN_SEEDED_RNG(rng);
  OneOp t(rng);
  // SqueezeNet's 3x3/s2 ceil-mode pool on an even extent, where ceil mode adds a window: 56 -> 28
  // (floor: 27), the last windows clipped at the bottom and right.
  const auto oh = static_cast<uint32_t>(pool_out_extent(56, 3, 2, 0, 0, true));
  REQUIRE(oh == 28);
  const int32_t x = t.tensor({3, 56, 56, 19}), y = t.tensor({3, oh, oh, 19}), taps = t.tensor({3, oh, oh, 19});
  const int32_t dy = t.tensor({3, oh, oh, 19}), dx = t.tensor({3, 56, 56, 19});
  OpParams p = window(3, 2, 0);
  set_pool_flags(p, true, false);
  const OpDesc fwd = op_of(OpKind::MaxPool2d, {x}, {y, taps}, p);
  const std::vector<float> got_y = t.run(fwd);
  const std::vector<float> got_dx = t.run(op_of(OpKind::MaxPool2dBwd, {taps, dy}, {dx}, p));
  f32_window_geometry g = window_geometry(t.ctx(), fwd, x, y);
  g.groups = 1;
  std::vector<float> want_y(got_y.size()), want_dx(got_dx.size());
  f32_maxpool2d_scalar(g, t.f32(x), want_y.data());
  f32_maxpool2d_bwd_scalar(g, t.f32(x), t.f32(dy), want_dx.data());
  CHECK(got_y == want_y);
  CHECK(got_dx == want_dx);
}

TEST_CASE("Concat of two to five inputs and ConcatBwd in pixel tiles on the thread pool equal the kernels") {
  EDGETRAIN_SEEDED_RNG(rng);
  const uint32_t widths[] = {13, 3, 64, 1, 7};
  const size_t pixels = 3 * 37 * 41;
  for (int inputs = 2; inputs <= kMaxOpInputs; ++inputs) {
    CAPTURE(inputs);
    OneOp t(rng);
    uint32_t channels = 0;
    std::vector<int32_t> xs, dxs;
    for (int k = 0; k < inputs; ++k) {
      xs.push_back(t.tensor({3, 37, 41, widths[k]}));
      dxs.push_back(t.tensor({3, 37, 41, widths[k]}));
      channels += widths[k];
    }
    const int32_t y = t.tensor({3, 37, 41, channels}), dy = t.tensor({3, 37, 41, channels});
    const std::vector<float> got_y = t.run(op_of(OpKind::Concat, xs, {y}));
    std::vector<float> want_y(got_y.size());
    uint32_t begin = 0;
    for (int k = 0; k < inputs; ++k) {
      f32_channel_concat_scalar(pixels, channels, begin, begin + widths[k], t.f32(xs[k]), want_y.data());
      OpParams p{};
      set_channel_slice(p, begin, begin + widths[k]);
      const std::vector<float> got_dx = t.run(op_of(OpKind::ConcatBwd, {dy}, {dxs[k]}, p));
      std::vector<float> want_dx(got_dx.size());
      f32_channel_slice_scalar(pixels, channels, begin, begin + widths[k], t.f32(dy), want_dx.data());
      CHECK(got_dx == want_dx);
      begin += widths[k];
    }
    CHECK(got_y == want_y);
    // Inputs that do not fill y, or overfill it, are refused.
    CHECK(run_op(t.ctx(), op_of(OpKind::Concat, {xs[0], xs[0]}, {y})).code() == StatusCode::InvalidPlan);
    std::vector<int32_t> more = xs;
    more.resize(kMaxOpInputs, xs[0]);
    if (inputs < kMaxOpInputs) {
      CHECK(run_op(t.ctx(), op_of(OpKind::Concat, more, {y})).code() == StatusCode::InvalidPlan);
    }
  }
}

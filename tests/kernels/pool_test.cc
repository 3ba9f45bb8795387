// Max pooling and global average pooling: forwards on hand-computed cases, backwards against
// finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

namespace {

const WindowCase kPoolCases[] = {
    // name                             N  H  W  C  C KH KW SH SW PT PL PB PR
    {"2x2 s2, odd H/W (floor)",         2, 5, 7, 5, 5, 2, 2, 2, 2, 0, 0, 0, 0, 1},
    {"3x3 s2 p1, overlapping",          2, 7, 7, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1},
    {"3x3 s1 p1",                       1, 4, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {"3x3 s2 no pad, last row unused",  1, 8, 8, 9, 9, 3, 3, 2, 2, 0, 0, 0, 0, 1},
    {"2x2 s2, batch 1",                 1, 6, 6, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1},
};

// Distinct values at least 1/size apart, shuffled: no two window entries come within the
// finite-difference step, so the max is differentiable at every point we probe.
std::vector<float> distinct_values(std::mt19937& rng, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = -1.0f + 2.0f * static_cast<float>(i) / static_cast<float>(n);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

}  // namespace

TEST_CASE("maxpool2d forward: 2x2/s2 and 3x3/s2/p1 over 1..16") {
  std::vector<float> x(16);
  std::iota(x.begin(), x.end(), 1.0f);
  std::vector<float> y(4);
  f32_maxpool2d_scalar(geometry({"", 1, 4, 4, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1}), x.data(), y.data());
  CHECK(y == std::vector<float>{6, 8, 14, 16});
  f32_maxpool2d_scalar(geometry({"", 1, 4, 4, 1, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1}), x.data(), y.data());
  CHECK(y == std::vector<float>{6, 8, 14, 16});
}

TEST_CASE("maxpool2d: padding never wins") {
  const std::vector<float> x(9, -5.0f);
  std::vector<float> y(4);
  const f32_window_geometry g = geometry({"", 1, 3, 3, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1});
  f32_maxpool2d_scalar(g, x.data(), y.data());
  CHECK(y == std::vector<float>{-5, -5, -5, -5});
  const std::vector<float> dy = {1, 2, 3, 4};
  std::vector<float> dx(9, 9.0f);
  f32_maxpool2d_bwd_scalar(g, x.data(), dy.data(), dx.data());
  // All ties: each window's first real pixel (scan kh then kw) takes its gradient.
  CHECK(dx == std::vector<float>{1, 2, 0, 3, 4, 0, 0, 0, 0});
}

TEST_CASE("maxpool2d backward: first maximum wins ties, overlapping windows add") {
  // 2x2 window over a 2x3 plane of equal values, stride 1: windows at columns 0 and 1.
  const std::vector<float> ties(6, 1.0f);
  const std::vector<float> dy2 = {10, 20};
  std::vector<float> dx(6);
  f32_maxpool2d_bwd_scalar(geometry({"", 1, 2, 3, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1}), ties.data(),
                           dy2.data(), dx.data());
  CHECK(dx == std::vector<float>{10, 20, 0, 0, 0, 0});
  // 3x3/s2/p1 over a 3x3 plane whose max is the centre: all four windows contain it.
  const std::vector<float> x = {1, 2, 3, 4, 9, 5, 6, 7, 8};
  const std::vector<float> dy4 = {1, 2, 3, 4};
  dx.assign(9, -1.0f);
  f32_maxpool2d_bwd_scalar(geometry({"", 1, 3, 3, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1}), x.data(),
                           dy4.data(), dx.data());
  CHECK(dx == std::vector<float>{0, 0, 0, 0, 10, 0, 0, 0, 0});
}

TEST_CASE("maxpool2d forward matches the reference, backward matches finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (const WindowCase& c : kPoolCases) {
    INFO(c.name);
    const f32_window_geometry g = geometry(c);
    const auto x = distinct_values(rng, x_size(g));
    const auto r = uniform(rng, y_size(g));
    std::vector<float> y(y_size(g)), dx(x.size(), 7.0f);
    f32_maxpool2d_scalar(g, x.data(), y.data());
    const dvec xd = to_double(x);
    check_close("y", y, maxpool2d_ref(g, xd), 0.0, 0.0);  // a max is exact
    f32_maxpool2d_bwd_scalar(g, x.data(), r.data(), dx.data());
    // dx entries are sums of a few dy: 1e-5 relative + 1e-6 of the max covers float addition.
    check_close("dx", dx, fd_gradient(to_double(r), xd, [&](const dvec& v) { return maxpool2d_ref(g, v); }),
                1e-5, 1e-6);
  }
}

TEST_CASE("gavgpool forward: per-image, per-channel mean") {
  const std::vector<float> x = {1, 10, 2, 20, 3, 30, 6, 60, /* image 2 */ 4, 0, 4, 0, 4, 0, 4, 8};
  std::vector<float> y(4);
  f32_gavgpool_scalar(2, 4, 2, x.data(), y.data());
  CHECK(y == std::vector<float>{3, 30, 4, 2});
}

TEST_CASE("gavgpool backward matches finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t batch, pixels, channels; };
  for (Shape s : {Shape{1, 49, 5}, Shape{3, 1, 9}, Shape{2, 15, 13}}) {
    INFO("batch " << s.batch << " pixels " << s.pixels << " channels " << s.channels);
    const auto x = uniform(rng, s.batch * s.pixels * s.channels);
    const auto r = uniform(rng, s.batch * s.channels);
    std::vector<float> y(r.size()), dx(x.size());
    f32_gavgpool_scalar(s.batch, s.pixels, s.channels, x.data(), y.data());
    const dvec xd = to_double(x);
    check_close("y", y, gavgpool_ref(s.batch, s.pixels, s.channels, xd), 1e-5, 1e-6);
    f32_gavgpool_bwd_scalar(s.batch, s.pixels, s.channels, r.data(), dx.data());
    check_close("dx", dx, fd_gradient(to_double(r), xd, [&](const dvec& v) {
                  return gavgpool_ref(s.batch, s.pixels, s.channels, v);
                }), 1e-5, 1e-6);
  }
}

TEST_CASE("maxpool2d argmax variants equal the references bit for bit, any image range") {
  EDGETRAIN_SEEDED_RNG(rng);
  // Channel counts around the vector width; coarse values make ties; NaN and infinities too.
  for (size_t ch : {size_t{1}, size_t{3}, size_t{4}, size_t{13}, size_t{64}, size_t{67}}) {
    for (const WindowCase& c : kPoolCases) {
      INFO(c.name << ", channels " << ch);
      f32_window_geometry g = geometry(c);
      g.in_c = g.out_c = ch;
      auto x = uniform(rng, x_size(g), -2.0f, 2.0f);
      for (float& v : x) v = std::round(v * 2.0f) / 2.0f;
      x[0] = NAN;
      x[x.size() / 2] = -INFINITY;
      x[x.size() - 1] = INFINITY;
      const auto dy = uniform(rng, y_size(g));
      std::vector<float> y_want(dy.size()), y_got(dy.size(), 7.0f), y_eval(dy.size(), 7.0f);
      std::vector<uint8_t> tap(dy.size(), 0xff);
      f32_maxpool2d_scalar(g, x.data(), y_want.data());
      for (size_t n = 0; n < g.batch; n++) f32_maxpool2d_argmax_tiled(g, x.data(), y_got.data(), tap.data(), n, n + 1);
      CHECK(std::memcmp(y_want.data(), y_got.data(), y_want.size() * sizeof(float)) == 0);
      f32_maxpool2d_argmax_tiled(g, x.data(), y_eval.data(), nullptr, 0, g.batch);  // no taps
      CHECK(std::memcmp(y_want.data(), y_eval.data(), y_want.size() * sizeof(float)) == 0);
      for (uint8_t t : tap) REQUIRE(t < g.kernel_h * g.kernel_w);

      std::vector<float> want(x.size()), got(x.size(), 7.0f);
      f32_maxpool2d_bwd_scalar(g, x.data(), dy.data(), want.data());
      for (size_t n = 0; n < g.batch; n++) f32_maxpool2d_bwd_argmax_tiled(g, tap.data(), dy.data(), got.data(), n, n + 1);
      CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
      std::fill(got.begin(), got.end(), 7.0f);
      f32_maxpool2d_bwd_argmax_tiled(g, tap.data(), dy.data(), got.data(), 0, g.batch);
      CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
    }
  }
}

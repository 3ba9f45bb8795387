// Average pooling (PyTorch's avg_pool2d: ceil mode, count_include_pad) and max pooling in ceil
// mode: hand-computed divisors at the padded and ceil-mode edges, forwards against a naive double
// reference, backwards against finite differences, the four-channel variants bit for bit against
// the scalar references, and channel concatenation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;
using edgetrain::pool_out_extent;
using edgetrain::window_out_extent;

namespace {

// One pooling shape: square window, symmetric padding, both modes (the builder's calls).
struct PoolCase {
  size_t batch, h, w, c, kernel, stride, pad;
  bool ceil_mode;
};

f32_window_geometry pool_geometry(const PoolCase& p) {
  f32_window_geometry g{};
  g.batch = p.batch;
  g.in_h = p.h, g.in_w = p.w, g.in_c = g.out_c = p.c;
  g.out_h = pool_out_extent(p.h, p.kernel, p.stride, p.pad, p.pad, p.ceil_mode);
  g.out_w = pool_out_extent(p.w, p.kernel, p.stride, p.pad, p.pad, p.ceil_mode);
  g.kernel_h = g.kernel_w = p.kernel;
  g.stride_h = g.stride_w = p.stride;
  g.pad_top = g.pad_left = p.pad;
  g.groups = 1;
  return g;
}

// Odd sizes and channel counts around the vector width; ceil mode on shapes where it adds a
// window (7 and 9 with 2/2, 6 with 3/2/1, 5 with 3/2) and where it does not (7 with 3/2/1);
// stride 1, kernel 1.
const PoolCase kCases[] = {
    {2, 7, 7, 3, 2, 2, 0, false}, {2, 7, 7, 3, 2, 2, 0, true},  {1, 5, 9, 5, 3, 2, 1, false},
    {1, 5, 9, 5, 3, 2, 1, true},  {2, 6, 6, 7, 3, 2, 1, true},  {1, 7, 7, 13, 3, 2, 1, true},
    {1, 5, 9, 13, 3, 2, 0, true}, {3, 5, 5, 4, 3, 1, 1, false}, {1, 4, 6, 9, 1, 1, 0, false},
    {1, 9, 5, 8, 2, 2, 1, true},  {1, 7, 7, 17, 5, 3, 2, true},
};

// PyTorch's avg_pool2d, in double and from first principles: the window in unpadded coordinates,
// its padded size clipped at the padded input's end, its real cells clipped at the input's.
dvec avgpool_ref(const PoolCase& p, bool count_include_pad, const dvec& x) {
  const f32_window_geometry g = pool_geometry(p);
  dvec y(y_size(g));
  const long k = static_cast<long>(p.kernel), s = static_cast<long>(p.stride), pad = static_cast<long>(p.pad);
  const long H = static_cast<long>(p.h), W = static_cast<long>(p.w);
  for (size_t n = 0; n < p.batch; n++)
    for (long oh = 0; oh < static_cast<long>(g.out_h); oh++)
      for (long ow = 0; ow < static_cast<long>(g.out_w); ow++)
        for (size_t c = 0; c < p.c; c++) {
          const long h0 = oh * s - pad, w0 = ow * s - pad;
          const long h1 = std::min(h0 + k, H + pad), w1 = std::min(w0 + k, W + pad);
          double sum = 0;
          long cells = 0;
          for (long ih = std::max(h0, 0L); ih < std::min(h1, H); ih++)
            for (long iw = std::max(w0, 0L); iw < std::min(w1, W); iw++, cells++)
              sum += x[((n * p.h + static_cast<size_t>(ih)) * p.w + static_cast<size_t>(iw)) * p.c + c];
          const double divisor = count_include_pad ? static_cast<double>((h1 - h0) * (w1 - w0)) : static_cast<double>(cells);
          y[((n * g.out_h + static_cast<size_t>(oh)) * g.out_w + static_cast<size_t>(ow)) * p.c + c] = sum / divisor;
        }
  return y;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("pool output extents: ceil mode rounds up but never starts a window in the end padding") {
  CHECK(pool_out_extent(7, 2, 2, 0, 0, false) == 3);
  CHECK(pool_out_extent(7, 2, 2, 0, 0, true) == 4);
  CHECK(pool_out_extent(6, 2, 2, 0, 0, true) == 3);  // exact: no extra window
  CHECK(pool_out_extent(6, 3, 2, 1, 1, true) == 4);
  CHECK(pool_out_extent(5, 2, 2, 1, 1, true) == 3);  // a 4th window would start in the padding
  CHECK(pool_out_extent(5, 2, 2, 1, 1, false) == 3);
  CHECK(pool_out_extent(55, 3, 2, 0, 0, true) == 27);  // SqueezeNet's 111 -> 55 -> 27
  CHECK(pool_out_extent(112, 3, 2, 0, 0, true) == 56);  // GoogLeNet's stem pool
  for (uint64_t in = 1; in < 20; in++) {
    for (uint64_t k = 1; k <= 5; k++) {
      for (uint64_t pad = 0; 2 * pad <= k; pad++) {
        if (in + 2 * pad < k) continue;
        CAPTURE(in);
        CAPTURE(k);
        CAPTURE(pad);
        for (uint64_t s = 1; s <= 3; s++) {
          const uint64_t floor_out = window_out_extent(in, k, s, pad, pad);
          const uint64_t ceil_out = pool_out_extent(in, k, s, pad, pad, true);
          CHECK(pool_out_extent(in, k, s, pad, pad, false) == floor_out);
          CHECK((ceil_out == floor_out || ceil_out == floor_out + 1));
          CHECK((ceil_out - 1) * s < in + pad);  // the last window starts in the input or the top padding
        }
      }
    }
  }
}

TEST_CASE("avgpool2d divisors: padding counted up to the padded edge, never past it (ceil mode)") {
  // Ones over 6x6, 3x3/s2/p1 in ceil mode: 4x4 windows; by row, real cells {2, 3, 3, 1} of
  // padded cells {3, 3, 3, 2} (the last window's third row lies past the padded input).
  const PoolCase p{1, 6, 6, 1, 3, 2, 1, true};
  const f32_window_geometry g = pool_geometry(p);
  REQUIRE(g.out_h == 4);
  const std::vector<float> x(36, 1.0f);
  std::vector<float> y(16);
  f32_avgpool2d_scalar(g, {1, 1, true}, x.data(), y.data());
  const double real[] = {2, 3, 3, 1}, padded[] = {3, 3, 3, 2};
  for (size_t i = 0; i < 4; i++) {
    for (size_t j = 0; j < 4; j++) {
      CAPTURE(i);
      CAPTURE(j);
      CHECK(y[i * 4 + j] == doctest::Approx(real[i] * real[j] / (padded[i] * padded[j])));
    }
  }
  f32_avgpool2d_scalar(g, {1, 1, false}, x.data(), y.data());
  CHECK(y == std::vector<float>(16, 1.0f));
  // 1..25 over 5x5, 2x2/s2 in ceil mode: the last column and row average what they cover.
  std::vector<float> v(25);
  for (size_t i = 0; i < 25; i++) v[i] = static_cast<float>(i + 1);
  std::vector<float> z(9);
  f32_avgpool2d_scalar(pool_geometry({1, 5, 5, 1, 2, 2, 0, true}), {0, 0, true}, v.data(), z.data());
  CHECK(z == std::vector<float>{4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25});
}

TEST_CASE("avgpool2d forward matches the reference, backward matches finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (const PoolCase& p : kCases) {
    for (bool include_pad : {false, true}) {
      CAPTURE(p.h);
      CAPTURE(p.w);
      CAPTURE(p.c);
      CAPTURE(p.kernel);
      CAPTURE(p.stride);
      CAPTURE(p.pad);
      CAPTURE(p.ceil_mode);
      CAPTURE(include_pad);
      const f32_window_geometry g = pool_geometry(p);
      const f32_avgpool_params a{p.pad, p.pad, include_pad};
      const auto x = uniform(rng, x_size(g));
      const auto r = uniform(rng, y_size(g));
      std::vector<float> y(r.size()), dx(x.size(), 7.0f);
      f32_avgpool2d_scalar(g, a, x.data(), y.data());
      const dvec xd = to_double(x);
      check_close("y", y, avgpool_ref(p, include_pad, xd), 1e-5, 1e-6);
      f32_avgpool2d_bwd_scalar(g, a, r.data(), dx.data());
      check_close("dx", dx, fd_gradient(to_double(r), xd, [&](const dvec& v) { return avgpool_ref(p, include_pad, v); }),
                  1e-5, 1e-6);
    }
  }
}

TEST_CASE("avgpool2d four-channel variants equal the scalar references bit for bit, any image range") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (const PoolCase& base : kCases) {
    for (size_t ch : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{13}, size_t{67}}) {
      for (bool include_pad : {false, true}) {
        PoolCase p = base;
        p.c = ch;
        CAPTURE(p.h);
        CAPTURE(p.kernel);
        CAPTURE(p.ceil_mode);
        CAPTURE(ch);
        CAPTURE(include_pad);
        const f32_window_geometry g = pool_geometry(p);
        const f32_avgpool_params a{p.pad, p.pad, include_pad};
        const auto x = uniform(rng, x_size(g), -3.0f, 5.0f);
        const auto dy = uniform(rng, y_size(g), -3.0f, 5.0f);
        std::vector<float> want(dy.size()), got(dy.size(), 7.0f);
        f32_avgpool2d_scalar(g, a, x.data(), want.data());
        for (size_t n = 0; n < g.batch; n++) f32_avgpool2d_tiled(g, a, x.data(), got.data(), n, n + 1);
        CHECK(same_bits(got, want));
        std::vector<float> want_dx(x.size()), got_dx(x.size(), 7.0f);
        f32_avgpool2d_bwd_scalar(g, a, dy.data(), want_dx.data());
        for (size_t n = 0; n < g.batch; n++) f32_avgpool2d_bwd_tiled(g, a, dy.data(), got_dx.data(), n, n + 1);
        CHECK(same_bits(got_dx, want_dx));
        std::fill(got_dx.begin(), got_dx.end(), 7.0f);
        f32_avgpool2d_bwd_tiled(g, a, dy.data(), got_dx.data(), 0, g.batch);
        CHECK(same_bits(got_dx, want_dx));
      }
    }
  }
}

TEST_CASE("maxpool2d in ceil mode: windows clipped at the bottom and right, forward and backward") {
  EDGETRAIN_SEEDED_RNG(rng);
  // 1..25 over 5x5, 2x2/s2: the last column and row take the max of what they cover.
  std::vector<float> v(25);
  for (size_t i = 0; i < 25; i++) v[i] = static_cast<float>(i + 1);
  std::vector<float> z(9);
  f32_maxpool2d_scalar(pool_geometry({1, 5, 5, 1, 2, 2, 0, true}), v.data(), z.data());
  CHECK(z == std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25});
  for (const PoolCase& p : kCases) {
    if (!p.ceil_mode) continue;
    CAPTURE(p.h);
    CAPTURE(p.w);
    CAPTURE(p.kernel);
    const f32_window_geometry g = pool_geometry(p);
    // Distinct values: the max is differentiable at every probe.
    std::vector<float> x(x_size(g));
    for (size_t i = 0; i < x.size(); i++) x[i] = -1.0f + 2.0f * static_cast<float>(i) / static_cast<float>(x.size());
    std::shuffle(x.begin(), x.end(), rng);
    const auto dy = uniform(rng, y_size(g));
    std::vector<float> y(dy.size()), y_tiled(dy.size(), 7.0f), dx(x.size()), dx_tiled(x.size(), 7.0f);
    std::vector<uint8_t> taps(dy.size());
    f32_maxpool2d_scalar(g, x.data(), y.data());
    check_close("y", y, maxpool2d_ref(g, to_double(x)), 0.0, 0.0);
    f32_maxpool2d_argmax_tiled(g, x.data(), y_tiled.data(), taps.data(), 0, g.batch);
    CHECK(same_bits(y_tiled, y));
    f32_maxpool2d_bwd_scalar(g, x.data(), dy.data(), dx.data());
    check_close("dx", dx, fd_gradient(to_double(dy), to_double(x), [&](const dvec& u) { return maxpool2d_ref(g, u); }),
                1e-5, 1e-6);
    f32_maxpool2d_bwd_argmax_tiled(g, taps.data(), dy.data(), dx_tiled.data(), 0, g.batch);
    CHECK(same_bits(dx_tiled, dx));
  }
}

TEST_CASE("channel concat writes each input's range and leaves the rest, its backward is the slice") {
  // Three inputs of 3, 1 and 5 channels over 7 pixels into 9 channels.
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t pixels = 7, widths[] = {3, 1, 5}, channels = 9;
  std::vector<std::vector<float>> xs;
  for (size_t w : widths) xs.push_back(uniform(rng, pixels * w));
  std::vector<float> y(pixels * channels, 99.0f);
  size_t begin = 0;
  for (size_t k = 0; k < 3; k++) {
    f32_channel_concat_scalar(pixels, channels, begin, begin + widths[k], xs[k].data(), y.data());
    begin += widths[k];
  }
  begin = 0;
  for (size_t k = 0; k < 3; k++) {
    for (size_t p = 0; p < pixels; p++) {
      for (size_t c = 0; c < widths[k]; c++) CHECK(y[p * channels + begin + c] == xs[k][p * widths[k] + c]);
    }
    std::vector<float> back(pixels * widths[k]);
    f32_channel_slice_scalar(pixels, channels, begin, begin + widths[k], y.data(), back.data());
    CHECK(back == xs[k]);
    begin += widths[k];
  }
  std::vector<float> part(pixels * 2, 5.0f), whole(pixels * 4, -1.0f);
  f32_channel_concat_scalar(pixels, 4, 1, 3, part.data(), whole.data());
  for (size_t p = 0; p < pixels; p++) {
    CHECK(whole[p * 4] == -1.0f);
    CHECK(whole[p * 4 + 1] == 5.0f);
    CHECK(whole[p * 4 + 3] == -1.0f);
  }
}

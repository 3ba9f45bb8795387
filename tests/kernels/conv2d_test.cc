// Convolution: forward on hand-computed cases and against the double reference; input, weight
// and bias gradients against central differences of sum(r * conv(x, w, b)).
#include <doctest/doctest.h>

#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

namespace {

// Float kernel vs double finite differences: 1e-3 relative + 1e-4 of the tensor's max.
constexpr double kGradRtol = 1e-3, kGradAtol = 1e-4;

const WindowCase kConvCases[] = {
    // name                              N  H  W  IC  OC KH KW SH SW PT PL PB PR groups
    {"3x3 s1 p1, batch 1",               1, 5, 7, 3,  5, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {"3x3 s2 p1, groups 2",              2, 7, 5, 6, 10, 3, 3, 2, 2, 1, 1, 1, 1, 2},
    {"depthwise 3x3 s2 p1",              2, 9, 7, 5,  5, 3, 3, 2, 2, 1, 1, 1, 1, 5},
    {"depthwise 3x3 s1 p1",              3, 6, 5, 9,  9, 3, 3, 1, 1, 1, 1, 1, 1, 9},
    {"1x1 s1",                           3, 5, 5, 9,  7, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {"1x1 s2 (downsample)",              2, 6, 7, 4,  8, 1, 1, 2, 2, 0, 0, 0, 0, 1},
    {"3x3 s2, pad bottom/right only",    1, 8, 8, 3,  4, 3, 3, 2, 2, 0, 0, 1, 1, 1},
    {"3x3 s2 no pad, last row unused",   2, 8, 8, 4,  6, 3, 3, 2, 2, 0, 0, 0, 0, 1},
    {"2x3 kernel, stride 2x1, groups 3", 2, 7, 6, 6,  9, 2, 3, 2, 1, 1, 0, 0, 2, 3},
    {"5x5 s2 p2",                        1, 8, 9, 2,  3, 5, 5, 2, 2, 2, 2, 1, 2, 1},
    {"7x7 s2 p3 stem",                   1, 9, 9, 3,  4, 7, 7, 2, 2, 3, 3, 3, 3, 1},
};

}  // namespace

TEST_CASE("conv2d forward: 3x3 ones over 1..9, padding 1, strides 1 and 2") {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> w(9, 1.0f);
  const float bias = 0.5f;
  WindowCase c{"", 1, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  std::vector<float> y(9);
  f32_conv2d_scalar(geometry(c), x.data(), w.data(), &bias, y.data());
  CHECK(y == std::vector<float>{12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f});
  c.stride_h = c.stride_w = 2;
  y.assign(4, 0.0f);
  f32_conv2d_scalar(geometry(c), x.data(), w.data(), nullptr, y.data());
  CHECK(y == std::vector<float>{12, 16, 24, 28});
}

TEST_CASE("conv2d forward: groups and depthwise keep channels apart") {
  // 1x1, two groups of two input channels: [1+2, 3-4].
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> w = {1, 1, 1, -1};
  std::vector<float> y(2);
  f32_conv2d_scalar(geometry({"", 1, 1, 1, 4, 2, 1, 1, 1, 1, 0, 0, 0, 0, 2}), x.data(), w.data(),
                    nullptr, y.data());
  CHECK(y == std::vector<float>{3, -1});
  // Depthwise 2x2 over 2x2x2: channel 0 sums 1..4, channel 1 takes its bottom-right 40.
  x = {1, 10, 2, 20, 3, 30, 4, 40};
  w = {1, 1, 1, 1, 0, 0, 0, 1};
  f32_conv2d_scalar(geometry({"", 1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 2}), x.data(), w.data(),
                    nullptr, y.data());
  CHECK(y == std::vector<float>{10, 40});
}

TEST_CASE("conv2d forward matches the double reference") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (const WindowCase& c : kConvCases) {
    INFO(c.name);
    const f32_window_geometry g = geometry(c);
    const auto x = uniform(rng, x_size(g)), w = uniform(rng, w_size(g)), b = uniform(rng, g.out_c);
    std::vector<float> y(y_size(g));
    f32_conv2d_scalar(g, x.data(), w.data(), b.data(), y.data());
    const dvec bd = to_double(b);
    check_close("y", y, conv2d_ref(g, to_double(x), to_double(w), &bd), 1e-5, 1e-6);
  }
}

TEST_CASE("conv2d backward: data, weight and bias gradients match finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (const WindowCase& c : kConvCases) {
    INFO(c.name);
    const f32_window_geometry g = geometry(c);
    const auto x = uniform(rng, x_size(g)), w = uniform(rng, w_size(g)), b = uniform(rng, g.out_c);
    const auto r = uniform(rng, y_size(g));  // the objective's weights, and dy
    const dvec xd = to_double(x), wd = to_double(w), bd = to_double(b), rd = to_double(r);

    std::vector<float> dx(x.size(), 7.0f), dw(w.size(), 7.0f), db(b.size(), 7.0f);
    f32_conv2d_bwd_data_scalar(g, r.data(), w.data(), dx.data());
    f32_conv2d_bwd_weights_scalar(g, x.data(), r.data(), dw.data(), db.data());

    check_close("dx", dx, fd_gradient(rd, xd, [&](const dvec& v) { return conv2d_ref(g, v, wd, &bd); }),
                kGradRtol, kGradAtol);
    check_close("dw", dw, fd_gradient(rd, wd, [&](const dvec& v) { return conv2d_ref(g, xd, v, &bd); }),
                kGradRtol, kGradAtol);
    check_close("dbias", db, fd_gradient(rd, bd, [&](const dvec& v) { return conv2d_ref(g, xd, wd, &v); }),
                kGradRtol, kGradAtol);

    // A null dbias skips the bias and leaves dw unchanged.
    std::vector<float> dw2(w.size(), -3.0f);
    f32_conv2d_bwd_weights_scalar(g, x.data(), r.data(), dw2.data(), nullptr);
    CHECK(dw2 == dw);
  }
}

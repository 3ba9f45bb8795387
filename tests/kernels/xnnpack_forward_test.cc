// XNNPACK's forward operators (Debian's 2022-02 build, old create/setup/run API) agree with our
// scalar forward references. This pins the weight layouts and padding conventions the runtime
// relies on when it calls XNNPACK instead of the scalar kernels.
#include <doctest/doctest.h>
#include <xnnpack.h>

#include <cmath>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

namespace {

// Forward agreement: 1e-5 relative + 1e-5 of the tensor's max (XNNPACK sums in another order
// and may fuse multiply-adds).
constexpr double kRtol = 1e-5, kAtol = 1e-5;

// XNNPACK may read up to XNN_EXTRA_BYTES past the end of an input.
std::vector<float> padded_input(std::mt19937& rng, size_t n) {
  std::vector<float> v = uniform(rng, n);
  v.resize(n + XNN_EXTRA_BYTES / sizeof(float), 0.0f);
  return v;
}

void init_xnnpack() { REQUIRE(xnn_initialize(nullptr) == xnn_status_success); }

// Runs a set-up operator once and deletes it; XNNPACK never throws, so every call is checked.
void run_and_delete(xnn_operator_t op) {
  CHECK(xnn_run_operator(op, nullptr) == xnn_status_success);
  CHECK(xnn_delete_operator(op) == xnn_status_success);
}

uint32_t u32(size_t v) { return static_cast<uint32_t>(v); }

}  // namespace

TEST_CASE("xnnpack convolution2d == f32_conv2d_scalar (stride, padding, groups, depthwise)") {
  init_xnnpack();
  EDGETRAIN_SEEDED_RNG(rng);
  const WindowCase cases[] = {
      // name                              N  H   W  IC  OC KH KW SH SW PT PL PB PR groups
      {"3x3 s1 p1",                        2, 9,  7, 3,  8, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {"3x3 s2 p1, odd channels",          1, 11, 9, 5,  7, 3, 3, 2, 2, 1, 1, 1, 1, 1},
      {"3x3 s2 p1, groups 3",              2, 7,  8, 6,  9, 3, 3, 2, 2, 1, 1, 1, 1, 3},
      {"depthwise 3x3 s1 p1",              2, 8,  6, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1, 13},
      {"depthwise 3x3 s2 p1",              1, 9,  9, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, 10},
      {"1x1 s1",                           3, 5,  5, 17, 11, 1, 1, 1, 1, 0, 0, 0, 0, 1},
      {"1x1 s2",                           2, 6,  7, 4,  8, 1, 1, 2, 2, 0, 0, 0, 0, 1},
      {"3x3 s2, pad bottom/right only",    1, 8,  8, 3,  4, 3, 3, 2, 2, 0, 0, 1, 1, 1},
      {"7x7 s2 p3 stem",                   1, 16, 16, 3, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1},
  };
  for (const WindowCase& c : cases) {
    INFO(c.name);
    const f32_window_geometry g = geometry(c);
    const auto x = padded_input(rng, x_size(g));
    const auto w = uniform(rng, w_size(g)), b = uniform(rng, g.out_c);
    std::vector<float> want(y_size(g)), got(y_size(g));
    f32_conv2d_scalar(g, x.data(), w.data(), b.data(), want.data());

    // Our [OC][KH][KW][IC/groups] is XNNPACK's [groups][OC/groups][KH][KW][IC/groups].
    xnn_operator_t op = nullptr;
    REQUIRE(xnn_create_convolution2d_nhwc_f32(
                u32(c.pad_top), u32(c.pad_right), u32(c.pad_bottom), u32(c.pad_left),
                u32(c.kernel_h), u32(c.kernel_w), u32(c.stride_h), u32(c.stride_w), 1, 1,
                u32(c.groups), c.in_c / c.groups, c.out_c / c.groups, c.in_c, c.out_c, w.data(),
                b.data(), -INFINITY, INFINITY, 0, &op) == xnn_status_success);
    REQUIRE(xnn_setup_convolution2d_nhwc_f32(op, g.batch, g.in_h, g.in_w, x.data(), got.data(),
                                             nullptr) == xnn_status_success);
    run_and_delete(op);
    check_close("y", got, to_double(want), kRtol, kAtol);
  }
}

TEST_CASE("xnnpack fully_connected == f32_fc_scalar") {
  init_xnnpack();
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t batch, in, out; };
  for (Shape s : {Shape{1, 7, 5}, Shape{4, 64, 10}, Shape{3, 1, 3}, Shape{5, 33, 17}}) {
    INFO("batch " << s.batch << " in " << s.in << " out " << s.out);
    const auto x = padded_input(rng, s.batch * s.in);
    const auto w = uniform(rng, s.out * s.in), b = uniform(rng, s.out);
    std::vector<float> want(s.batch * s.out), got(want.size());
    f32_fc_scalar(s.batch, s.in, s.out, x.data(), w.data(), b.data(), want.data());
    xnn_operator_t op = nullptr;
    REQUIRE(xnn_create_fully_connected_nc_f32(s.in, s.out, s.in, s.out, w.data(), b.data(),
                                              -INFINITY, INFINITY, 0, &op) == xnn_status_success);
    REQUIRE(xnn_setup_fully_connected_nc_f32(op, s.batch, x.data(), got.data(), nullptr) ==
            xnn_status_success);
    run_and_delete(op);
    check_close("y", got, to_double(want), kRtol, kAtol);
  }
}

TEST_CASE("xnnpack max_pooling2d == f32_maxpool2d_scalar") {
  init_xnnpack();
  EDGETRAIN_SEEDED_RNG(rng);
  const WindowCase cases[] = {
      // name                  N  H   W  C   C  KH KW SH SW PT PL PB PR
      {"2x2 s2",               2, 8,  6, 5,  5, 2, 2, 2, 2, 0, 0, 0, 0, 1},
      {"2x2 s2, odd H/W",      1, 7,  9, 16, 16, 2, 2, 2, 2, 0, 0, 0, 0, 1},
      {"3x3 s2 p1",            2, 9,  9, 7,  7, 3, 3, 2, 2, 1, 1, 1, 1, 1},
  };
  for (const WindowCase& c : cases) {
    INFO(c.name);
    const f32_window_geometry g = geometry(c);
    const auto x = padded_input(rng, x_size(g));
    std::vector<float> want(y_size(g)), got(y_size(g));
    f32_maxpool2d_scalar(g, x.data(), want.data());
    xnn_operator_t op = nullptr;
    REQUIRE(xnn_create_max_pooling2d_nhwc_f32(
                u32(c.pad_top), u32(c.pad_right), u32(c.pad_bottom), u32(c.pad_left),
                u32(c.kernel_h), u32(c.kernel_w), u32(c.stride_h), u32(c.stride_w), 1, 1, c.in_c,
                c.in_c, c.in_c, -INFINITY, INFINITY, 0, &op) == xnn_status_success);
    REQUIRE(xnn_setup_max_pooling2d_nhwc_f32(op, g.batch, g.in_h, g.in_w, x.data(), got.data(),
                                             nullptr) == xnn_status_success);
    run_and_delete(op);
    CHECK(got == want);  // a max is exact
  }
}

TEST_CASE("xnnpack global_average_pooling == f32_gavgpool_scalar") {
  init_xnnpack();
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t batch, pixels, channels; };
  for (Shape s : {Shape{1, 49, 5}, Shape{4, 16, 64}, Shape{3, 1, 9}, Shape{2, 15, 13}}) {
    INFO("batch " << s.batch << " pixels " << s.pixels << " channels " << s.channels);
    const auto x = padded_input(rng, s.batch * s.pixels * s.channels);
    std::vector<float> want(s.batch * s.channels), got(want.size());
    f32_gavgpool_scalar(s.batch, s.pixels, s.channels, x.data(), want.data());
    xnn_operator_t op = nullptr;
    REQUIRE(xnn_create_global_average_pooling_nwc_f32(s.channels, s.channels, s.channels,
                                                      -INFINITY, INFINITY, 0, &op) ==
            xnn_status_success);
    REQUIRE(xnn_setup_global_average_pooling_nwc_f32(op, s.batch, s.pixels, x.data(), got.data(),
                                                     nullptr) == xnn_status_success);
    run_and_delete(op);
    check_close("y", got, to_double(want), kRtol, kAtol);
  }
}

TEST_CASE("xnnpack clamp(0, inf) == f32_relu_scalar") {
  init_xnnpack();
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t rows = 13, channels = 7;
  const auto x = padded_input(rng, rows * channels);
  std::vector<float> want(rows * channels), got(want.size());
  f32_relu_scalar(want.size(), x.data(), want.data());
  xnn_operator_t op = nullptr;
  REQUIRE(xnn_create_clamp_nc_f32(channels, channels, channels, 0.0f, INFINITY, 0, &op) ==
          xnn_status_success);
  REQUIRE(xnn_setup_clamp_nc_f32(op, rows, x.data(), got.data(), nullptr) == xnn_status_success);
  run_and_delete(op);
  CHECK(got == want);
}

// Channel shuffle and slice: hand-computed cases, a naive reference (the shuffle as PyTorch writes
// it: a [groups, channels / groups] view per pixel, transposed), the tiled shuffle bit for bit
// against the scalar one, backwards as inverses and against finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

namespace {

// x.view(pixels, groups, C / groups).transpose(1, 2), in double.
dvec shuffle_ref(size_t pixels, size_t channels, size_t groups, const dvec& x) {
  const size_t per_group = channels / groups;
  dvec y(x.size());
  for (size_t p = 0; p < pixels; p++) {
    for (size_t i = 0; i < groups; i++) {
      for (size_t k = 0; k < per_group; k++) y[p * channels + k * groups + i] = x[p * channels + i * per_group + k];
    }
  }
  return y;
}

dvec slice_ref(size_t pixels, size_t channels, size_t begin, size_t end, const dvec& x) {
  dvec y;
  for (size_t p = 0; p < pixels; p++) y.insert(y.end(), x.begin() + p * channels + begin, x.begin() + p * channels + end);
  return y;
}

// Shapes around the vector width and ShuffleNetV2's: two groups of any width (58 = 116 / 2), the
// two-channel groups of their inverse, other group counts, the identities (1 group, C groups).
struct ShuffleCase {
  size_t channels, groups;
};
const ShuffleCase kShuffleCases[] = {{6, 2},  {12, 3}, {2, 2},   {8, 2},  {14, 2}, {58, 2}, {26, 13},
                                     {6, 3},  {15, 5}, {21, 7},  {7, 1},  {13, 13}, {36, 4}, {116, 2}};

// Random values with bit patterns a copy must keep: -0 and a NaN payload.
std::vector<float> copy_values(std::mt19937& rng, size_t n) {
  std::vector<float> v = uniform(rng, n);
  if (n > 1) v[1] = -0.0f;
  if (n > 2) {
    const uint32_t nan_bits = 0x7fc01234u;
    std::memcpy(&v[2], &nan_bits, 4);
  }
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("channel shuffle by hand: PyTorch's channel_shuffle on 6 channels in 2 groups, 12 in 3") {
  std::vector<float> x(12), y(12);
  for (size_t c = 0; c < x.size(); c++) x[c] = static_cast<float>(c);
  f32_channel_shuffle_scalar(2, 6, 2, x.data(), y.data());  // two pixels
  CHECK(y == std::vector<float>{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11});
  f32_channel_shuffle_tiled(2, 6, 2, x.data(), y.data());
  CHECK(y == std::vector<float>{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11});
  f32_channel_shuffle_scalar(1, 12, 3, x.data(), y.data());
  CHECK(y == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  f32_channel_shuffle_tiled(1, 12, 3, x.data(), y.data());
  CHECK(y == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
}

TEST_CASE("channel shuffle: scalar equals the naive reference, tiled equals scalar bit for bit, the shuffle over C / g undoes it") {
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t pixels = 5 * 7;
  for (const ShuffleCase& s : kShuffleCases) {
    INFO("channels " << s.channels << ", groups " << s.groups);
    const std::vector<float> x = copy_values(rng, pixels * s.channels);
    std::vector<float> want(x.size(), 7.0f), got(x.size(), 7.0f), back(x.size(), 7.0f);
    f32_channel_shuffle_scalar(pixels, s.channels, s.groups, x.data(), want.data());
    const dvec ref = shuffle_ref(pixels, s.channels, s.groups, to_double(x));
    for (size_t i = 0; i < x.size(); i++) REQUIRE((want[i] == ref[i] || (std::isnan(want[i]) && std::isnan(ref[i]))));
    f32_channel_shuffle_tiled(pixels, s.channels, s.groups, x.data(), got.data());
    CHECK(same_bits(got, want));
    const size_t inverse = s.channels / s.groups;
    f32_channel_shuffle_scalar(pixels, s.channels, inverse, want.data(), back.data());
    CHECK(same_bits(back, x));
    std::fill(back.begin(), back.end(), 7.0f);
    f32_channel_shuffle_tiled(pixels, s.channels, inverse, got.data(), back.data());
    CHECK(same_bits(back, x));
  }
}

TEST_CASE("channel shuffle backward (the shuffle over C / g) matches finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t pixels = 5 * 3;
  for (const ShuffleCase& s : {ShuffleCase{6, 2}, ShuffleCase{12, 3}, ShuffleCase{15, 5}}) {
    INFO("channels " << s.channels << ", groups " << s.groups);
    const auto x = uniform(rng, pixels * s.channels), r = uniform(rng, x.size());
    std::vector<float> dx(x.size(), 7.0f);
    f32_channel_shuffle_tiled(pixels, s.channels, s.channels / s.groups, r.data(), dx.data());
    check_close("dx", dx, fd_gradient(to_double(r), to_double(x), [&](const dvec& v) {
                  return shuffle_ref(pixels, s.channels, s.groups, v);
                }), 1e-6, 1e-7);
  }
}

TEST_CASE("channel slice by hand: the chunks of 5 channels, and the backward's zeros") {
  const std::vector<float> x = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14};  // two pixels
  std::vector<float> y(4, 7.0f);
  f32_channel_slice_scalar(2, 5, 0, 2, x.data(), y.data());
  CHECK(y == std::vector<float>{0, 1, 10, 11});
  y.assign(6, 7.0f);
  f32_channel_slice_scalar(2, 5, 2, 5, x.data(), y.data());
  CHECK(y == std::vector<float>{2, 3, 4, 12, 13, 14});
  std::vector<float> dx(10, 7.0f);
  f32_channel_slice_bwd_scalar(2, 5, 1, 3, std::vector<float>{1, 2, 3, 4}.data(), dx.data());
  CHECK(dx == std::vector<float>{0, 1, 2, 0, 0, 0, 3, 4, 0, 0});
}

TEST_CASE("channel slice equals the naive reference, its backward matches finite differences") {
  EDGETRAIN_SEEDED_RNG(rng);
  struct SliceCase {
    size_t channels, begin, end;
  };
  const size_t pixels = 5 * 7;
  for (const SliceCase& s : {SliceCase{6, 0, 3}, SliceCase{6, 3, 6}, SliceCase{13, 4, 11}, SliceCase{7, 0, 7},
                             SliceCase{3, 2, 3}, SliceCase{58, 29, 58}}) {
    INFO("channels " << s.channels << ", [" << s.begin << ", " << s.end << ")");
    const auto x = uniform(rng, pixels * s.channels);
    const size_t width = s.end - s.begin;
    std::vector<float> y(pixels * width, 7.0f), dx(x.size(), 7.0f);
    f32_channel_slice_scalar(pixels, s.channels, s.begin, s.end, x.data(), y.data());
    check_close("y", y, slice_ref(pixels, s.channels, s.begin, s.end, to_double(x)), 0.0, 0.0);
    const auto r = uniform(rng, y.size());
    f32_channel_slice_bwd_scalar(pixels, s.channels, s.begin, s.end, r.data(), dx.data());
    check_close("dx", dx, fd_gradient(to_double(r), to_double(x), [&](const dvec& v) {
                  return slice_ref(pixels, s.channels, s.begin, s.end, v);
                }), 1e-6, 1e-7);
  }
}

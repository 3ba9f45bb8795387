#include "image_resample.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/splitmix.h"

namespace edgetrain {

namespace {

// A uniform double in [0, 1) from 53 bits.
double unit(uint64_t bits) { return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0); }

CropWindow cover(uint32_t src_w, uint32_t src_h, uint32_t dst_w, uint32_t dst_h, double zoom) {
  CropWindow w;
  const double scale = zoom * std::max(static_cast<double>(dst_w) / src_w, static_cast<double>(dst_h) / src_h);
  w.step = 1.0 / scale;
  return w;
}

constexpr int kMaxTaps = 64;
// The filter's half-width in source pixels: widened when shrinking (antialiasing), up to a 31x
// shrink (after a JPEG's own 8x), past which it samples rather than averages.
constexpr double kMaxRadius = (kMaxTaps - 2) / 2.0;

// The taps of output position `out` along one axis: the first source index and the normalised
// weights of the triangle centred on it. Returns the tap count (<= kMaxTaps).
int taps(double x0, double step, uint32_t out, int* first, float* weights) {
  const double radius = std::min(std::max(1.0, step), kMaxRadius);
  const double centre = x0 + (out + 0.5) * step;
  const int lo = static_cast<int>(std::floor(centre - radius));
  const int hi = static_cast<int>(std::ceil(centre + radius));
  double w[kMaxTaps];
  double sum = 0;
  int n = 0;
  for (int j = lo; j <= hi && n < kMaxTaps; ++j, ++n) {
    w[n] = std::max(0.0, 1.0 - std::fabs(j + 0.5 - centre) / radius);
    sum += w[n];
  }
  for (int k = 0; k < n; ++k) weights[k] = static_cast<float>(w[k] / sum);
  *first = lo;
  return n;
}

int clamp_index(int j, uint32_t len) { return std::min(std::max(j, 0), static_cast<int>(len) - 1); }

}  // namespace

CropWindow center_window(uint32_t src_w, uint32_t src_h, uint32_t dst_w, uint32_t dst_h) {
  CropWindow w = cover(src_w, src_h, dst_w, dst_h, 1.0);
  w.x0 = (src_w - dst_w * w.step) / 2;
  w.y0 = (src_h - dst_h * w.step) / 2;
  return w;
}

CropWindow random_window(uint32_t src_w, uint32_t src_h, uint32_t dst_w, uint32_t dst_h, uint64_t key) {
  CropWindow w = cover(src_w, src_h, dst_w, dst_h, 8.0 / 7.0);
  const uint64_t a = splitmix_mix(key ^ 0x5851f42d4c957f2dull), b = splitmix_mix(a), c = splitmix_mix(b);
  w.x0 = unit(a) * (src_w - dst_w * w.step);
  w.y0 = unit(b) * (src_h - dst_h * w.step);
  w.flip = (c >> 63) != 0;
  return w;
}

void covering_size(uint32_t src_w, uint32_t src_h, const CropWindow& window, uint32_t* need_w, uint32_t* need_h) {
  *need_w = std::min(src_w, static_cast<uint32_t>(std::ceil(src_w / window.step)));
  *need_h = std::min(src_h, static_cast<uint32_t>(std::ceil(src_h / window.step)));
}

CropWindow rescale_window(const CropWindow& w, uint32_t from_w, uint32_t to_w) {
  const double r = static_cast<double>(to_w) / from_w;
  CropWindow out = w;
  out.x0 *= r, out.y0 *= r, out.step *= r;
  return out;
}

size_t resample_scratch_floats(uint32_t src_h, uint32_t dst_w, uint32_t channels) {
  return size_t{src_h} * dst_w * channels + 2 * kMaxTaps;
}

void resample(const uint8_t* src, uint32_t src_w, uint32_t src_h, uint32_t channels, const CropWindow& window,
              uint8_t* dst, uint32_t dst_w, uint32_t dst_h, float* scratch) {
  assert(src_w > 0 && src_h > 0 && channels > 0 && channels <= 4);
  float* weights = scratch;
  float* rows = scratch + 2 * kMaxTaps;  // src_h x dst_w x channels: every source row, filtered across
  // The source rows the vertical filter reaches.
  int first = 0;
  taps(window.y0, window.step, 0, &first, weights);
  const int row_lo = clamp_index(first, src_h);
  const int bottom_taps = taps(window.y0, window.step, dst_h - 1, &first, weights);
  const int row_hi = clamp_index(first + bottom_taps - 1, src_h);
  for (uint32_t x = 0; x < dst_w; ++x) {
    const int n = taps(window.x0, window.step, x, &first, weights);
    const uint32_t out_x = window.flip ? dst_w - 1 - x : x;
    for (int y = row_lo; y <= row_hi; ++y) {
      const uint8_t* row = src + size_t(y) * src_w * channels;
      float acc[4] = {0, 0, 0, 0};
      for (int k = 0; k < n; ++k) {
        const uint8_t* px = row + size_t(clamp_index(first + k, src_w)) * channels;
        for (uint32_t c = 0; c < channels; ++c) acc[c] += weights[k] * px[c];
      }
      float* out = rows + (size_t(y) * dst_w + out_x) * channels;
      for (uint32_t c = 0; c < channels; ++c) out[c] = acc[c];
    }
  }
  for (uint32_t y = 0; y < dst_h; ++y) {
    const int n = taps(window.y0, window.step, y, &first, weights);
    uint8_t* out = dst + size_t(y) * dst_w * channels;
    for (uint32_t i = 0; i < dst_w * channels; ++i) {
      float acc = 0;
      for (int k = 0; k < n; ++k) acc += weights[k] * rows[size_t(clamp_index(first + k, src_h)) * dst_w * channels + i];
      out[i] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, std::nearbyint(acc))));
    }
  }
}

}  // namespace edgetrain

// Channel slice: a copy of each pixel's channels [begin, end).
#include <cassert>

#include "kernels/kernels.h"

void f32_channel_slice_scalar(size_t pixels, size_t channels, size_t begin, size_t end,
                              const float* x, float* y) {
  assert(begin < end && end <= channels);
  assert(pixels == 0 || (x != nullptr && y != nullptr));
  const size_t width = end - begin;
  for (size_t p = 0; p < pixels; p++) {
    const float* xp = x + p * channels + begin;
    float* yp = y + p * width;
    for (size_t c = 0; c < width; c++) yp[c] = xp[c];
  }
}

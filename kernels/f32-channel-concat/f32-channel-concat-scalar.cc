// Channel concatenation, one input at a time: x's channels copied into each pixel's [begin, end)
// of y, the rest of y untouched (the other inputs write it).
#include <cassert>

#include "kernels/kernels.h"

void f32_channel_concat_scalar(size_t pixels, size_t channels, size_t begin, size_t end,
                               const float* x, float* y) {
  assert(begin < end && end <= channels);
  assert(pixels == 0 || (x != nullptr && y != nullptr));
  const size_t width = end - begin;
  for (size_t p = 0; p < pixels; p++) {
    const float* xp = x + p * width;
    float* yp = y + p * channels + begin;
    for (size_t c = 0; c < width; c++) yp[c] = xp[c];
  }
}

// Channel slice backward: dy back in its channels [begin, end) of each pixel, zero around it
// (written, not accumulated: the planner sums the gradients of slices of one tensor with Add).
#include <cassert>

#include "kernels/kernels.h"

void f32_channel_slice_bwd_scalar(size_t pixels, size_t channels, size_t begin, size_t end,
                                  const float* dy, float* dx) {
  assert(begin < end && end <= channels);
  assert(pixels == 0 || (dy != nullptr && dx != nullptr));
  const size_t width = end - begin;
  for (size_t p = 0; p < pixels; p++) {
    const float* dyp = dy + p * width;
    float* dxp = dx + p * channels;
    for (size_t c = 0; c < begin; c++) dxp[c] = 0.0f;
    for (size_t c = 0; c < width; c++) dxp[begin + c] = dyp[c];
    for (size_t c = end; c < channels; c++) dxp[c] = 0.0f;
  }
}

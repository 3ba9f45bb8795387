// The input image from bytes to the network's floats: y = (x / 255 - mean[c]) / std[c] for the
// `channels` interleaved channels of NHWC pixels (one channel: the same bits as a scalar pair). The arena holds
// the batch as bytes for the whole step (a quarter of the floats); this op makes the floats
// whenever the first layer needs them, first forward or recompute alike.
#include <cassert>
#include <cstdint>

#include "kernels/kernels.h"

void u8_normalize_scalar(size_t pixels, size_t channels, const float* mean, const float* std,
                         const uint8_t* x, float* y) {
  assert(pixels == 0 || (x != nullptr && y != nullptr));
  assert(channels >= 1 && mean != nullptr && std != nullptr);
  for (size_t c = 0; c < channels; c++) assert(std[c] > 0.0f);
  for (size_t p = 0; p < pixels; p++, x += channels, y += channels) {
    for (size_t c = 0; c < channels; c++) y[c] = (static_cast<float>(x[c]) / 255.0f - mean[c]) / std[c];
  }
}

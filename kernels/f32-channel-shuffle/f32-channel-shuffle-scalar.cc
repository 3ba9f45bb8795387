// Channel shuffle, the reference: PyTorch's definition read off per output channel.
#include <cassert>

#include "kernels/kernels.h"

void f32_channel_shuffle_scalar(size_t pixels, size_t channels, size_t groups, const float* x,
                                float* y) {
  assert(groups >= 1 && channels % groups == 0);
  assert(pixels == 0 || channels == 0 || (x != nullptr && y != nullptr && x != y));
  const size_t per_group = channels / groups;
  for (size_t p = 0; p < pixels; p++) {
    const float* xp = x + p * channels;
    float* yp = y + p * channels;
    for (size_t c = 0; c < channels; c++) yp[c] = xp[(c % groups) * per_group + c / groups];
  }
}

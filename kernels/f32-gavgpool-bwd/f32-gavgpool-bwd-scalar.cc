// Global-average-pool backward: every pixel of an image gets dy / pixels.
#include <cassert>

#include "kernels/kernels.h"

void f32_gavgpool_bwd_scalar(size_t batch, size_t pixels, size_t channels, const float* dy,
                             float* dx) {
  assert(pixels >= 1);
  assert(dy != nullptr && dx != nullptr);
  const float scale = 1.0f / static_cast<float>(pixels);
  for (size_t n = 0; n < batch; n++) {
    for (size_t p = 0; p < pixels; p++) {
      float* dxp = dx + (n * pixels + p) * channels;
      for (size_t c = 0; c < channels; c++) dxp[c] = dy[n * channels + c] * scale;
    }
  }
}

// Global average pooling: x [N, pixels, C] -> y [N, C].
#include <cassert>

#include "kernels/kernels.h"

void f32_gavgpool_scalar(size_t batch, size_t pixels, size_t channels, const float* x, float* y) {
  assert(pixels >= 1);
  assert(x != nullptr && y != nullptr);
  const float scale = 1.0f / static_cast<float>(pixels);
  for (size_t n = 0; n < batch; n++) {
    const float* xn = x + n * pixels * channels;
    for (size_t c = 0; c < channels; c++) {
      float acc = 0.0f;
      for (size_t p = 0; p < pixels; p++) acc += xn[p * channels + c];
      y[n * channels + c] = acc * scale;
    }
  }
}

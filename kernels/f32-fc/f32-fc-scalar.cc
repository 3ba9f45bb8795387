// Fully connected: y = x w^T + bias, w stored [out][in] as PyTorch's Linear and XNNPACK.
#include <cassert>

#include "kernels/kernels.h"

void f32_fc_scalar(size_t batch, size_t in, size_t out, const float* x, const float* w,
                   const float* bias, float* y) {
  assert(x != nullptr && w != nullptr && y != nullptr);
  for (size_t n = 0; n < batch; n++) {
    for (size_t o = 0; o < out; o++) {
      float acc = bias != nullptr ? bias[o] : 0.0f;
      for (size_t i = 0; i < in; i++) acc += x[n * in + i] * w[o * in + i];
      y[n * out + o] = acc;
    }
  }
}

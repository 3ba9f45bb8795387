// Fully connected input gradient: dx = dy w.
#include <cassert>

#include "kernels/kernels.h"

void f32_fc_bwd_data_scalar(size_t batch, size_t in, size_t out, const float* dy, const float* w,
                            float* dx) {
  assert(dy != nullptr && w != nullptr && dx != nullptr);
  for (size_t n = 0; n < batch; n++) {
    for (size_t i = 0; i < in; i++) {
      float acc = 0.0f;
      for (size_t o = 0; o < out; o++) acc += dy[n * out + o] * w[o * in + i];
      dx[n * in + i] = acc;
    }
  }
}

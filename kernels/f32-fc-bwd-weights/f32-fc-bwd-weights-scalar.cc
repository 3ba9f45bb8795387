// Fully connected parameter gradients: dw = dy^T x, dbias = column sums of dy.
#include <cassert>

#include "kernels/kernels.h"

void f32_fc_bwd_weights_scalar(size_t batch, size_t in, size_t out, const float* x,
                               const float* dy, float* dw, float* dbias) {
  assert(x != nullptr && dy != nullptr && dw != nullptr);
  for (size_t o = 0; o < out; o++) {
    for (size_t i = 0; i < in; i++) {
      float acc = 0.0f;
      for (size_t n = 0; n < batch; n++) acc += dy[n * out + o] * x[n * in + i];
      dw[o * in + i] = acc;
    }
    if (dbias != nullptr) {
      float acc = 0.0f;
      for (size_t n = 0; n < batch; n++) acc += dy[n * out + o];
      dbias[o] = acc;
    }
  }
}

// HardSigmoid forward as ONNX defines it, y = clamp(alpha * x + beta, 0, 1) (PyTorch's
// nn.Hardsigmoid exports alpha = 1/6, beta = 1/2); NaN propagates.
#include <cassert>

#include "kernels/kernels.h"

void f32_hardsigmoid_scalar(size_t n, float alpha, float beta, const float* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  for (size_t i = 0; i < n; i++) {
    const float t = alpha * x[i] + beta;
    y[i] = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  }
}

// HardSigmoid backward from the forward's output: 0 < y < 1 exactly where the clamp was
// inactive (0 < alpha * x + beta < 1), so x need not be kept and the forward may overwrite it.
#include <cassert>

#include "kernels/kernels.h"

void f32_hardsigmoid_bwd_scalar(size_t n, float alpha, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f && y[i] < 1.0f ? dy[i] * alpha : 0.0f;
}

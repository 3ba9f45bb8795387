// ReLU6 backward from the forward's output: the gradient passes only where the clamp was
// inactive. Working from y (not x) lets the planner drop x.
#include <cassert>

#include "kernels/kernels.h"

void f32_relu6_bwd_scalar(size_t n, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i++) dx[i] = (y[i] > 0.0f && y[i] < 6.0f) ? dy[i] : 0.0f;
}

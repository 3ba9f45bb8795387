#include <cassert>

#include "kernels/kernels.h"

// Masks on the output, not the input, so the input can be freed (or overwritten in place) after
// the forward. y > 0 exactly where x > 0; the kink at 0 gets gradient 0, as PyTorch's
// threshold_backward (written the same way round, so a NaN output lets the gradient through).
void f32_relu_bwd_scalar(size_t n, const float* y, const float* dy, float* dx) {
  assert(n == 0 || (y != nullptr && dy != nullptr && dx != nullptr));
  for (size_t i = 0; i < n; i++) dx[i] = y[i] <= 0.0f ? 0.0f : dy[i];
}

// The input image from bytes to the network's floats: y = (x / 255 - mean) / std. The arena holds
// the batch as bytes for the whole step (a quarter of the floats); this op makes the floats
// whenever the first layer needs them, first forward or recompute alike.
#include <cassert>
#include <cstdint>

#include "kernels/kernels.h"

void u8_normalize_scalar(size_t n, float mean, float std, const uint8_t* x, float* y) {
  assert(n == 0 || (x != nullptr && y != nullptr));
  assert(std > 0.0f);
  for (size_t i = 0; i < n; i++) y[i] = (static_cast<float>(x[i]) / 255.0f - mean) / std;
}

// Output extents of window ops (convolution, pooling), as the planner sizes their outputs and
// the runtime checks them: part of the plan's contract, so both sides compute them one way.
#pragma once

#include <cstdint>

namespace edgetrain {

// Output extent of a window op along one axis (floor mode, as PyTorch); 0 when the window does
// not fit in the padded input.
constexpr uint64_t window_out_extent(uint64_t in, uint64_t kernel, uint64_t stride,
                                     uint64_t pad_before, uint64_t pad_after) {
  return in + pad_before + pad_after < kernel || stride == 0
             ? 0
             : (in + pad_before + pad_after - kernel) / stride + 1;
}

}  // namespace edgetrain

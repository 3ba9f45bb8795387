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

// The same for pooling with PyTorch's (and ONNX's) ceil_mode: the extent rounds up, less one
// when that last window would start in the bottom/right padding (it must start in the input or
// the top/left padding), so every window holds at least one input cell. Floor mode is
// window_out_extent.
constexpr uint64_t pool_out_extent(uint64_t in, uint64_t kernel, uint64_t stride, uint64_t pad_before,
                                   uint64_t pad_after, bool ceil_mode) {
  if (!ceil_mode || in + pad_before + pad_after < kernel || stride == 0) {
    return window_out_extent(in, kernel, stride, pad_before, pad_after);
  }
  const uint64_t out = (in + pad_before + pad_after - kernel + stride - 1) / stride + 1;
  return (out - 1) * stride >= in + pad_before ? out - 1 : out;
}

}  // namespace edgetrain

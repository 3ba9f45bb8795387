// The conv backward variants the golden and agreement tests run: the scalar reference and the
// variants the runtime selects (kernels/select.h), each as plain function pointers.
#pragma once

#include <vector>

#include "kernels/kernels.h"

namespace edgetrain::test {

struct ConvBwdVariant {
  const char* name;
  void (*bwd_data)(const f32_window_geometry&, const float* dy, const float* w, float* dx);
  void (*bwd_weights)(const f32_window_geometry&, const float* x, const float* dy, float* dw,
                      float* dbias);
};

inline std::vector<ConvBwdVariant> conv_bwd_variants() {
  return {{"scalar", f32_conv2d_bwd_data_scalar, f32_conv2d_bwd_weights_scalar}};
}

}  // namespace edgetrain::test

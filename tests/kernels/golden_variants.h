// The conv backward variants the golden and agreement tests run: the scalar reference and the
// variants the runtime selects (kernels/select.h), each as plain function pointers.
#pragma once

#include <vector>

#include "kernels/kernels.h"
#include "kernels/select.h"

namespace edgetrain::test {

struct ConvBwdVariant {
  const char* name;
  void (*bwd_data)(const f32_window_geometry&, const float* dy, const float* w, float* dx);
  void (*bwd_weights)(const f32_window_geometry&, const float* x, const float* dy, float* dw,
                      float* dbias);
};

// The portable tiled variants as whole ops (dense or depthwise; others use the scalar).
inline void conv2d_bwd_data_portable(const f32_window_geometry& g, const float* dy, const float* w,
                                     float* dx) {
  switch (f32_conv2d_kind(g)) {
    case f32_conv_kind::dense: f32_conv2d_bwd_data_tiled(g, dy, w, dx, 0, g.batch); return;
    case f32_conv_kind::depthwise: f32_conv2d_bwd_data_dw_tiled(g, dy, w, dx, 0, g.batch); return;
    case f32_conv_kind::grouped: f32_conv2d_bwd_data_scalar(g, dy, w, dx); return;
  }
}
inline void conv2d_bwd_weights_portable(const f32_window_geometry& g, const float* x,
                                        const float* dy, float* dw, float* db) {
  switch (f32_conv2d_kind(g)) {
    case f32_conv_kind::dense:
      f32_conv2d_bwd_weights_tiled(g, x, dy, dw, db, 0, g.out_c, 0, g.kernel_h * g.kernel_w);
      return;
    case f32_conv_kind::depthwise: f32_conv2d_bwd_weights_dw_tiled(g, x, dy, dw, db, 0, g.in_c); return;
    case f32_conv_kind::grouped: f32_conv2d_bwd_weights_scalar(g, x, dy, dw, db); return;
  }
}

#if defined(__x86_64__)
// The AVX2+FMA dense variants as whole ops (depthwise and grouped as selected).
inline void conv2d_bwd_data_avx2(const f32_window_geometry& g, const float* dy, const float* w,
                                 float* dx) {
  if (f32_conv2d_kind(g) != f32_conv_kind::dense) return f32_conv2d_bwd_data(g, dy, w, dx);
  f32_conv2d_bwd_data_avx2(g, dy, w, dx, 0, g.batch);
}
inline void conv2d_bwd_weights_avx2(const f32_window_geometry& g, const float* x, const float* dy,
                                    float* dw, float* db) {
  if (f32_conv2d_kind(g) != f32_conv_kind::dense) return f32_conv2d_bwd_weights(g, x, dy, dw, db);
  f32_conv2d_bwd_weights_avx2(g, x, dy, dw, db, 0, g.out_c, 0, g.kernel_h * g.kernel_w);
}
#endif

// The AVX2 variant only where the CPU runs it (and then it is also the selected one).
inline std::vector<ConvBwdVariant> conv_bwd_variants() {
  std::vector<ConvBwdVariant> v = {
      {"scalar", f32_conv2d_bwd_data_scalar, f32_conv2d_bwd_weights_scalar},
      {"tiled (portable)", conv2d_bwd_data_portable, conv2d_bwd_weights_portable},
      {"selected (kernels/select.h)", f32_conv2d_bwd_data, f32_conv2d_bwd_weights}};
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) v.push_back({"avx2", conv2d_bwd_data_avx2, conv2d_bwd_weights_avx2});
#endif
  return v;
}

}  // namespace edgetrain::test

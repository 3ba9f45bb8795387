// Input gradient of a convolution: scatter each output gradient back through its window.
#include <cassert>

#include "kernels/kernels.h"

void f32_conv2d_bwd_data_scalar(const f32_window_geometry& g, const float* dy, const float* w,
                                float* dx) {
  assert(dy != nullptr && w != nullptr && dx != nullptr);
  assert(g.groups >= 1 && g.in_c % g.groups == 0 && g.out_c % g.groups == 0);
  assert(window_geometry_valid(g));
  const size_t gic = g.in_c / g.groups;
  const size_t goc = g.out_c / g.groups;
  const size_t dx_size = g.batch * g.in_h * g.in_w * g.in_c;
  // Windows overlap (and stride may skip pixels), so start from zero and scatter-add.
  for (size_t i = 0; i < dx_size; i++) dx[i] = 0.0f;
  for (size_t n = 0; n < g.batch; n++) {
    float* dxn = dx + n * g.in_h * g.in_w * g.in_c;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const float* dyp = dy + ((n * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (size_t oc = 0; oc < g.out_c; oc++) {
          const size_t ic0 = (oc / goc) * gic;
          const float* wo = w + oc * g.kernel_h * g.kernel_w * gic;
          const float d = dyp[oc];
          for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
            float* dxp = dxn + (ih * g.in_w + iw) * g.in_c + ic0;
            const float* wp = wo + (kh * g.kernel_w + kw) * gic;
            for (size_t ic = 0; ic < gic; ic++) dxp[ic] += d * wp[ic];
          });
        }
      }
    }
  }
}

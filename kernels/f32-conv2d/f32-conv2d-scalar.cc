// Direct convolution, the oracle for XNNPACK's convolution2d and for every faster variant.
#include <cassert>

#include "kernels/kernels.h"

void f32_conv2d_scalar(const f32_window_geometry& g, const float* x, const float* w,
                       const float* bias, float* y) {
  assert(x != nullptr && w != nullptr && y != nullptr);
  assert(g.groups >= 1 && g.in_c % g.groups == 0 && g.out_c % g.groups == 0);
  assert(window_geometry_valid(g));
  const size_t gic = g.in_c / g.groups;
  const size_t goc = g.out_c / g.groups;
  for (size_t n = 0; n < g.batch; n++) {
    const float* xn = x + n * g.in_h * g.in_w * g.in_c;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        float* yp = y + ((n * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (size_t oc = 0; oc < g.out_c; oc++) {
          const size_t ic0 = (oc / goc) * gic;
          const float* wo = w + oc * g.kernel_h * g.kernel_w * gic;
          float acc = bias != nullptr ? bias[oc] : 0.0f;
          for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
            const float* xp = xn + (ih * g.in_w + iw) * g.in_c + ic0;
            const float* wp = wo + (kh * g.kernel_w + kw) * gic;
            for (size_t ic = 0; ic < gic; ic++) acc += xp[ic] * wp[ic];
          });
          yp[oc] = acc;
        }
      }
    }
  }
}

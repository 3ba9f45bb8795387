// Weight and bias gradients of a convolution: each weight is one sum over batch and output pixels.
#include <cassert>

#include "kernels/kernels.h"

void f32_conv2d_bwd_weights_scalar(const f32_window_geometry& g, const float* x, const float* dy,
                                   float* dw, float* dbias) {
  assert(x != nullptr && dy != nullptr && dw != nullptr);
  assert(g.groups >= 1 && g.in_c % g.groups == 0 && g.out_c % g.groups == 0);
  assert(window_geometry_valid(g));
  const size_t gic = g.in_c / g.groups;
  const size_t goc = g.out_c / g.groups;
  const size_t dw_size = g.out_c * g.kernel_h * g.kernel_w * gic;
  // Scatter form: every output pixel adds its window's outer product into dw. The innermost loop
  // runs over contiguous input channels of x and dw, so compilers vectorise it.
  for (size_t i = 0; i < dw_size; i++) dw[i] = 0.0f;
  for (size_t n = 0; n < g.batch; n++) {
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const float* dyp = dy + ((n * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
          const float* xp = x + ((n * g.in_h + ih) * g.in_w + iw) * g.in_c;
          for (size_t oc = 0; oc < g.out_c; oc++) {
            const float d = dyp[oc];
            const float* xg = xp + (oc / goc) * gic;
            float* dwp = dw + ((oc * g.kernel_h + kh) * g.kernel_w + kw) * gic;
            for (size_t ic = 0; ic < gic; ic++) dwp[ic] += d * xg[ic];
          }
        });
      }
    }
  }
  if (dbias == nullptr) return;
  const size_t pixels = g.batch * g.out_h * g.out_w;
  for (size_t oc = 0; oc < g.out_c; oc++) {
    float acc = 0.0f;
    for (size_t p = 0; p < pixels; p++) acc += dy[p * g.out_c + oc];
    dbias[oc] = acc;
  }
}

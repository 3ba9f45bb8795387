// Pooling: max pooling with its winning taps (image tiles) and its backward from them; global
// average pooling through XNNPACK and its backward.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"
#include "ops/xnnpack_operator.h"

namespace edgetrain::ops {

Status maxpool2d(const OpContext& c, const OpDesc& d) {
  using S = slot::MaxPool2d;
  const f32_window_geometry g = window_geometry(c, d, d.in[S::x], d.out[S::y]);
  const float* x = c.f32(d.in[S::x]);
  float* y = c.f32(d.out[S::y]);
  uint8_t* taps = c.u8(d.out[S::taps]);
  auto fn = [&](size_t n) { f32_maxpool2d_argmax_tiled(g, x, y, taps, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.in[S::x])), fn);
  return Status::ok();
}

Status maxpool2d_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::MaxPool2dBwd;
  const f32_window_geometry g = window_geometry(c, d, d.out[S::dx], d.in[S::dy]);
  const uint8_t* taps = c.u8(d.in[S::taps]);
  const float* dy = c.f32(d.in[S::dy]);
  float* dx = c.f32(d.out[S::dx]);
  auto fn = [&](size_t n) { f32_maxpool2d_bwd_argmax_tiled(g, taps, dy, dx, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.out[S::dx])), fn);
  return Status::ok();
}

Status global_avgpool(const OpContext& c, const OpDesc& d) {
  using S = slot::GlobalAvgPool;
  const uint32_t* s = c.tensor(d.in[S::x]).shape;
  xnn_operator_t raw = nullptr;
  const xnn_status created =
      xnn_create_global_average_pooling_nwc_f32(s[3], s[3], s[3], kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "global average pooling", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_global_average_pooling_nwc_f32(op, s[0], size_t{s[1]} * s[2], c.f32(d.in[S::x]),
                                                    c.f32(d.out[S::y]), c.pool);
  });
}

Status global_avgpool_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::GlobalAvgPoolBwd;
  const uint32_t* s = c.tensor(d.out[S::dx]).shape;
  f32_gavgpool_bwd_scalar(s[0], size_t{s[1]} * s[2], s[3], c.f32(d.in[S::dy]), c.f32(d.out[S::dx]));
  return Status::ok();
}

}  // namespace edgetrain::ops

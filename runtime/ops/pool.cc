// Pooling: max pooling with its winning taps (image tiles) and its backward from them; average
// pooling and its backward from dy (image tiles); global average pooling through XNNPACK and its
// backward.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"
#include "ops/xnnpack_operator.h"
#include "window.h"

namespace edgetrain::ops {

namespace {

// A pool's geometry from its input-shaped and output-shaped operands: the flags in `groups`
// (plan_format.h) are no group count.
f32_window_geometry pool_geometry(const OpContext& c, const OpDesc& d, int32_t x, int32_t y) {
  f32_window_geometry g = window_geometry(c, d, x, y);
  g.groups = 1;
  return g;
}

// An average pool's operands against its params (no other check knows them): the output extent
// of the mode, symmetric in what the divisor reads, and no window of padding alone.
Status avgpool_geometry(const OpContext& c, const OpDesc& d, int32_t x, int32_t y, f32_window_geometry* g,
                        f32_avgpool_params* a) {
  *g = pool_geometry(c, d, x, y);
  const OpParams& p = d.params;
  const bool ceil = pool_ceil_mode(p);
  *a = {p.pad_bottom, p.pad_right, pool_count_include_pad(p)};
  const bool ok = g->in_c == g->out_c && c.tensor(x).shape[0] == c.tensor(y).shape[0] && g->kernel_h >= 1 &&
                  g->kernel_w >= 1 && p.pad_top < p.kernel_h && p.pad_left < p.kernel_w &&
                  g->out_h == pool_out_extent(g->in_h, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom, ceil) &&
                  g->out_w == pool_out_extent(g->in_w, p.kernel_w, p.stride_w, p.pad_left, p.pad_right, ceil) &&
                  window_geometry_valid(*g);
  if (!ok) {
    return Status::error(StatusCode::InvalidPlan, "an average pool of %ux%u/%u from %zux%zu to %zux%zu",
                         p.kernel_h, p.kernel_w, p.stride_h, g->in_h, g->in_w, g->out_h, g->out_w);
  }
  return Status::ok();
}

}  // namespace

Status maxpool2d(const OpContext& c, const OpDesc& d) {
  using S = slot::MaxPool2d;
  const f32_window_geometry g = pool_geometry(c, d, d.in[S::x], d.out[S::y]);
  const float* x = c.f32(d.in[S::x]);
  float* y = c.f32(d.out[S::y]);
  uint8_t* taps = c.u8(d.out[S::taps]);
  auto fn = [&](size_t n) { f32_maxpool2d_argmax_tiled(g, x, y, taps, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.in[S::x])), fn);
  return Status::ok();
}

Status maxpool2d_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::MaxPool2dBwd;
  const f32_window_geometry g = pool_geometry(c, d, d.out[S::dx], d.in[S::dy]);
  const uint8_t* taps = c.u8(d.in[S::taps]);
  const float* dy = c.f32(d.in[S::dy]);
  float* dx = c.f32(d.out[S::dx]);
  auto fn = [&](size_t n) { f32_maxpool2d_bwd_argmax_tiled(g, taps, dy, dx, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.out[S::dx])), fn);
  return Status::ok();
}

Status avgpool2d(const OpContext& c, const OpDesc& d) {
  using S = slot::AvgPool2d;
  f32_window_geometry g;
  f32_avgpool_params a;
  if (Status s = avgpool_geometry(c, d, d.in[S::x], d.out[S::y], &g, &a); !s.is_ok()) return s;
  const float* x = c.f32(d.in[S::x]);
  float* y = c.f32(d.out[S::y]);
  auto fn = [&](size_t n) { f32_avgpool2d(g, a, x, y, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.in[S::x])), fn);
  return Status::ok();
}

Status avgpool2d_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::AvgPool2dBwd;
  f32_window_geometry g;
  f32_avgpool_params a;
  if (Status s = avgpool_geometry(c, d, d.out[S::dx], d.in[S::dy], &g, &a); !s.is_ok()) return s;
  const float* dy = c.f32(d.in[S::dy]);
  float* dx = c.f32(d.out[S::dx]);
  auto fn = [&](size_t n) { f32_avgpool2d_bwd(g, a, dy, dx, n, n + 1); };
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

// Convolutions: the forward through XNNPACK, both gradients through the variants
// kernels/select.h picks, tiled across the pool.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"
#include "ops/xnnpack_operator.h"

namespace edgetrain::ops {

namespace {

struct ConvBwdTask {
  f32_window_geometry g;
  const float* a;  // x (weights) or dy (data)
  const float* b;  // dy (weights) or w (data)
  float* out;      // dw or dx
  float* dbias;
};

constexpr size_t kMinGemmRows = 64;

// A 1x1, stride-1, unpadded dense convolution: every pixel is one GEMM row.
bool is_pointwise(const f32_window_geometry& g) {
  return g.groups == 1 && g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 &&
         g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 && g.in_h == g.out_h &&
         g.in_w == g.out_w;
}

}  // namespace

Status conv2d(const OpContext& c, const OpDesc& d) {
  using S = slot::Conv2d;
  const f32_window_geometry g = window_geometry(c, d, d.in[S::x], d.out[S::y]);
  const OpParams& p = d.params;
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_convolution2d_nhwc_f32(
      p.pad_top, p.pad_right, p.pad_bottom, p.pad_left, p.kernel_h, p.kernel_w, p.stride_h,
      p.stride_w, 1, 1, static_cast<uint32_t>(g.groups), g.in_c / g.groups, g.out_c / g.groups,
      g.in_c, g.out_c, c.f32(d.in[S::w]), c.f32(d.in[S::b]), kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "convolution", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_convolution2d_nhwc_f32(op, g.batch, g.in_h, g.in_w, c.f32(d.in[S::x]),
                                            c.f32(d.out[S::y]), c.pool);
  });
}

// No op needs a workspace: the tiled variants gather pointers on the stack.
void conv_bwd_weights(const OpContext& c, const f32_window_geometry& g, const float* x,
                      const float* dy, float* dw, float* dbias) {
  ConvBwdTask t{g, x, dy, dw, dbias};
  const size_t taps = g.kernel_h * g.kernel_w;
  switch (f32_conv2d_kind(g)) {
    case f32_conv_kind::dense: {
      // Output-channel x tap tiles: each owns its part of dw, so no reduction across threads.
      const size_t want = 4 * threads(c), tap_tile = f32_conv2d_bwd_weights_tap_tile(g);
      const size_t tap_tiles = (taps + tap_tile - 1) / tap_tile;
      const size_t oc_tile = tile_for(g.out_c, (want + tap_tiles - 1) / tap_tiles, 16);
      pthreadpool_parallelize_2d_tile_2d(
          pool_for(c, conv_work(g)),
          [](void* ctx, size_t oc, size_t tap, size_t noc, size_t ntap) {
            const auto* task = static_cast<const ConvBwdTask*>(ctx);
            f32_conv2d_bwd_weights_dense(task->g, task->a, task->b, task->out, task->dbias, oc,
                                         oc + noc, tap, tap + ntap);
          },
          &t, g.out_c, taps, oc_tile, tap_tile, 0);
      return;
    }
    case f32_conv_kind::depthwise:
      pthreadpool_parallelize_1d_tile_1d(
          pool_for(c, conv_work(g)),
          [](void* ctx, size_t c0, size_t nc) {
            const auto* task = static_cast<const ConvBwdTask*>(ctx);
            f32_conv2d_bwd_weights_dw(task->g, task->a, task->b, task->out, task->dbias, c0,
                                      c0 + nc);
          },
          &t, g.in_c,
          tile_for(g.in_c, 2 * threads(c), f32_conv2d_bwd_weights_dw_channel_quantum()), 0);
      return;
    case f32_conv_kind::grouped:
      f32_conv2d_bwd_weights_scalar(g, x, dy, dw, dbias);
      return;
  }
}

Status conv_bwd_data(const OpContext& c, const f32_window_geometry& g, const float* dy,
                     const float* w, float* dx) {
  // XNNPACK packs w on every call: worth it only over enough rows (a batch-8 FC layer is not).
  if (is_pointwise(g) && g.batch * g.in_h * g.in_w >= kMinGemmRows) {
    return transposed_gemm(c, g.batch * g.in_h * g.in_w, g.in_c, g.out_c, dy, w, dx);
  }
  ConvBwdTask t{g, dy, w, dx, nullptr};
  if (f32_conv2d_kind(g) == f32_conv_kind::grouped) {
    f32_conv2d_bwd_data_scalar(g, dy, w, dx);
    return Status::ok();
  }
  // Image tiles: images never share dx.
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, conv_work(g)),
      [](void* ctx, size_t n, size_t count) {
        const auto* task = static_cast<const ConvBwdTask*>(ctx);
        if (f32_conv2d_kind(task->g) == f32_conv_kind::dense) {
          f32_conv2d_bwd_data_dense(task->g, task->a, task->b, task->out, n, n + count);
        } else {
          f32_conv2d_bwd_data_dw(task->g, task->a, task->b, task->out, n, n + count);
        }
      },
      &t, g.batch, 1, 0);
  return Status::ok();
}

Status conv2d_bwd_data(const OpContext& c, const OpDesc& d) {
  using S = slot::Conv2dBwdData;
  return conv_bwd_data(c, window_geometry(c, d, d.out[S::dx], d.in[S::dy]), c.f32(d.in[S::dy]),
                       c.f32(d.in[S::w]), c.f32(d.out[S::dx]));
}

Status conv2d_bwd_weights(const OpContext& c, const OpDesc& d) {
  using S = slot::Conv2dBwdWeights;
  conv_bwd_weights(c, window_geometry(c, d, d.in[S::x], d.in[S::dy]), c.f32(d.in[S::x]),
                   c.f32(d.in[S::dy]), c.f32(d.out[S::dw]), c.f32(d.out[S::db]));
  return Status::ok();
}

}  // namespace edgetrain::ops

// Fully connected layers: the forward through XNNPACK; the gradients as those of a 1x1
// convolution over 1x1 images (w [out][in] is [OC][1][1][IC]), on the tiled conv kernels.
#include "ops/ops.h"
#include "ops/xnnpack_operator.h"

namespace edgetrain::ops {

namespace {

f32_window_geometry fc_as_conv(size_t batch, size_t in, size_t out) {
  return {batch, 1, 1, in, 1, 1, out, 1, 1, 1, 1, 0, 0, 1};
}

}  // namespace

Status fully_connected(const OpContext& c, const OpDesc& d) {
  using S = slot::FullyConnected;
  const uint32_t* w = c.tensor(d.in[S::w]).shape;  // [out, in]
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_fully_connected_nc_f32(
      w[1], w[0], w[1], w[0], c.f32(d.in[S::w]), c.f32(d.in[S::b]), kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "fully connected", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_fully_connected_nc_f32(op, c.tensor(d.in[S::x]).shape[0], c.f32(d.in[S::x]),
                                            c.f32(d.out[S::y]), c.pool);
  });
}

Status fully_connected_bwd_data(const OpContext& c, const OpDesc& d) {
  using S = slot::FullyConnectedBwdData;
  const MatrixView dx = batch_rows(c, d.out[S::dx]);
  return conv_bwd_data(c, fc_as_conv(dx.rows, dx.cols, batch_rows(c, d.in[S::dy]).cols),
                       c.f32(d.in[S::dy]), c.f32(d.in[S::w]), c.f32(d.out[S::dx]));
}

Status fully_connected_bwd_weights(const OpContext& c, const OpDesc& d) {
  using S = slot::FullyConnectedBwdWeights;
  const MatrixView x = batch_rows(c, d.in[S::x]);
  conv_bwd_weights(c, fc_as_conv(x.rows, x.cols, batch_rows(c, d.in[S::dy]).cols), c.f32(d.in[S::x]),
                   c.f32(d.in[S::dy]), c.f32(d.out[S::dw]), c.f32(d.out[S::db]));
  return Status::ok();
}

}  // namespace edgetrain::ops

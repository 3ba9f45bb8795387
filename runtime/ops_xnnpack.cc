// Forward ops through XNNPACK operators: create (packs weights) -> setup -> run -> delete.
// Weights change every step, so operators are created afresh each time; their cost is part of
// the measured step time.
#include <xnnpack.h>

#include <limits>
#include <memory>

#include "op_context.h"

namespace edgetrain {

namespace {

constexpr float kNoMin = -std::numeric_limits<float>::infinity();
constexpr float kNoMax = std::numeric_limits<float>::infinity();

struct OperatorDeleter {
  void operator()(xnn_operator* op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

Status check(xnn_status s, const char* stage, const char* what) {
  if (s == xnn_status_success) return Status::ok();
  return Status::error(StatusCode::Xnnpack, "XNNPACK %s of %s failed (status %d)", stage, what,
                       static_cast<int>(s));
}

// Owns the operator `create` made, then sets it up and runs it on the pool.
template <typename Setup>
Status run_operator(const OpContext& c, const char* what, xnn_status created, xnn_operator_t raw,
                    Setup setup) {
  Operator op(raw);
  EDGETRAIN_RETURN_IF_ERROR(check(created, "create", what));
  EDGETRAIN_RETURN_IF_ERROR(check(setup(op.get()), "setup", what));
  return check(xnn_run_operator(op.get(), c.pool), "run", what);
}

Status conv2d(const OpContext& c, const OpDesc& d) {
  const f32_window_geometry g = window_geometry(c, d, d.in[0], d.out[0]);
  const OpParams& p = d.params;
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_convolution2d_nhwc_f32(
      p.pad_top, p.pad_right, p.pad_bottom, p.pad_left, p.kernel_h, p.kernel_w, p.stride_h,
      p.stride_w, 1, 1, static_cast<uint32_t>(g.groups), g.in_c / g.groups, g.out_c / g.groups,
      g.in_c, g.out_c, c.f32(d.in[1]), c.f32(d.in[2]), kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "convolution", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_convolution2d_nhwc_f32(op, g.batch, g.in_h, g.in_w, c.f32(d.in[0]),
                                            c.f32(d.out[0]), c.pool);
  });
}

Status add(const OpContext& c, const OpDesc& d) {
  const size_t shape[1] = {c.elements(d.in[0])};  // same shapes: a flat sum
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_add_nd_f32(kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "add", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_add_nd_f32(op, 1, shape, 1, shape, c.f32(d.in[0]), c.f32(d.in[1]),
                                c.f32(d.out[0]), c.pool);
  });
}

Status global_avgpool(const OpContext& c, const OpDesc& d) {
  const uint32_t* s = c.tensor(d.in[0]).shape;
  xnn_operator_t raw = nullptr;
  const xnn_status created =
      xnn_create_global_average_pooling_nwc_f32(s[3], s[3], s[3], kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "global average pooling", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_global_average_pooling_nwc_f32(op, s[0], size_t{s[1]} * s[2], c.f32(d.in[0]),
                                                    c.f32(d.out[0]), c.pool);
  });
}

Status fully_connected(const OpContext& c, const OpDesc& d) {
  const uint32_t* w = c.tensor(d.in[1]).shape;  // [out, in]
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_fully_connected_nc_f32(
      w[1], w[0], w[1], w[0], c.f32(d.in[1]), c.f32(d.in[2]), kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "fully connected", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_fully_connected_nc_f32(op, c.tensor(d.in[0]).shape[0], c.f32(d.in[0]),
                                            c.f32(d.out[0]), c.pool);
  });
}

}  // namespace

bool is_xnnpack_op(OpKind kind) {
  switch (kind) {
    case OpKind::Conv2d:
    case OpKind::Add:
    case OpKind::GlobalAvgPool:
    case OpKind::FullyConnected:
      return true;
    default:
      return false;
  }
}

Status run_xnnpack_op(const OpContext& c, const OpDesc& d) {
  switch (d.kind) {
    case OpKind::Conv2d: return conv2d(c, d);
    case OpKind::Add: return add(c, d);
    case OpKind::GlobalAvgPool: return global_avgpool(c, d);
    case OpKind::FullyConnected: return fully_connected(c, d);
    default:
      return Status::error(StatusCode::InvalidPlan, "op kind %d is not an XNNPACK op", static_cast<int>(d.kind));
  }
}

}  // namespace edgetrain

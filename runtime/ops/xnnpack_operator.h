// Running one XNNPACK operator: create (packs weights) -> setup -> run -> delete. Weights change
// every step, so operators are created afresh each time; their cost is part of the measured
// step time.
#pragma once

#include <xnnpack.h>

#include <limits>
#include <memory>

#include "op_context.h"

namespace edgetrain::ops {

inline constexpr float kNoMin = -std::numeric_limits<float>::infinity();
inline constexpr float kNoMax = std::numeric_limits<float>::infinity();

struct OperatorDeleter {
  void operator()(xnn_operator* op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

inline Status check(xnn_status s, const char* stage, const char* what) {
  if (s == xnn_status_success) return Status::ok();
  return Status::error(StatusCode::Xnnpack, "XNNPACK %s of %s failed (status %d)", stage, what,
                       static_cast<int>(s));
}

// Owns the operator `create` made (`created` is its status), then sets it up and runs it.
template <typename Setup>
Status run_operator(const OpContext& c, const char* what, xnn_status created, xnn_operator_t raw,
                    Setup setup) {
  Operator op(raw);
  EDGETRAIN_RETURN_IF_ERROR(check(created, "create", what));
  EDGETRAIN_RETURN_IF_ERROR(check(setup(op.get()), "setup", what));
  return check(xnn_run_operator(op.get(), c.pool), "run", what);
}

// dx [rows, in] = dy [rows, out] * w [out, in]: a fully connected layer from `out` to `in`
// channels whose weights are w read transposed, so XNNPACK's GEMM (the CPU's widest SIMD, its
// own run-time dispatch) runs it with no transposed copy and no workspace. Each dx element is
// one K-ordered dot product whatever the thread tiles, so results do not depend on the threads.
inline Status transposed_gemm(const OpContext& c, size_t rows, size_t in, size_t out,
                              const float* dy, const float* w, float* dx) {
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_fully_connected_nc_f32(
      out, in, out, in, w, nullptr, kNoMin, kNoMax, XNN_FLAG_TRANSPOSE_WEIGHTS, &raw);
  return run_operator(c, "transposed GEMM (input gradient)", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_fully_connected_nc_f32(op, rows, dy, dx, c.pool);
  });
}

}  // namespace edgetrain::ops

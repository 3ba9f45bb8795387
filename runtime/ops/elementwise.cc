// Element-wise ops: the input's Normalize, ReLU/ReLU6 with their 1-bit masks (element-range
// tiles, each starting on a whole mask byte), their backward, and Add through XNNPACK.
#include <limits>

#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"
#include "ops/xnnpack_operator.h"

namespace edgetrain::ops {

namespace {

// ReLU / ReLU6 forward, writing the backward's mask when the op has one (training).
Status clamp_with_mask(const OpContext& c, const OpDesc& d, float upper) {
  using S = slot::Relu;
  const float* x = c.f32(d.in[S::x]);
  float* y = c.f32(d.out[S::y]);
  uint8_t* mask = c.u8(d.out[S::mask]);
  auto fn = [&](size_t i, size_t count) {
    f32_relu_mask_tiled(count, upper, x + i, y + i, mask == nullptr ? nullptr : mask + i / 8);
  };
  parallel_elements(c, c.elements(d.in[S::x]), fn);
  return Status::ok();
}

}  // namespace

Status normalize(const OpContext& c, const OpDesc& d) {
  using S = slot::Normalize;
  const TensorDesc& image = c.tensor(d.in[S::image]);
  // Inputs with more channels than a plan holds values for share the first channel's values
  // (the planner allows per-channel values only up to kMaxNormChannels).
  const size_t shape_channels = image.rank == 4 ? image.shape[3] : 1;
  const size_t channels = shape_channels > kMaxNormChannels ? 1 : shape_channels;
  u8_normalize_scalar(c.elements(d.in[S::image]) / channels, channels, d.params.norm_mean,
                      d.params.norm_std, c.u8(d.in[S::image]), c.f32(d.out[S::y]));
  return Status::ok();
}

Status relu(const OpContext& c, const OpDesc& d) {
  return clamp_with_mask(c, d, std::numeric_limits<float>::infinity());
}

Status relu6(const OpContext& c, const OpDesc& d) { return clamp_with_mask(c, d, 6.0f); }

Status relu_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::ReluBwd;
  const uint8_t* mask = c.u8(d.in[S::mask]);
  const float* dy = c.f32(d.in[S::dy]);
  float* dx = c.f32(d.out[S::dx]);
  auto fn = [&](size_t i, size_t count) { f32_relu_bwd_mask_tiled(count, mask + i / 8, dy + i, dx + i); };
  parallel_elements(c, c.elements(d.in[S::dy]), fn);
  return Status::ok();
}

Status add(const OpContext& c, const OpDesc& d) {
  using S = slot::Add;
  const size_t shape[1] = {c.elements(d.in[S::a])};  // same shapes: a flat sum
  xnn_operator_t raw = nullptr;
  const xnn_status created = xnn_create_add_nd_f32(kNoMin, kNoMax, 0, &raw);
  return run_operator(c, "add", created, raw, [&](xnn_operator_t op) {
    return xnn_setup_add_nd_f32(op, 1, shape, 1, shape, c.f32(d.in[S::a]), c.f32(d.in[S::b]),
                                c.f32(d.out[S::y]), c.pool);
  });
}

}  // namespace edgetrain::ops

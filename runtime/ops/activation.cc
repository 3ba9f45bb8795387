// MobileNetV3's activations (Sigmoid, HardSigmoid, HardSwish) and the product Mul (squeeze-and-
// excitation gates, SiLU's x * sigmoid(x)), forward and backward: our four-lane kernels over
// element ranges, the broadcast product and its gate gradient over images (no sum crosses a
// tile, so the bits never depend on the thread count).
#include "kernels/kernels.h"
#include "ops/ops.h"
#include "ops/parallel.h"

namespace edgetrain::ops {

namespace {

// kernel(count, x, y) over element ranges of out.
template <typename Kernel>
void unary(const OpContext& c, int32_t in, int32_t out, Kernel kernel) {
  const float* x = c.f32(in);
  float* y = c.f32(out);
  auto fn = [&](size_t i, size_t count) { kernel(count, x + i, y + i); };
  parallel_elements(c, c.elements(out), fn);
}

// kernel(count, a, b, y) over element ranges of out.
template <typename Kernel>
void binary(const OpContext& c, int32_t in_a, int32_t in_b, int32_t out, Kernel kernel) {
  const float* a = c.f32(in_a);
  const float* b = c.f32(in_b);
  float* y = c.f32(out);
  auto fn = [&](size_t i, size_t count) { kernel(count, a + i, b + i, y + i); };
  parallel_elements(c, c.elements(out), fn);
}

// A [N,H,W,C] tensor against a [N,1,1,C] gate, as [batch][pixels][channels].
struct Broadcast {
  size_t batch, pixels, channels;
};
Broadcast broadcast(const OpContext& c, int32_t full, int32_t gate) {
  const size_t batch = c.tensor(full).shape[0], channels = c.elements(gate) / batch;
  return {batch, c.elements(full) / (batch * channels), channels};
}

// kernel(image's full tensor offset, gate offset) for each image across the pool.
template <typename Kernel>
void per_image(const OpContext& c, const Broadcast& v, Kernel kernel) {
  auto fn = [&](size_t n) { kernel(n * v.pixels * v.channels, n * v.channels); };
  parallel_images(c, v.batch, kElementWork * static_cast<double>(v.batch * v.pixels * v.channels), fn);
}

// y = a * gate, the gate broadcast over each image's pixels.
void mul_channels(const OpContext& c, const Broadcast& v, const float* a, const float* gate, float* y) {
  per_image(c, v, [&](size_t i, size_t g) { f32_mul_channels_tiled(1, v.pixels, v.channels, a + i, gate + g, y + i); });
}

}  // namespace

Status sigmoid(const OpContext& c, const OpDesc& d) {
  using S = slot::Sigmoid;
  unary(c, d.in[S::x], d.out[S::y], f32_sigmoid_tiled);
  return Status::ok();
}

Status sigmoid_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::SigmoidBwd;
  binary(c, d.in[S::y], d.in[S::dy], d.out[S::dx], f32_sigmoid_bwd_tiled);
  return Status::ok();
}

Status hard_sigmoid(const OpContext& c, const OpDesc& d) {
  using S = slot::HardSigmoid;
  const float alpha = hard_sigmoid_alpha(d.params), beta = hard_sigmoid_beta(d.params);
  unary(c, d.in[S::x], d.out[S::y], [&](size_t n, const float* x, float* y) { f32_hardsigmoid_tiled(n, alpha, beta, x, y); });
  return Status::ok();
}

Status hard_sigmoid_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::HardSigmoidBwd;
  const float alpha = hard_sigmoid_alpha(d.params);
  binary(c, d.in[S::y], d.in[S::dy], d.out[S::dx], [&](size_t n, const float* y, const float* dy, float* dx) {
    f32_hardsigmoid_bwd_tiled(n, alpha, y, dy, dx);
  });
  return Status::ok();
}

Status hard_swish(const OpContext& c, const OpDesc& d) {
  using S = slot::HardSwish;
  unary(c, d.in[S::x], d.out[S::y], f32_hardswish_tiled);
  return Status::ok();
}

Status hard_swish_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::HardSwishBwd;
  binary(c, d.in[S::x], d.in[S::dy], d.out[S::dx], f32_hardswish_bwd_tiled);
  return Status::ok();
}

Status mul(const OpContext& c, const OpDesc& d) {
  using S = slot::Mul;
  const int32_t a = d.in[S::a], b = d.in[S::b], y = d.out[S::y];
  if (c.elements(b) == c.elements(a)) {
    binary(c, a, b, y, f32_mul_tiled);
  } else {
    mul_channels(c, broadcast(c, a, b), c.f32(a), c.f32(b), c.f32(y));
  }
  return Status::ok();
}

// da = dy * b and db = dy * a, each only when wanted (its slot is -1 otherwise, and so is the
// input only it reads); a broadcast gate's db sums over each image's pixels.
Status mul_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::MulBwd;
  const int32_t a = d.in[S::a], b = d.in[S::b], dy = d.in[S::dy], da = d.out[S::da], db = d.out[S::db];
  const int32_t gate = b >= 0 ? b : db;  // b's shape
  if (c.elements(gate) == c.elements(dy)) {
    if (da >= 0) binary(c, dy, b, da, f32_mul_tiled);
    if (db >= 0) binary(c, dy, a, db, f32_mul_tiled);
    return Status::ok();
  }
  const Broadcast v = broadcast(c, dy, gate);
  if (da >= 0) mul_channels(c, v, c.f32(dy), c.f32(b), c.f32(da));
  if (db >= 0) {
    const float* x = c.f32(a);
    const float* g = c.f32(dy);
    float* out = c.f32(db);
    per_image(c, v, [&](size_t i, size_t o) { f32_mul_channels_bwd_tiled(1, v.pixels, v.channels, x + i, g + i, out + o); });
  }
  return Status::ok();
}

}  // namespace edgetrain::ops

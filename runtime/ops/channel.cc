// Channel ops (ShuffleNetV2's): the shuffle and its inverse, the slice and its backward. Copies
// within each pixel's channel vector, tiled by pixel ranges across the pool. The operands' shapes
// are checked against the params here, as no other check knows these kinds' params.
#include "kernels/kernels.h"
#include "kernels/select.h"
#include "ops/ops.h"
#include "ops/parallel.h"

namespace edgetrain::ops {

namespace {

// x [rows, channels] shuffled over `groups` into y (the same shape).
Status shuffle(const OpContext& c, int32_t x, int32_t y, size_t groups) {
  const MatrixView v = channel_rows(c, x);
  if (groups == 0 || v.cols % groups != 0 || c.elements(y) != c.elements(x)) {
    return Status::error(StatusCode::InvalidPlan, "a channel shuffle of %zu channels in %zu groups",
                         v.cols, groups);
  }
  const float* in = c.f32(x);
  float* out = c.f32(y);
  auto fn = [&](size_t p, size_t count) {
    f32_channel_shuffle(count, v.cols, groups, in + p * v.cols, out + p * v.cols);
  };
  parallel_rows(c, v.rows, v.cols, fn);
  return Status::ok();
}

// Whether `whole` (x, dx) and `part` (y, dy) fit the op's channel range.
Status check_slice(const OpDesc& d, const MatrixView& whole, const MatrixView& part) {
  const uint32_t begin = channel_slice_begin(d.params), end = channel_slice_end(d.params);
  if (begin < end && end <= whole.cols && part.cols == end - begin && part.rows == whole.rows) {
    return Status::ok();
  }
  return Status::error(StatusCode::InvalidPlan, "a slice of channels [%u, %u) of %zu into %zu",
                       begin, end, whole.cols, part.cols);
}

}  // namespace

Status channel_shuffle(const OpContext& c, const OpDesc& d) {
  using S = slot::ChannelShuffle;
  return shuffle(c, d.in[S::x], d.out[S::y], d.params.groups);
}

// The inverse of a shuffle over g groups of C channels is the shuffle over C / g groups.
Status channel_shuffle_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::ChannelShuffleBwd;
  const size_t channels = channel_rows(c, d.in[S::dy]).cols, g = d.params.groups;
  return shuffle(c, d.in[S::dy], d.out[S::dx], g == 0 || channels % g != 0 ? 0 : channels / g);
}

Status channel_slice(const OpContext& c, const OpDesc& d) {
  using S = slot::ChannelSlice;
  const MatrixView x = channel_rows(c, d.in[S::x]), y = channel_rows(c, d.out[S::y]);
  EDGETRAIN_RETURN_IF_ERROR(check_slice(d, x, y));
  const size_t begin = channel_slice_begin(d.params), end = channel_slice_end(d.params);
  const float* in = c.f32(d.in[S::x]);
  float* out = c.f32(d.out[S::y]);
  auto fn = [&](size_t p, size_t count) {
    f32_channel_slice_scalar(count, x.cols, begin, end, in + p * x.cols, out + p * y.cols);
  };
  parallel_rows(c, x.rows, x.cols, fn);
  return Status::ok();
}

Status channel_slice_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::ChannelSliceBwd;
  const MatrixView dx = channel_rows(c, d.out[S::dx]), dy = channel_rows(c, d.in[S::dy]);
  EDGETRAIN_RETURN_IF_ERROR(check_slice(d, dx, dy));
  const size_t begin = channel_slice_begin(d.params), end = channel_slice_end(d.params);
  const float* in = c.f32(d.in[S::dy]);
  float* out = c.f32(d.out[S::dx]);
  auto fn = [&](size_t p, size_t count) {
    f32_channel_slice_bwd_scalar(count, dx.cols, begin, end, in + p * dy.cols, out + p * dx.cols);
  };
  parallel_rows(c, dx.rows, dx.cols, fn);
  return Status::ok();
}

}  // namespace edgetrain::ops

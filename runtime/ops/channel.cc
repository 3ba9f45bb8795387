// Channel ops: ShuffleNetV2's shuffle and its inverse, the slice and its backward; SqueezeNet's and
// GoogLeNet's concat, whose backward is a slice of dy per input. Copies within each pixel's
// channel vector, tiled by pixel ranges across the pool. The operands' shapes
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

using SliceKernel = void (*)(size_t pixels, size_t channels, size_t begin, size_t end, const float* in,
                             float* out);

// The slice (in: x, out: y) or its backward (in: dy, out: dx): `whole` is x or dx, the other
// operand must hold the op's channel range of it.
Status slice(const OpContext& c, const OpDesc& d, int32_t in, int32_t out, bool in_is_whole, SliceKernel kernel) {
  const MatrixView from = channel_rows(c, in), to = channel_rows(c, out);
  const MatrixView& whole = in_is_whole ? from : to;
  const MatrixView& part = in_is_whole ? to : from;
  const uint32_t begin = channel_slice_begin(d.params), end = channel_slice_end(d.params);
  if (!(begin < end && end <= whole.cols && part.cols == end - begin && part.rows == whole.rows)) {
    return Status::error(StatusCode::InvalidPlan, "a slice of channels [%u, %u) of %zu into %zu",
                         begin, end, whole.cols, part.cols);
  }
  const float* src = c.f32(in);
  float* dst = c.f32(out);
  auto fn = [&](size_t p, size_t count) {
    kernel(count, whole.cols, begin, end, src + p * from.cols, dst + p * to.cols);
  };
  parallel_rows(c, whole.rows, whole.cols, fn);
  return Status::ok();
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
  return slice(c, d, d.in[S::x], d.out[S::y], true, f32_channel_slice_scalar);
}

Status channel_slice_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::ChannelSliceBwd;
  return slice(c, d, d.in[S::dy], d.out[S::dx], false, f32_channel_slice_bwd_scalar);
}

// Each input in turn into its range of y's channels, the ranges in input order; every input must
// be y's pixels and the widths must add up to y's channels.
Status concat(const OpContext& c, const OpDesc& d) {
  using S = slot::Concat;
  const MatrixView to = channel_rows(c, d.out[S::y]);
  int inputs = 0;  // the inputs come first: no gap between them
  while (inputs < kMaxOpInputs && d.in[inputs] != -1) ++inputs;
  bool fits = inputs >= 2;
  size_t channels = 0;
  for (int k = 0; k < kMaxOpInputs; ++k) {
    if (k >= inputs) {
      fits = fits && d.in[k] == -1;
      continue;
    }
    const MatrixView from = channel_rows(c, d.in[k]);
    fits = fits && from.rows == to.rows;
    channels += from.cols;
  }
  if (!fits || channels != to.cols) {
    return Status::error(StatusCode::InvalidPlan, "a concat whose inputs do not fill its %zu channels", to.cols);
  }
  float* y = c.f32(d.out[S::y]);
  size_t begin = 0;
  for (int k = 0; k < inputs; ++k) {
    const size_t width = channel_rows(c, d.in[k]).cols;
    const float* x = c.f32(d.in[k]);
    auto fn = [&](size_t p, size_t count) {
      f32_channel_concat_scalar(count, to.cols, begin, begin + width, x + p * width, y + p * to.cols);
    };
    parallel_rows(c, to.rows, width, fn);
    begin += width;
  }
  return Status::ok();
}

// dx = dy[..., begin:end]: ChannelSlice's copy, the range in the same params.
Status concat_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::ConcatBwd;
  return slice(c, d, d.in[S::dy], d.out[S::dx], true, f32_channel_slice_scalar);
}

}  // namespace edgetrain::ops

// Shapes of the windowed ops (convolution, pooling), shared by their forward and backward kernels.
// Plain numbers, no tensors: kernels take pointers to NHWC float data plus one of these.
#pragma once

#include <cstddef>

struct f32_window_geometry {
  size_t batch;
  size_t in_h, in_w, in_c;
  size_t out_h, out_w, out_c;
  size_t kernel_h, kernel_w;
  size_t stride_h, stride_w;
  size_t pad_top, pad_left;  // bottom/right padding is implied by out_h/out_w
  size_t groups;             // convolution only; in_c and out_c are multiples of it
};

// The preconditions every windowed kernel asserts: a non-empty window and stride, and an output
// whose last window still starts inside the (top/left padded) input.
inline bool window_geometry_valid(const f32_window_geometry& g) {
  return g.kernel_h >= 1 && g.kernel_w >= 1 && g.stride_h >= 1 && g.stride_w >= 1 &&
         g.out_h >= 1 && (g.out_h - 1) * g.stride_h < g.in_h + g.pad_top &&
         g.out_w >= 1 && (g.out_w - 1) * g.stride_w < g.in_w + g.pad_left;
}

// Visits the taps of output pixel (oh, ow) that land inside the input, skipping padding:
// fn(kh, kw, ih, iw). Unsigned arithmetic: a tap above or left of the input wraps to a huge
// index and fails the bounds test.
template <typename Fn>
inline void for_each_input_tap(const f32_window_geometry& g, size_t oh, size_t ow, Fn&& fn) {
  for (size_t kh = 0; kh < g.kernel_h; kh++) {
    const size_t ih = oh * g.stride_h + kh - g.pad_top;
    if (ih >= g.in_h) continue;
    for (size_t kw = 0; kw < g.kernel_w; kw++) {
      const size_t iw = ow * g.stride_w + kw - g.pad_left;
      if (iw >= g.in_w) continue;
      fn(kh, kw, ih, iw);
    }
  }
}

// Output columns [begin, end) whose whole row of kernel_w taps lies inside the input (no tap in
// the left or right padding); kernels take a fast path there and check taps at the edges.
struct window_span {
  size_t begin, end;
};
inline window_span window_interior_columns(const f32_window_geometry& g) {
  const size_t k = g.kernel_w;
  size_t end = g.in_w + g.pad_left >= k ? (g.in_w + g.pad_left - k) / g.stride_w + 1 : 0;
  end = end < g.out_w ? end : g.out_w;
  const size_t begin = (g.pad_left + g.stride_w - 1) / g.stride_w;
  return {begin < end ? begin : end, end};
}


// How an average pool divides its window's sum (PyTorch's avg_pool2d): by the window's cells
// inside the input, or with count_include_pad by those inside the padded input, whose bottom and
// right padding are these (ceil mode's last window may reach past them: those cells never count).
struct f32_avgpool_params {
  size_t pad_bottom, pad_right;
  bool count_include_pad;
};

// Output pixel (oh, ow)'s window clipped to the input, rows [h0, h1) and columns [w0, w1), and
// its divisor. Every window holds an input cell when pad_top < kernel_h, pad_left < kernel_w and
// window_geometry_valid(g).
struct avgpool_window {
  size_t h0, h1, w0, w1;
  float divisor;
};
inline avgpool_window avgpool_window_at(const f32_window_geometry& g, const f32_avgpool_params& a,
                                        size_t oh, size_t ow) {
  const auto clip = [](size_t start, size_t kernel, size_t pad_before, size_t in, size_t pad_after,
                       size_t* lo, size_t* hi) {
    // In padded coordinates (the input starts at pad_before), all unsigned and non-negative.
    const size_t padded_end = in + pad_before + pad_after;
    const size_t end = start + kernel < padded_end ? start + kernel : padded_end;
    *lo = start > pad_before ? start - pad_before : 0;
    *hi = end > pad_before ? (end - pad_before < in ? end - pad_before : in) : 0;
    return end - start;  // cells of the padded input
  };
  avgpool_window w{};
  const size_t ph = clip(oh * g.stride_h, g.kernel_h, g.pad_top, g.in_h, a.pad_bottom, &w.h0, &w.h1);
  const size_t pw = clip(ow * g.stride_w, g.kernel_w, g.pad_left, g.in_w, a.pad_right, &w.w0, &w.w1);
  const size_t cells = a.count_include_pad ? ph * pw : (w.h1 - w.h0) * (w.w1 - w.w0);
  w.divisor = static_cast<float>(cells);
  return w;
}

// Driver shared by the tiled weight-gradient variants (portable and NEON): chunks of pixel
// pointer pairs per tap, micro-kernel blocks over (input, output) channels, scalar tails.
// Private to kernels/; a Microkernel provides kMR, kNR, kChunk and template<MR> block(...).
// kChunk (pixels per chunk) is part of the numerics: each chunk's sum is added into dw.
#pragma once

#include <cassert>
#include <cstddef>

#include "kernels/block_rows.h"
#include "kernels/geometry.h"

namespace edgetrain_kernels {

// Pixels per chunk for the portable and NEON micro-kernels: the chunk's dy rows stay in L1 while
// every (ic, oc) block reuses them.
inline constexpr size_t kWeightsChunk = 64;

// Any block size, plain loops: channel tails.
inline void weights_block_any(size_t count, const float* const* xr, const float* const* dr,
                              size_t ic0, size_t mr, size_t oc0, size_t nr, float* dw,
                              size_t oc_stride) {
  for (size_t n = 0; n < nr; n++) {
    for (size_t m = 0; m < mr; m++) {
      float acc = 0.0f;
      for (size_t k = 0; k < count; k++) acc += xr[k][ic0 + m] * dr[k][oc0 + n];
      dw[(oc0 + n) * oc_stride + ic0 + m] += acc;
    }
  }
}

template <class UK>
void weights_flush(size_t count, const float* const* xr, const float* const* dr, size_t in_c,
                   size_t oc_begin, size_t oc_end, float* dw_tap, size_t oc_stride) {
  if (count == 0) return;
  size_t oc0 = oc_begin;
  for (; oc0 + UK::kNR <= oc_end; oc0 += UK::kNR) {
    size_t ic0 = 0;
    for (; ic0 + UK::kMR <= in_c; ic0 += UK::kMR) {
      UK::template block<UK::kMR>(count, xr, dr, ic0, oc0, dw_tap, oc_stride);
    }
    // Input-channel tail, still vectorised over output channels.
    with_block_rows<UK::kMR - 1>(in_c - ic0, [&](auto rows) {
      UK::template block<decltype(rows)::value>(count, xr, dr, ic0, oc0, dw_tap, oc_stride);
    });
  }
  if (oc0 < oc_end) weights_block_any(count, xr, dr, 0, in_c, oc0, oc_end - oc0, dw_tap, oc_stride);
}

// Writes dw[oc][tap][:] for oc in [oc_begin, oc_end), tap (= kh * kernel_w + kw) in
// [tap_begin, tap_end), and dbias[oc_begin, oc_end) when tap_begin == 0.
template <class UK>
void conv2d_bwd_weights_gemm(const f32_window_geometry& g, const float* x, const float* dy,
                             float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                             size_t tap_begin, size_t tap_end) {
  assert(x != nullptr && dy != nullptr && dw != nullptr);
  assert(g.groups == 1 && window_geometry_valid(g));
  const size_t taps = g.kernel_h * g.kernel_w;
  assert(oc_begin <= oc_end && oc_end <= g.out_c && tap_begin <= tap_end && tap_end <= taps);
  const size_t ic = g.in_c, oc = g.out_c, oc_stride = taps * ic;
  for (size_t o = oc_begin; o < oc_end; o++)
    for (size_t i = tap_begin * ic; i < tap_end * ic; i++) dw[o * oc_stride + i] = 0.0f;
  const float* xr[UK::kChunk];
  const float* dr[UK::kChunk];
  for (size_t tap = tap_begin; tap < tap_end; tap++) {
    const size_t kh = tap / g.kernel_w, kw = tap % g.kernel_w;
    float* dw_tap = dw + tap * ic;
    size_t count = 0;
    for (size_t n = 0; n < g.batch; n++) {
      for (size_t oh = 0; oh < g.out_h; oh++) {
        const size_t ih = oh * g.stride_h + kh - g.pad_top;  // wraps above the top
        if (ih >= g.in_h) continue;
        const float* dy_row = dy + (n * g.out_h + oh) * g.out_w * oc;
        const float* x_row = x + (n * g.in_h + ih) * g.in_w * ic;
        for (size_t ow = 0; ow < g.out_w; ow++) {
          const size_t iw = ow * g.stride_w + kw - g.pad_left;
          if (iw >= g.in_w) continue;
          xr[count] = x_row + iw * ic;
          dr[count] = dy_row + ow * oc;
          if (++count == UK::kChunk) {
            weights_flush<UK>(count, xr, dr, ic, oc_begin, oc_end, dw_tap, oc_stride);
            count = 0;
          }
        }
      }
    }
    weights_flush<UK>(count, xr, dr, ic, oc_begin, oc_end, dw_tap, oc_stride);
  }
  if (dbias == nullptr || tap_begin != 0) return;
  for (size_t o = oc_begin; o < oc_end; o++) dbias[o] = 0.0f;
  const size_t pixels = g.batch * g.out_h * g.out_w;
  for (size_t p = 0; p < pixels; p++)
    for (size_t o = oc_begin; o < oc_end; o++) dbias[o] += dy[p * oc + o];
}

}  // namespace edgetrain_kernels

// Driver shared by the tiled input-gradient variants (portable and NEON), dense convolution:
// per kernel tap, dx[p shifted by tap][ic] += sum_oc dy[p][oc] * w[oc][tap][ic], a GEMM whose
// rows are gathered (dx row, dy row) pointer pairs. Within one tap the pixel -> input-pixel map
// is one-to-one, so rows of a chunk never alias. Private to kernels/; a Microkernel provides
// kMR (pixels), kNR (input channels), kChunk (pixels gathered per flush; any value gives the same
// result: each dx element sums its output channels in order within a tap) and
// template<MR> block(...).
#pragma once

#include <cassert>
#include <cstddef>

#include "kernels/block_rows.h"
#include "kernels/geometry.h"

namespace edgetrain_kernels {

inline constexpr size_t kDataChunk = 64;  // the portable and NEON micro-kernels' kChunk

// Any block size: input-channel tails.
inline void data_block_any(size_t count, float* const* xr, const float* const* dr, size_t ic0,
                           size_t nr, const float* w_tap, size_t oc, size_t oc_stride) {
  for (size_t k = 0; k < count; k++) {
    for (size_t n = 0; n < nr; n++) {
      float acc = xr[k][ic0 + n];
      for (size_t o = 0; o < oc; o++) acc += dr[k][o] * w_tap[o * oc_stride + ic0 + n];
      xr[k][ic0 + n] = acc;
    }
  }
}

template <class UK>
void data_flush(size_t count, float* const* xr, const float* const* dr, size_t in_c,
                const float* w_tap, size_t oc, size_t oc_stride) {
  if (count == 0) return;
  size_t ic0 = 0;
  for (; ic0 + UK::kNR <= in_c; ic0 += UK::kNR) {
    size_t k = 0;
    for (; k + UK::kMR <= count; k += UK::kMR) {
      UK::template block<UK::kMR>(xr + k, dr + k, ic0, w_tap, oc, oc_stride);
    }
    with_block_rows<UK::kMR - 1>(count - k, [&](auto rows) {  // pixel tail
      UK::template block<decltype(rows)::value>(xr + k, dr + k, ic0, w_tap, oc, oc_stride);
    });
  }
  if (ic0 < in_c) data_block_any(count, xr, dr, ic0, in_c - ic0, w_tap, oc, oc_stride);
}

// Writes dx for images [n_begin, n_end).
template <class UK>
void conv2d_bwd_data_gemm(const f32_window_geometry& g, const float* dy, const float* w,
                          float* dx, size_t n_begin, size_t n_end) {
  assert(dy != nullptr && w != nullptr && dx != nullptr);
  assert(g.groups == 1 && window_geometry_valid(g));
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t ic = g.in_c, oc = g.out_c, taps = g.kernel_h * g.kernel_w;
  const size_t image = g.in_h * g.in_w * ic;
  for (size_t i = n_begin * image; i < n_end * image; i++) dx[i] = 0.0f;
  float* xr[UK::kChunk];
  const float* dr[UK::kChunk];
  for (size_t n = n_begin; n < n_end; n++) {
    for (size_t tap = 0; tap < taps; tap++) {
      const size_t kh = tap / g.kernel_w, kw = tap % g.kernel_w;
      const float* w_tap = w + tap * ic;
      size_t count = 0;
      for (size_t oh = 0; oh < g.out_h; oh++) {
        const size_t ih = oh * g.stride_h + kh - g.pad_top;  // wraps above the top
        if (ih >= g.in_h) continue;
        const float* dy_row = dy + (n * g.out_h + oh) * g.out_w * oc;
        float* dx_row = dx + (n * g.in_h + ih) * g.in_w * ic;
        for (size_t ow = 0; ow < g.out_w; ow++) {
          const size_t iw = ow * g.stride_w + kw - g.pad_left;
          if (iw >= g.in_w) continue;
          xr[count] = dx_row + iw * ic;
          dr[count] = dy_row + ow * oc;
          if (++count == UK::kChunk) {
            data_flush<UK>(count, xr, dr, ic, w_tap, oc, taps * ic);
            count = 0;
          }
        }
      }
      data_flush<UK>(count, xr, dr, ic, w_tap, oc, taps * ic);
    }
  }
}

}  // namespace edgetrain_kernels

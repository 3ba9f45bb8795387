// Driver shared by the tiled weight-gradient variants (portable, NEON, AVX2): chunks of pixel
// pointer pairs per tap, micro-kernel blocks over (input, output) channels, scalar tails.
// Private to kernels/; a Microkernel provides kMR, kNR, kChunk, kBandPixels, kFuseTapRows and
// template<MR> block(...). kChunk (pixels per chunk) and kBandPixels (output pixels per band,
// rounded to whole rows; chunks end at band ends) are part of the numerics: each chunk's sum is
// added into dw.
#pragma once

#include <cassert>
#include <cstddef>

#include "kernels/block_rows.h"
#include "kernels/geometry.h"

namespace edgetrain_kernels {

// Pixels per chunk for the portable and NEON micro-kernels: the chunk's dy rows stay in L1 while
// every (ic, oc) block reuses them. One band: each tap's chunks run over the whole batch.
inline constexpr size_t kWeightsChunk = 64;
inline constexpr size_t kWeightsOneBand = ~size_t{0};

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

// One tile's pixel gathering: (x, dy) row pointer pairs in chunks of UK::kChunk, each chunk
// flushed into the dw columns [m_begin, m_begin + m_count) of its output channels.
template <class UK>
struct WeightsGather {
  const f32_window_geometry& g;
  const float* x;
  const float* dy;
  float* dw;
  size_t oc_begin, oc_end, oc_stride;
  const float* xr[UK::kChunk];
  const float* dr[UK::kChunk];
  size_t count = 0;

  // Output rows [r0, r1) (over images and rows), columns [ow0, ow1): each pixel's x pointer is
  // where tap (kh, kw) lands; pixels whose tap falls in the padding are skipped.
  void add(size_t r0, size_t r1, size_t kh, size_t kw, size_t ow0, size_t ow1, size_t m_begin,
           size_t m_count) {
    const size_t ic = g.in_c;
    for (size_t r = r0; r < r1; r++) {
      const size_t n = r / g.out_h, oh = r % g.out_h;
      const size_t ih = oh * g.stride_h + kh - g.pad_top;  // wraps above the top
      if (ih >= g.in_h) continue;
      const float* dy_row = dy + r * g.out_w * g.out_c;
      const float* x_row = x + (n * g.in_h + ih) * g.in_w * ic;
      for (size_t ow = ow0; ow < ow1; ow++) {
        const size_t iw = ow * g.stride_w + kw - g.pad_left;
        if (iw >= g.in_w) continue;
        xr[count] = x_row + iw * ic;
        dr[count] = dy_row + ow * g.out_c;
        if (++count == UK::kChunk) flush(m_begin, m_count);
      }
    }
  }
  void flush(size_t m_begin, size_t m_count) {
    weights_flush<UK>(count, xr, dr, m_count, oc_begin, oc_end, dw + m_begin, oc_stride);
    count = 0;
  }
};

// Writes dw[oc][tap][:] for oc in [oc_begin, oc_end), tap (= kh * kernel_w + kw) in
// [tap_begin, tap_end), and dbias[oc_begin, oc_end) when tap_begin == 0.
// With UK::kFuseTapRows, a whole kernel row inside the tile is one GEMM of kernel_w * in_c rows
// for the pixels whose row of taps lies inside x (x and dw are both contiguous over (kw, ic)),
// so stems with 1-3 input channels feed the micro-kernel 7-21 rows rather than 1-3; the pixels
// at the left and right edges go tap by tap. Tiles of whole kernel rows give the same sums as
// the whole op.
template <class UK>
void conv2d_bwd_weights_gemm(const f32_window_geometry& g, const float* x, const float* dy,
                             float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                             size_t tap_begin, size_t tap_end) {
  assert(x != nullptr && dy != nullptr && dw != nullptr);
  assert(g.groups == 1 && window_geometry_valid(g));
  const size_t taps = g.kernel_h * g.kernel_w;
  assert(oc_begin <= oc_end && oc_end <= g.out_c && tap_begin <= tap_end && tap_end <= taps);
  const size_t ic = g.in_c, oc = g.out_c, oc_stride = taps * ic, kw_n = g.kernel_w;
  for (size_t o = oc_begin; o < oc_end; o++)
    for (size_t i = tap_begin * ic; i < tap_end * ic; i++) dw[o * oc_stride + i] = 0.0f;
  WeightsGather<UK> gather{g, x, dy, dw, oc_begin, oc_end, oc_stride, {}, {}, 0};
  const window_span inner = window_interior_columns(g);
  // Bands of output rows (over images and rows, a size fixed by the geometry): every tap of the
  // tile runs over a band while its dy and x rows are still in cache. Sums depend on the bands,
  // never on the tiles.
  const size_t rows = g.batch * g.out_h;
  const size_t band = UK::kBandPixels / g.out_w > 0 ? UK::kBandPixels / g.out_w : 1;
  for (size_t r0 = 0; r0 < rows; r0 += band) {
    const size_t r1 = r0 + band < rows ? r0 + band : rows;
    for (size_t tap = tap_begin; tap < tap_end;) {
      const size_t kh = tap / kw_n, kw = tap % kw_n;
      if (UK::kFuseTapRows && kw_n > 1 && kw == 0 && tap + kw_n <= tap_end) {
        gather.add(r0, r1, kh, 0, inner.begin, inner.end, tap * ic, kw_n * ic);
        gather.flush(tap * ic, kw_n * ic);
        for (size_t k = 0; k < kw_n; k++) {
          gather.add(r0, r1, kh, k, 0, inner.begin, (tap + k) * ic, ic);
          gather.add(r0, r1, kh, k, inner.end, g.out_w, (tap + k) * ic, ic);
          gather.flush((tap + k) * ic, ic);
        }
        tap += kw_n;
      } else {
        gather.add(r0, r1, kh, kw, 0, g.out_w, tap * ic, ic);
        gather.flush(tap * ic, ic);
        tap++;
      }
    }
  }
  if (dbias == nullptr || tap_begin != 0) return;
  for (size_t o = oc_begin; o < oc_end; o++) dbias[o] = 0.0f;
  const size_t pixels = g.batch * g.out_h * g.out_w;
  for (size_t p = 0; p < pixels; p++)
    for (size_t o = oc_begin; o < oc_end; o++) dbias[o] += dy[p * oc + o];
}

}  // namespace edgetrain_kernels

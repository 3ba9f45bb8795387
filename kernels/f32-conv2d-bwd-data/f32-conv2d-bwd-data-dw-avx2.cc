// Input gradient of a 3x3 stride-1 depthwise convolution on AVX2+FMA CPUs (kernels/select.h
// checks at run time; other kernel sizes, stride 2, where each dx pixel gathers only one to four
// taps, and inputs narrower than kMinWidth run the portable dw_tiled variant, which measured as
// fast or faster there). Gather form:
// each dx vector of 8 channels sums the dy vectors of the output pixels whose window covers it,
// with the nine tap weights of those channels held in registers, and is written once; the
// portable variant scatters every dy through its window into dx (nine read-modify-writes per
// pixel). Three partial sums (one per kernel row) keep three FMA chains in flight.
#include <immintrin.h>

#include <cassert>

#include "kernels/avx2_lanes.h"
#include "kernels/kernels.h"

namespace {

constexpr size_t kBlock = 64;     // channels per transposed-weight block
constexpr size_t kMinWidth = 14;  // input columns

// One input row of dx for channels [c, c + lanes), lanes <= 8 (Masked when < 8). wt: the block's
// weights as [tap][kBlock channels], from channel c. Columns [lo, hi) have all three taps inside
// dy; the others check each tap.
template <bool Masked>
__attribute__((target("avx2,fma"))) void dx_row(const f32_window_geometry& g, const float* dy,
                                                const float* wt, size_t n, size_t ih,
                                                size_t c, size_t lanes, size_t lo, size_t hi,
                                                float* dx_row) {
  const size_t ch = g.in_c;
  const __m256i mask = edgetrain_kernels::avx2_lane_mask(lanes);
  auto load = [mask](const float* p) __attribute__((target("avx2,fma"), always_inline)) {
    return edgetrain_kernels::avx2_load_lanes<Masked>(p, mask);
  };
  __m256 w[9];
  _Pragma("GCC unroll 9") for (size_t t = 0; t < 9; t++) w[t] = load(wt + t * kBlock);
  // Kernel rows whose output row oh = ih + pad - kh exists.
  const float* dy_row[3];
  bool row_in[3];
  _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) {
    const size_t oh = ih + g.pad_top - kh;  // wraps when kh > ih + pad
    row_in[kh] = oh < g.out_h;
    dy_row[kh] = row_in[kh] ? dy + ((n * g.out_h + oh) * g.out_w) * ch + c : dy;
  }
  for (size_t iw = 0; iw < g.in_w; iw++) {
    __m256 acc[3];
    _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) acc[kh] = _mm256_setzero_ps();
    if (iw >= lo && iw < hi) {  // ow = iw + pad_left - kw, all three inside dy
      _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) {
        if (!row_in[kh]) continue;
        _Pragma("GCC unroll 3") for (size_t kw = 0; kw < 3; kw++) {
          acc[kh] = _mm256_fmadd_ps(load(dy_row[kh] + (iw + g.pad_left - kw) * ch), w[kh * 3 + kw],
                                    acc[kh]);
        }
      }
    } else {
      _Pragma("GCC unroll 3") for (size_t kw = 0; kw < 3; kw++) {
        const size_t ow = iw + g.pad_left - kw;  // wraps when kw > iw + pad
        if (ow >= g.out_w) continue;
        _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) {
          if (row_in[kh]) {
            acc[kh] = _mm256_fmadd_ps(load(dy_row[kh] + ow * ch), w[kh * 3 + kw], acc[kh]);
          }
        }
      }
    }
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), acc[2]);
    edgetrain_kernels::avx2_store_lanes<Masked>(dx_row + iw * ch, mask, sum);
  }
}

}  // namespace

void f32_conv2d_bwd_data_dw_avx2(const f32_window_geometry& g, const float* dy, const float* w,
                                 float* dx, size_t n_begin, size_t n_end) {
  if (g.kernel_h != 3 || g.kernel_w != 3 || g.stride_h != 1 || g.stride_w != 1 ||
      g.in_w < kMinWidth) {
    f32_conv2d_bwd_data_dw_tiled(g, dy, w, dx, n_begin, n_end);
    return;
  }
  assert(dy != nullptr && w != nullptr && dx != nullptr);
  assert(g.groups == g.in_c && g.in_c == g.out_c && window_geometry_valid(g));
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t ch = g.in_c;
  // Columns whose three taps all land inside dy: 2 <= iw + pad_left < out_w.
  size_t hi = g.out_w > g.pad_left ? g.out_w - g.pad_left : 0;
  hi = hi < g.in_w ? hi : g.in_w;
  size_t lo = g.pad_left >= 2 ? 0 : 2 - g.pad_left;
  lo = lo < hi ? lo : hi;
  float wt[9][kBlock];
  for (size_t c0 = 0; c0 < ch; c0 += kBlock) {
    const size_t cb = ch - c0 < kBlock ? ch - c0 : kBlock;
    for (size_t c = 0; c < cb; c++)
      for (size_t t = 0; t < 9; t++) wt[t][c] = w[(c0 + c) * 9 + t];
    for (size_t n = n_begin; n < n_end; n++) {
      for (size_t ih = 0; ih < g.in_h; ih++) {
        float* row = dx + ((n * g.in_h + ih) * g.in_w) * ch;
        for (size_t v = 0; v < cb; v += 8) {
          const size_t lanes = cb - v < 8 ? cb - v : 8;
          const float* wv = &wt[0][v];
          if (lanes == 8) dx_row<false>(g, dy, wv, n, ih, c0 + v, lanes, lo, hi, row + c0 + v);
          else dx_row<true>(g, dy, wv, n, ih, c0 + v, lanes, lo, hi, row + c0 + v);
        }
      }
    }
  }
}

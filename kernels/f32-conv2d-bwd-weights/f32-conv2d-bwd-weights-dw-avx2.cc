// Weight and bias gradients of a 3x3 depthwise convolution on AVX2+FMA CPUs (kernels/select.h
// checks at run time; other kernel sizes, and outputs narrower than kMinWidth, where the portable
// variant's long channel loops measured faster, run the portable dw_tiled variant). Eight channels at a
// time keep all nine taps' sums and the bias sum in ymm registers over a band of output rows: each
// dy vector is loaded once per pixel and each x vector comes from L1, where the portable variant
// reads and writes a [tap][channel] array for every tap of every pixel. Band sums are added into
// that array once per band. Lanes are channels, so the sums do not depend on the channel tiles.
#include <immintrin.h>

#include <cassert>

#include "kernels/avx2_lanes.h"
#include "kernels/kernels.h"

namespace {

constexpr size_t kBlock = 64;        // channels per stack block
constexpr size_t kBandPixels = 512;  // a band's dy and x rows for a block stay in L2
constexpr size_t kSums = 10;         // nine taps, then the bias
constexpr size_t kMinWidth = 14;     // output columns

// Sums over output rows [r0, r1) for channels [c, c + lanes), lanes <= 8 (Masked when < 8;
// masked-out lanes are never read): out[t][lane] for the nine taps t, out[9][lane] for the bias.
template <bool Masked>
__attribute__((target("avx2,fma"))) void band_sums(const f32_window_geometry& g, const float* x,
                                                   const float* dy, size_t c, size_t lanes,
                                                   size_t r0, size_t r1, window_span cols,
                                                   float (*out)[8]) {
  const size_t ch = g.in_c;
  const __m256i mask = edgetrain_kernels::avx2_lane_mask(lanes);
  auto load = [mask](const float* p) __attribute__((target("avx2,fma"), always_inline)) {
    return edgetrain_kernels::avx2_load_lanes<Masked>(p, mask);
  };
  __m256 s[9], sb = _mm256_setzero_ps();
  _Pragma("GCC unroll 9") for (size_t t = 0; t < 9; t++) s[t] = _mm256_setzero_ps();
  for (size_t r = r0; r < r1; r++) {
    const size_t n = r / g.out_h, oh = r % g.out_h;
    const float* dy_row = dy + r * g.out_w * ch + c;
    const float* x_row[3];
    bool row_in[3];
    _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) {
      const size_t ih = oh * g.stride_h + kh - g.pad_top;  // wraps above the top
      row_in[kh] = ih < g.in_h;
      x_row[kh] = row_in[kh] ? x + (n * g.in_h + ih) * g.in_w * ch + c : x;
    }
    const bool rows_in = row_in[0] && row_in[1] && row_in[2];
    for (size_t ow = 0; ow < g.out_w; ow++) {
      const __m256 d = load(dy_row + ow * ch);
      sb = _mm256_add_ps(sb, d);
      const size_t iw0 = ow * g.stride_w - g.pad_left;  // wraps left of the input
      if (rows_in && ow >= cols.begin && ow < cols.end) {
        _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) {
          _Pragma("GCC unroll 3") for (size_t kw = 0; kw < 3; kw++) {
            s[kh * 3 + kw] =
                _mm256_fmadd_ps(d, load(x_row[kh] + (iw0 + kw) * ch), s[kh * 3 + kw]);
          }
        }
      } else {
        _Pragma("GCC unroll 3") for (size_t kh = 0; kh < 3; kh++) {
          _Pragma("GCC unroll 3") for (size_t kw = 0; kw < 3; kw++) {
            if (row_in[kh] && iw0 + kw < g.in_w) {
              s[kh * 3 + kw] =
                  _mm256_fmadd_ps(d, load(x_row[kh] + (iw0 + kw) * ch), s[kh * 3 + kw]);
            }
          }
        }
      }
    }
  }
  _Pragma("GCC unroll 9") for (size_t t = 0; t < 9; t++) _mm256_storeu_ps(out[t], s[t]);
  _mm256_storeu_ps(out[9], sb);
}

}  // namespace

void f32_conv2d_bwd_weights_dw_avx2(const f32_window_geometry& g, const float* x, const float* dy,
                                    float* dw, float* dbias, size_t c_begin, size_t c_end) {
  if (g.kernel_h != 3 || g.kernel_w != 3 || g.out_w < kMinWidth) {
    f32_conv2d_bwd_weights_dw_tiled(g, x, dy, dw, dbias, c_begin, c_end);
    return;
  }
  assert(x != nullptr && dy != nullptr && dw != nullptr);
  assert(g.groups == g.in_c && g.in_c == g.out_c && window_geometry_valid(g));
  assert(c_begin <= c_end && c_end <= g.in_c);
  const window_span cols = window_interior_columns(g);
  const size_t rows = g.batch * g.out_h;
  const size_t band = kBandPixels / g.out_w > 0 ? kBandPixels / g.out_w : 1;
  float acc[kSums][kBlock];
  float sums[kSums][8];
  for (size_t c0 = c_begin; c0 < c_end; c0 += kBlock) {
    const size_t cb = c_end - c0 < kBlock ? c_end - c0 : kBlock;
    for (size_t t = 0; t < kSums; t++)
      for (size_t c = 0; c < cb; c++) acc[t][c] = 0.0f;
    for (size_t r0 = 0; r0 < rows; r0 += band) {
      const size_t r1 = r0 + band < rows ? r0 + band : rows;
      for (size_t v = 0; v < cb; v += 8) {
        const size_t lanes = cb - v < 8 ? cb - v : 8;
        if (lanes == 8) band_sums<false>(g, x, dy, c0 + v, lanes, r0, r1, cols, sums);
        else band_sums<true>(g, x, dy, c0 + v, lanes, r0, r1, cols, sums);
        for (size_t t = 0; t < kSums; t++)
          for (size_t j = 0; j < lanes; j++) acc[t][v + j] += sums[t][j];
      }
    }
    for (size_t c = 0; c < cb; c++) {
      for (size_t t = 0; t < 9; t++) dw[(c0 + c) * 9 + t] = acc[t][c];
      if (dbias != nullptr) dbias[c0 + c] = acc[9][c];
    }
  }
}

// AVX2+FMA micro-kernel for the tiled weight gradient (driver: conv2d-bwd-weights-driver.h), for
// x86-64 CPUs that have both (kernels/select.h checks at run time; the rest of the build stays
// baseline x86-64). A 6 (input channels) x 16 (output channels) block: twelve ymm accumulators,
// two dy vectors and a broadcast x value fill fifteen of the sixteen registers; each k step
// costs two loads and six broadcasts for twelve fused multiply-adds.
// Only block<> carries the target attribute: the driver around it is plain code, so nothing
// built for AVX2 can leak into the baseline path through a shared inline function.
#include <immintrin.h>

#include "conv2d-bwd-weights-driver.h"
#include "kernels/kernels.h"

namespace {

struct Avx2Microkernel {
  static constexpr size_t kMR = 6, kNR = 16;
  // Twice the portable chunk: each block's sum is added into dw once per chunk (a strided,
  // transposing scatter), and 128 dy lines of a 16-channel block still leave half of L1 for x.
  static constexpr size_t kChunk = 128;
  // Output pixels per band: a band's dy rows for a 16-channel tile (64 bytes each) and the x rows
  // under it stay in L2 while all the tile's taps run over them (stems tile all 49 taps at once).
  static constexpr size_t kBandPixels = 2048;
  static constexpr bool kFuseTapRows = true;

  // acc[m][n] = sum_k xr[k][ic0 + m] * dr[k][oc0 + n] (fused, in k order), then added into dw.
  template <size_t MR>
  __attribute__((target("avx2,fma"))) static void block(size_t count, const float* const* xr,
                                                        const float* const* dr, size_t ic0,
                                                        size_t oc0, float* dw, size_t oc_stride) {
    __m256 acc[MR][2];
    _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) {
      acc[m][0] = acc[m][1] = _mm256_setzero_ps();
    }
    for (size_t k = 0; k < count; k++) {
      const float* xp = xr[k] + ic0;
      const __m256 d0 = _mm256_loadu_ps(dr[k] + oc0), d1 = _mm256_loadu_ps(dr[k] + oc0 + 8);
      _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) {
        const __m256 xv = _mm256_broadcast_ss(xp + m);
        acc[m][0] = _mm256_fmadd_ps(d0, xv, acc[m][0]);
        acc[m][1] = _mm256_fmadd_ps(d1, xv, acc[m][1]);
      }
    }
    alignas(32) float tile[MR][kNR];
    _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) {
      _mm256_store_ps(&tile[m][0], acc[m][0]);
      _mm256_store_ps(&tile[m][8], acc[m][1]);
    }
    for (size_t n = 0; n < kNR; n++) {
      float* out = dw + (oc0 + n) * oc_stride + ic0;
      _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) out[m] += tile[m][n];
    }
  }
};

}  // namespace

void f32_conv2d_bwd_weights_avx2(const f32_window_geometry& g, const float* x, const float* dy,
                                 float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                                 size_t tap_begin, size_t tap_end) {
  edgetrain_kernels::conv2d_bwd_weights_gemm<Avx2Microkernel>(g, x, dy, dw, dbias, oc_begin,
                                                              oc_end, tap_begin, tap_end);
}

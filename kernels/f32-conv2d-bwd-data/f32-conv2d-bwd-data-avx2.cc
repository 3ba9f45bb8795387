// AVX2+FMA micro-kernel for the tiled input gradient (driver: conv2d-bwd-data-driver.h), for
// x86-64 CPUs that have both (kernels/select.h checks at run time). 6 pixel rows x 16 input
// channels in twelve ymm accumulators; per output channel two weight loads and six dy broadcasts
// feed twelve fused multiply-adds. Only block<> is built for AVX2 (see the weights variant).
#include <immintrin.h>

#include "conv2d-bwd-data-driver.h"
#include "kernels/kernels.h"

namespace {

struct Avx2Microkernel {
  static constexpr size_t kMR = 6, kNR = 16;
  static constexpr size_t kChunk = 96;  // whole 6-row blocks

  // xr[m][ic0 + n] += sum_o dr[m][o] * w_tap[o * oc_stride + ic0 + n] (fused, in o order).
  template <size_t MR>
  __attribute__((target("avx2,fma"))) static void block(float* const* xr, const float* const* dr,
                                                        size_t ic0, const float* w_tap, size_t oc,
                                                        size_t oc_stride) {
    __m256 acc[MR][2];
    const float* d[MR];
    _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) {
      d[m] = dr[m];
      acc[m][0] = _mm256_loadu_ps(xr[m] + ic0);
      acc[m][1] = _mm256_loadu_ps(xr[m] + ic0 + 8);
    }
    const float* wp = w_tap + ic0;
    for (size_t o = 0; o < oc; o++, wp += oc_stride) {
      const __m256 w0 = _mm256_loadu_ps(wp), w1 = _mm256_loadu_ps(wp + 8);
      _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) {
        const __m256 dv = _mm256_broadcast_ss(d[m] + o);
        acc[m][0] = _mm256_fmadd_ps(w0, dv, acc[m][0]);
        acc[m][1] = _mm256_fmadd_ps(w1, dv, acc[m][1]);
      }
    }
    _Pragma("GCC unroll 8") for (size_t m = 0; m < MR; m++) {
      _mm256_storeu_ps(xr[m] + ic0, acc[m][0]);
      _mm256_storeu_ps(xr[m] + ic0 + 8, acc[m][1]);
    }
  }
};

}  // namespace

void f32_conv2d_bwd_data_avx2(const f32_window_geometry& g, const float* dy, const float* w,
                              float* dx, size_t n_begin, size_t n_end) {
  edgetrain_kernels::conv2d_bwd_data_gemm<Avx2Microkernel>(g, dy, w, dx, n_begin, n_end);
}

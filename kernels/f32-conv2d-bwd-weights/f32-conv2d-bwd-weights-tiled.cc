// Weight and bias gradients of a dense (groups = 1) convolution as one GEMM per kernel tap:
//   dw[oc][tap][ic] = sum over pixels p of x[p shifted by tap][ic] * dy[p][oc].
// Pixels are gathered in chunks as (x row, dy row) pointer pairs (padding taps are skipped, so
// no im2col buffer and no workspace), then a register-blocked micro-kernel accumulates an
// MR (input channels) x NR (output channels) block over the chunk. Vectorising over output
// channels keeps stems with 1 or 3 input channels fast. Portable SIMD through GCC/Clang vector
// extensions (GCC does not vectorise the plain loops: it unrolls the accumulators into scalars);
// the NEON variant shares this driver with an intrinsics micro-kernel.
#include <cassert>
#include <cstring>

#include "conv2d-bwd-weights-driver.h"
#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {


struct PortableMicrokernel {
  static constexpr size_t kMR = 4, kNR = 8;
  static constexpr size_t kChunk = edgetrain_kernels::kWeightsChunk;
  static constexpr size_t kBandPixels = edgetrain_kernels::kWeightsOneBand;
  static constexpr bool kFuseTapRows = false;
  // acc[m][n] = sum_k xr[k][ic0 + m] * dr[k][oc0 + n], then added into dw (strided by oc).
  template <size_t MR>
  static void block(size_t count, const float* const* xr, const float* const* dr, size_t ic0,
                    size_t oc0, float* dw, size_t oc_stride) {
    v4f acc[MR][2] = {};
    for (size_t k = 0; k < count; k++) {
      const float* xp = xr[k] + ic0;
      const v4f d0 = load4(dr[k] + oc0), d1 = load4(dr[k] + oc0 + 4);
      for (size_t m = 0; m < MR; m++) {
        const float xv = xp[m];
        acc[m][0] += d0 * xv;
        acc[m][1] += d1 * xv;
      }
    }
    for (size_t m = 0; m < MR; m++) {
      for (size_t n = 0; n < 4; n++) {
        dw[(oc0 + n) * oc_stride + ic0 + m] += acc[m][0][n];
        dw[(oc0 + 4 + n) * oc_stride + ic0 + m] += acc[m][1][n];
      }
    }
  }
};

}  // namespace

void f32_conv2d_bwd_weights_tiled(const f32_window_geometry& g, const float* x, const float* dy,
                                  float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                                  size_t tap_begin, size_t tap_end) {
  edgetrain_kernels::conv2d_bwd_weights_gemm<PortableMicrokernel>(g, x, dy, dw, dbias, oc_begin,
                                                                  oc_end, tap_begin, tap_end);
}

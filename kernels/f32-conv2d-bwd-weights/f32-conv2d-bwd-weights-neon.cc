// NEON micro-kernel for the tiled weight gradient (driver: conv2d-bwd-weights-driver.h):
// a 4 (input channels) x 16 (output channels) block held in 16 q registers across the chunk.
#include <arm_neon.h>

#include "conv2d-bwd-weights-driver.h"
#include "kernels/kernels.h"

namespace {

struct NeonMicrokernel {
  static constexpr size_t kMR = 4, kNR = 16;
  static constexpr size_t kChunk = edgetrain_kernels::kWeightsChunk;
  static constexpr size_t kBandPixels = edgetrain_kernels::kWeightsOneBand;
  static constexpr bool kFuseTapRows = false;
  template <size_t MR>
  static void block(size_t count, const float* const* xr, const float* const* dr, size_t ic0,
                    size_t oc0, float* dw, size_t oc_stride) {
    float32x4_t acc[MR][4];
    for (size_t m = 0; m < MR; m++)
      for (size_t j = 0; j < 4; j++) acc[m][j] = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < count; k++) {
      const float* xp = xr[k] + ic0;
      const float* dp = dr[k] + oc0;
      const float32x4_t d0 = vld1q_f32(dp), d1 = vld1q_f32(dp + 4);
      const float32x4_t d2 = vld1q_f32(dp + 8), d3 = vld1q_f32(dp + 12);
      for (size_t m = 0; m < MR; m++) {
        const float xv = xp[m];
        acc[m][0] = vfmaq_n_f32(acc[m][0], d0, xv);
        acc[m][1] = vfmaq_n_f32(acc[m][1], d1, xv);
        acc[m][2] = vfmaq_n_f32(acc[m][2], d2, xv);
        acc[m][3] = vfmaq_n_f32(acc[m][3], d3, xv);
      }
    }
    float tile[MR][kNR];
    for (size_t m = 0; m < MR; m++)
      for (size_t j = 0; j < 4; j++) vst1q_f32(&tile[m][4 * j], acc[m][j]);
    for (size_t n = 0; n < kNR; n++)
      for (size_t m = 0; m < MR; m++) dw[(oc0 + n) * oc_stride + ic0 + m] += tile[m][n];
  }
};

}  // namespace

void f32_conv2d_bwd_weights_neon(const f32_window_geometry& g, const float* x, const float* dy,
                                 float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                                 size_t tap_begin, size_t tap_end) {
  edgetrain_kernels::conv2d_bwd_weights_gemm<NeonMicrokernel>(g, x, dy, dw, dbias, oc_begin,
                                                              oc_end, tap_begin, tap_end);
}

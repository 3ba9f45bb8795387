// NEON micro-kernel for the tiled input gradient (driver: conv2d-bwd-data-driver.h): 4 pixel
// rows x 16 input channels in 16 q registers, one output channel per step.
#include <arm_neon.h>

#include "conv2d-bwd-data-driver.h"
#include "kernels/kernels.h"

namespace {

struct NeonMicrokernel {
  static constexpr size_t kMR = 4, kNR = 16;
  static constexpr size_t kChunk = edgetrain_kernels::kDataChunk;
  template <size_t MR>
  static void block(float* const* xr, const float* const* dr, size_t ic0, const float* w_tap,
                    size_t oc, size_t oc_stride) {
    float32x4_t acc[MR][4];
    for (size_t m = 0; m < MR; m++)
      for (size_t j = 0; j < 4; j++) acc[m][j] = vld1q_f32(xr[m] + ic0 + 4 * j);
    for (size_t o = 0; o < oc; o++) {
      const float* wp = w_tap + o * oc_stride + ic0;
      const float32x4_t w0 = vld1q_f32(wp), w1 = vld1q_f32(wp + 4);
      const float32x4_t w2 = vld1q_f32(wp + 8), w3 = vld1q_f32(wp + 12);
      for (size_t m = 0; m < MR; m++) {
        const float d = dr[m][o];
        acc[m][0] = vfmaq_n_f32(acc[m][0], w0, d);
        acc[m][1] = vfmaq_n_f32(acc[m][1], w1, d);
        acc[m][2] = vfmaq_n_f32(acc[m][2], w2, d);
        acc[m][3] = vfmaq_n_f32(acc[m][3], w3, d);
      }
    }
    for (size_t m = 0; m < MR; m++)
      for (size_t j = 0; j < 4; j++) vst1q_f32(xr[m] + ic0 + 4 * j, acc[m][j]);
  }
};

}  // namespace

void f32_conv2d_bwd_data_neon(const f32_window_geometry& g, const float* dy, const float* w,
                              float* dx, size_t n_begin, size_t n_end) {
  edgetrain_kernels::conv2d_bwd_data_gemm<NeonMicrokernel>(g, dy, w, dx, n_begin, n_end);
}

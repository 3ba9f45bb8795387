// Input gradient of a dense (groups = 1) convolution, one gathered GEMM per kernel tap (see
// conv2d-bwd-data-driver.h); no workspace. Portable C++ that -O3 vectorises over input channels.
#include "conv2d-bwd-data-driver.h"
#include "kernels/kernels.h"

namespace {

struct PortableMicrokernel {
  static constexpr size_t kMR = 4, kNR = 8;
  // xr[m][ic0 + n] += sum_o dr[m][o] * w_tap[o * oc_stride + ic0 + n] for MR pixel rows.
  template <size_t MR>
  static void block(float* const* xr, const float* const* dr, size_t ic0, const float* w_tap,
                    size_t oc, size_t oc_stride) {
    float acc[MR][kNR];
    for (size_t m = 0; m < MR; m++)
      for (size_t n = 0; n < kNR; n++) acc[m][n] = xr[m][ic0 + n];
    for (size_t o = 0; o < oc; o++) {
      const float* wp = w_tap + o * oc_stride + ic0;
      for (size_t m = 0; m < MR; m++) {
        const float d = dr[m][o];
        for (size_t n = 0; n < kNR; n++) acc[m][n] += d * wp[n];
      }
    }
    for (size_t m = 0; m < MR; m++)
      for (size_t n = 0; n < kNR; n++) xr[m][ic0 + n] = acc[m][n];
  }
};

}  // namespace

void f32_conv2d_bwd_data_tiled(const f32_window_geometry& g, const float* dy, const float* w,
                               float* dx, size_t n_begin, size_t n_end) {
  edgetrain_kernels::conv2d_bwd_data_gemm<PortableMicrokernel>(g, dy, w, dx, n_begin, n_end);
}

// Input gradient of a dense (groups = 1) convolution, one gathered GEMM per kernel tap (see
// conv2d-bwd-data-driver.h); no workspace. Portable SIMD over input channels through GCC/Clang
// vector extensions.
#include <cstring>

#include "conv2d-bwd-data-driver.h"
#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {


// 3 pixels x 16 input channels: twelve accumulators plus four weight vectors fill x86-64's
// sixteen SSE registers; each broadcast dy value feeds four multiply-adds.
struct PortableMicrokernel {
  static constexpr size_t kMR = 3, kNR = 16, kNV = kNR / 4;
  static constexpr size_t kChunk = edgetrain_kernels::kDataChunk;
  // xr[m][ic0 + n] += sum_o dr[m][o] * w_tap[o * oc_stride + ic0 + n] for MR pixel rows.
  template <size_t MR>
  static void block(float* const* xr, const float* const* dr, size_t ic0, const float* w_tap,
                    size_t oc, size_t oc_stride) {
    v4f acc[MR][kNV];
    for (size_t m = 0; m < MR; m++) {
      for (size_t v = 0; v < kNV; v++) acc[m][v] = load4(xr[m] + ic0 + 4 * v);
    }
    for (size_t o = 0; o < oc; o++) {
      const float* wp = w_tap + o * oc_stride + ic0;
      v4f wv[kNV];
      for (size_t v = 0; v < kNV; v++) wv[v] = load4(wp + 4 * v);
      for (size_t m = 0; m < MR; m++) {
        const float d = dr[m][o];
        for (size_t v = 0; v < kNV; v++) acc[m][v] += wv[v] * d;
      }
    }
    for (size_t m = 0; m < MR; m++) {
      for (size_t v = 0; v < kNV; v++) store4(xr[m] + ic0 + 4 * v, acc[m][v]);
    }
  }
};

}  // namespace

void f32_conv2d_bwd_data_tiled(const f32_window_geometry& g, const float* dy, const float* w,
                               float* dx, size_t n_begin, size_t n_end) {
  edgetrain_kernels::conv2d_bwd_data_gemm<PortableMicrokernel>(g, dy, w, dx, n_begin, n_end);
}

// Input gradient of a dense (groups = 1) convolution, one gathered GEMM per kernel tap (see
// conv2d-bwd-data-driver.h); no workspace. Portable SIMD over input channels through GCC/Clang
// vector extensions.
#include <cstring>

#include "conv2d-bwd-data-driver.h"
#include "kernels/kernels.h"

namespace {

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);  // unaligned
  return v;
}
inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof v); }

struct PortableMicrokernel {
  static constexpr size_t kMR = 4, kNR = 8;
  // xr[m][ic0 + n] += sum_o dr[m][o] * w_tap[o * oc_stride + ic0 + n] for MR pixel rows.
  template <size_t MR>
  static void block(float* const* xr, const float* const* dr, size_t ic0, const float* w_tap,
                    size_t oc, size_t oc_stride) {
    v4f acc[MR][2];
    for (size_t m = 0; m < MR; m++) {
      acc[m][0] = load4(xr[m] + ic0);
      acc[m][1] = load4(xr[m] + ic0 + 4);
    }
    for (size_t o = 0; o < oc; o++) {
      const float* wp = w_tap + o * oc_stride + ic0;
      const v4f w0 = load4(wp), w1 = load4(wp + 4);
      for (size_t m = 0; m < MR; m++) {
        const float d = dr[m][o];
        acc[m][0] += w0 * d;
        acc[m][1] += w1 * d;
      }
    }
    for (size_t m = 0; m < MR; m++) {
      store4(xr[m] + ic0, acc[m][0]);
      store4(xr[m] + ic0 + 4, acc[m][1]);
    }
  }
};

}  // namespace

void f32_conv2d_bwd_data_tiled(const f32_window_geometry& g, const float* dy, const float* w,
                               float* dx, size_t n_begin, size_t n_end) {
  edgetrain_kernels::conv2d_bwd_data_gemm<PortableMicrokernel>(g, dy, w, dx, n_begin, n_end);
}

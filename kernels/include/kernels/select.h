// Variant choice: the generic names the runtime, tests and benchmark call. NEON on aarch64 (the
// target, chosen at build time). On x86-64 (the host that runs tests and benchmarks) the
// convolution backward (dense, and depthwise 3x3) checks the CPU at run time, as XNNPACK and
// PyTorch do: AVX2+FMA kernels where the CPU has both, the portable tiled C++ (baseline SSE2)
// elsewhere. A machine always takes the same path, so its results are the same bits run to run;
// tile sizes the runtime asks for below never change them.
// None of the selected variants needs a workspace.
#pragma once

#include <cassert>

#include "kernels/kernels.h"

#if defined(__x86_64__)
// True on CPUs (and OSes) with AVX2 and FMA; libgcc reads cpuid once at start-up.
inline bool f32_x86_has_avx2_fma() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

// How a convolution's backward is tiled: dense (groups = 1) and depthwise have tiled variants;
// other group counts run the scalar reference as one tile.
enum class f32_conv_kind { dense, depthwise, grouped };

inline f32_conv_kind f32_conv2d_kind(const f32_window_geometry& g) {
  if (g.groups == 1) return f32_conv_kind::dense;
  if (g.groups == g.in_c && g.in_c == g.out_c) return f32_conv_kind::depthwise;
  return f32_conv_kind::grouped;
}

// Dense tiles: output channels x taps (weights), images (data).
inline void f32_conv2d_bwd_weights_dense(const f32_window_geometry& g, const float* x,
                                         const float* dy, float* dw, float* dbias, size_t oc_begin,
                                         size_t oc_end, size_t tap_begin, size_t tap_end) {
#if defined(__aarch64__)
  f32_conv2d_bwd_weights_neon(g, x, dy, dw, dbias, oc_begin, oc_end, tap_begin, tap_end);
#else
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) {
    f32_conv2d_bwd_weights_avx2(g, x, dy, dw, dbias, oc_begin, oc_end, tap_begin, tap_end);
    return;
  }
#endif
  f32_conv2d_bwd_weights_tiled(g, x, dy, dw, dbias, oc_begin, oc_end, tap_begin, tap_end);
#endif
}

// Taps per weight-gradient tile that suit the selected dense variant (the runtime's tiles are
// output channels x this many taps). One, except on AVX2, whose driver runs each whole kernel row
// of a tile as one GEMM (see conv2d-bwd-weights-driver.h): tiles of whole kernel rows, and of
// every tap for stems, where a tile of fewer taps would stream all of dy for only in_c
// multiply-adds per value. Any tiles of whole kernel rows give the same bits.
inline size_t f32_conv2d_bwd_weights_tap_tile(const f32_window_geometry& g) {
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) return g.in_c < 16 ? g.kernel_h * g.kernel_w : g.kernel_w;
#endif
  (void)g;
  return 1;
}

inline void f32_conv2d_bwd_data_dense(const f32_window_geometry& g, const float* dy,
                                      const float* w, float* dx, size_t n_begin, size_t n_end) {
#if defined(__aarch64__)
  f32_conv2d_bwd_data_neon(g, dy, w, dx, n_begin, n_end);
#else
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) {
    f32_conv2d_bwd_data_avx2(g, dy, w, dx, n_begin, n_end);
    return;
  }
#endif
  f32_conv2d_bwd_data_tiled(g, dy, w, dx, n_begin, n_end);
#endif
}

// Depthwise tiles: channels (weights), images (data). Portable C++ that GCC vectorises, and AVX2
// kernels for 3x3 on x86-64 CPUs that have it.
inline void f32_conv2d_bwd_weights_dw(const f32_window_geometry& g, const float* x,
                                      const float* dy, float* dw, float* dbias, size_t c_begin,
                                      size_t c_end) {
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) {
    f32_conv2d_bwd_weights_dw_avx2(g, x, dy, dw, dbias, c_begin, c_end);
    return;
  }
#endif
  f32_conv2d_bwd_weights_dw_tiled(g, x, dy, dw, dbias, c_begin, c_end);
}

// Channels per depthwise weight-gradient tile: a multiple of this. AVX2 reads whole 64-byte
// lines of x and dy per tile (narrower tiles each stream every line for a part of it); the
// portable variant keeps the finer tiles. Results do not depend on it.
inline size_t f32_conv2d_bwd_weights_dw_channel_quantum() {
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) return 16;
#endif
  return 8;
}

inline void f32_conv2d_bwd_data_dw(const f32_window_geometry& g, const float* dy, const float* w,
                                   float* dx, size_t n_begin, size_t n_end) {
#if defined(__x86_64__)
  if (f32_x86_has_avx2_fma()) {
    f32_conv2d_bwd_data_dw_avx2(g, dy, w, dx, n_begin, n_end);
    return;
  }
#endif
  f32_conv2d_bwd_data_dw_tiled(g, dy, w, dx, n_begin, n_end);
}

// Whole op, one thread, any groups.
inline void f32_conv2d_bwd_weights(const f32_window_geometry& g, const float* x, const float* dy,
                                   float* dw, float* dbias) {
  switch (f32_conv2d_kind(g)) {
    case f32_conv_kind::dense:
      f32_conv2d_bwd_weights_dense(g, x, dy, dw, dbias, 0, g.out_c, 0, g.kernel_h * g.kernel_w);
      return;
    case f32_conv_kind::depthwise:
      f32_conv2d_bwd_weights_dw(g, x, dy, dw, dbias, 0, g.in_c);
      return;
    case f32_conv_kind::grouped:
      f32_conv2d_bwd_weights_scalar(g, x, dy, dw, dbias);
      return;
  }
}

inline void f32_conv2d_bwd_data(const f32_window_geometry& g, const float* dy, const float* w,
                                float* dx) {
  switch (f32_conv2d_kind(g)) {
    case f32_conv_kind::dense:
      f32_conv2d_bwd_data_dense(g, dy, w, dx, 0, g.batch);
      return;
    case f32_conv_kind::depthwise:
      f32_conv2d_bwd_data_dw(g, dy, w, dx, 0, g.batch);
      return;
    case f32_conv_kind::grouped:
      f32_conv2d_bwd_data_scalar(g, dy, w, dx);
      return;
  }
}

// Batch norm over a channel range: the row-major variant on both ISAs (GCC vectorises it).
inline void f32_batchnorm_fwd_train(size_t rows, size_t channels, float eps, const float* x,
                                    const float* gamma, const float* beta, float* y, float* mean,
                                    float* var, size_t c_begin, size_t c_end) {
  f32_batchnorm_fwd_train_tiled(rows, channels, eps, x, gamma, beta, y, mean, var, c_begin, c_end);
}
inline void f32_batchnorm_apply(size_t rows, size_t channels, float eps, const float* x,
                                const float* gamma, const float* beta, const float* mean,
                                const float* var, float* y, size_t c_begin, size_t c_end) {
  f32_batchnorm_apply_tiled(rows, channels, eps, x, gamma, beta, mean, var, y, c_begin, c_end);
}
inline void f32_batchnorm_bwd(size_t rows, size_t channels, float eps, const float* x,
                              const float* gamma, const float* mean, const float* var,
                              const float* dy, float* dx, float* dgamma, float* dbeta,
                              size_t c_begin, size_t c_end) {
  f32_batchnorm_bwd_tiled(rows, channels, eps, x, gamma, mean, var, dy, dx, dgamma, dbeta, c_begin,
                          c_end);
}

// Channel shuffle (and its inverse): the tiled variant on both ISAs.
inline void f32_channel_shuffle(size_t pixels, size_t channels, size_t groups, const float* x,
                                float* y) {
  f32_channel_shuffle_tiled(pixels, channels, groups, x, y);
}

// Average pooling and its backward over images [n_begin, n_end): the four-channel variants on
// both ISAs.
inline void f32_avgpool2d(const f32_window_geometry& g, const f32_avgpool_params& a, const float* x,
                          float* y, size_t n_begin, size_t n_end) {
  f32_avgpool2d_tiled(g, a, x, y, n_begin, n_end);
}
inline void f32_avgpool2d_bwd(const f32_window_geometry& g, const f32_avgpool_params& a,
                              const float* dy, float* dx, size_t n_begin, size_t n_end) {
  f32_avgpool2d_bwd_tiled(g, a, dy, dx, n_begin, n_end);
}

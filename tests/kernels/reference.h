// Double-precision naive forwards and a finite-difference gradient checker for the kernel tests.
// These are written independently of kernels/ (plain index arithmetic, double throughout) so the
// float kernels are checked against something that does not share their bugs.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/geometry.h"
#include "window.h"  // runtime/contract: output extents

namespace edgetrain::test {

using dvec = std::vector<double>;

// One windowed-op shape, with explicit padding on all four sides (PyTorch allows only symmetric
// padding; TF "SAME" pads bottom/right only; the kernels take top/left and imply the rest).
struct WindowCase {
  const char* name;
  size_t batch, in_h, in_w, in_c, out_c;
  size_t kernel_h, kernel_w, stride_h, stride_w;
  size_t pad_top, pad_left, pad_bottom, pad_right;
  size_t groups;
};

inline f32_window_geometry geometry(const WindowCase& c) {
  f32_window_geometry g{};
  g.batch = c.batch;
  g.in_h = c.in_h;
  g.in_w = c.in_w;
  g.in_c = c.in_c;
  g.out_c = c.out_c;
  g.out_h = window_out_extent(c.in_h, c.kernel_h, c.stride_h, c.pad_top, c.pad_bottom);
  g.out_w = window_out_extent(c.in_w, c.kernel_w, c.stride_w, c.pad_left, c.pad_right);
  g.kernel_h = c.kernel_h;
  g.kernel_w = c.kernel_w;
  g.stride_h = c.stride_h;
  g.stride_w = c.stride_w;
  g.pad_top = c.pad_top;
  g.pad_left = c.pad_left;
  g.groups = c.groups;
  return g;
}

inline size_t x_size(const f32_window_geometry& g) { return g.batch * g.in_h * g.in_w * g.in_c; }
inline size_t y_size(const f32_window_geometry& g) { return g.batch * g.out_h * g.out_w * g.out_c; }
inline size_t w_size(const f32_window_geometry& g) {
  return g.out_c * g.kernel_h * g.kernel_w * (g.in_c / g.groups);
}

inline dvec to_double(const std::vector<float>& v) { return dvec(v.begin(), v.end()); }

// Input row/column of a window tap, or -1 when it falls in the padding.
inline long tap(size_t out, size_t k, size_t stride, size_t pad, size_t in) {
  const long i = static_cast<long>(out * stride + k) - static_cast<long>(pad);
  return i >= 0 && i < static_cast<long>(in) ? i : -1;
}

inline dvec conv2d_ref(const f32_window_geometry& g, const dvec& x, const dvec& w,
                       const dvec* bias) {
  const size_t gic = g.in_c / g.groups, goc = g.out_c / g.groups;
  dvec y(y_size(g));
  for (size_t n = 0; n < g.batch; n++)
    for (size_t oh = 0; oh < g.out_h; oh++)
      for (size_t ow = 0; ow < g.out_w; ow++)
        for (size_t oc = 0; oc < g.out_c; oc++) {
          double s = bias ? (*bias)[oc] : 0.0;
          for (size_t kh = 0; kh < g.kernel_h; kh++)
            for (size_t kw = 0; kw < g.kernel_w; kw++) {
              const long ih = tap(oh, kh, g.stride_h, g.pad_top, g.in_h);
              const long iw = tap(ow, kw, g.stride_w, g.pad_left, g.in_w);
              if (ih < 0 || iw < 0) continue;
              for (size_t ic = 0; ic < gic; ic++) {
                const size_t xi = ((n * g.in_h + static_cast<size_t>(ih)) * g.in_w +
                                   static_cast<size_t>(iw)) * g.in_c + (oc / goc) * gic + ic;
                s += x[xi] * w[((oc * g.kernel_h + kh) * g.kernel_w + kw) * gic + ic];
              }
            }
          y[((n * g.out_h + oh) * g.out_w + ow) * g.out_c + oc] = s;
        }
  return y;
}

inline dvec maxpool2d_ref(const f32_window_geometry& g, const dvec& x) {
  dvec y(y_size(g));
  for (size_t n = 0; n < g.batch; n++)
    for (size_t oh = 0; oh < g.out_h; oh++)
      for (size_t ow = 0; ow < g.out_w; ow++)
        for (size_t c = 0; c < g.in_c; c++) {
          double m = -std::numeric_limits<double>::infinity();
          for (size_t kh = 0; kh < g.kernel_h; kh++)
            for (size_t kw = 0; kw < g.kernel_w; kw++) {
              const long ih = tap(oh, kh, g.stride_h, g.pad_top, g.in_h);
              const long iw = tap(ow, kw, g.stride_w, g.pad_left, g.in_w);
              if (ih < 0 || iw < 0) continue;
              m = std::max(m, x[((n * g.in_h + static_cast<size_t>(ih)) * g.in_w +
                                 static_cast<size_t>(iw)) * g.in_c + c]);
            }
          y[((n * g.out_h + oh) * g.out_w + ow) * g.in_c + c] = m;
        }
  return y;
}

inline dvec batchnorm_train_ref(size_t rows, size_t channels, double eps, const dvec& x,
                                const dvec& gamma, const dvec& beta) {
  dvec y(x.size());
  for (size_t c = 0; c < channels; c++) {
    double mean = 0, var = 0;
    for (size_t r = 0; r < rows; r++) mean += x[r * channels + c];
    mean /= static_cast<double>(rows);
    for (size_t r = 0; r < rows; r++) var += (x[r * channels + c] - mean) * (x[r * channels + c] - mean);
    var /= static_cast<double>(rows);
    for (size_t r = 0; r < rows; r++)
      y[r * channels + c] = (x[r * channels + c] - mean) / std::sqrt(var + eps) * gamma[c] + beta[c];
  }
  return y;
}

inline dvec gavgpool_ref(size_t batch, size_t pixels, size_t channels, const dvec& x) {
  dvec y(batch * channels, 0.0);
  for (size_t n = 0; n < batch; n++)
    for (size_t p = 0; p < pixels; p++)
      for (size_t c = 0; c < channels; c++)
        y[n * channels + c] += x[(n * pixels + p) * channels + c] / static_cast<double>(pixels);
  return y;
}

inline dvec fc_ref(size_t batch, size_t in, size_t out, const dvec& x, const dvec& w,
                   const dvec* bias) {
  dvec y(batch * out);
  for (size_t n = 0; n < batch; n++)
    for (size_t o = 0; o < out; o++) {
      double s = bias ? (*bias)[o] : 0.0;
      for (size_t i = 0; i < in; i++) s += x[n * in + i] * w[o * in + i];
      y[n * out + o] = s;
    }
  return y;
}

inline dvec relu_ref(const dvec& x) {
  dvec y(x.size());
  for (size_t i = 0; i < x.size(); i++) y[i] = std::max(x[i], 0.0);
  return y;
}

inline dvec relu6_ref(const dvec& x) {
  dvec y(x.size());
  for (size_t i = 0; i < x.size(); i++) y[i] = std::min(std::max(x[i], 0.0), 6.0);
  return y;
}

// Mean softmax cross-entropy, the textbook way (log of the normalised probability); fine in
// double for the moderate logits the gradient checks use.
inline double softmax_xent_ref(size_t batch, size_t classes, const dvec& logits,
                               const std::vector<int32_t>& labels) {
  double loss = 0;
  for (size_t n = 0; n < batch; n++) {
    double z = 0;
    for (size_t k = 0; k < classes; k++) z += std::exp(logits[n * classes + k]);
    loss -= std::log(std::exp(logits[n * classes + static_cast<size_t>(labels[n])]) / z);
  }
  return loss / static_cast<double>(batch);
}

inline double dot(const dvec& a, const dvec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

// Gradient of sum(r * f(x)) by central differences. f is evaluated in double, so the truncation
// error (h^2) and the rounding error (1e-16 / h) both stay near 1e-10.
template <class F>
dvec fd_gradient(const dvec& r, dvec x, F f, double h = 1e-6) {
  dvec grad(x.size());
  for (size_t i = 0; i < x.size(); i++) {
    const double xi = x[i];
    x[i] = xi + h;
    const double up = dot(r, f(x));
    x[i] = xi - h;
    const double down = dot(r, f(x));
    x[i] = xi;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

// Element-wise |got - want| <= rtol * |want| + atol_frac * max|want|. The absolute term, relative
// to the tensor's largest entry, covers entries that are sums with heavy cancellation.
inline void check_close(const std::string& what, const std::vector<float>& got, const dvec& want,
                        double rtol, double atol_frac) {
  REQUIRE(got.size() == want.size());
  double scale = 0;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  size_t bad = 0, worst = 0;
  double worst_excess = -1;
  for (size_t i = 0; i < got.size(); i++) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double tol = rtol * std::fabs(want[i]) + atol_frac * scale;
    if (!(err <= tol)) bad++;
    const double excess = err / (tol > 0 ? tol : 1e-300);
    if (!(excess <= worst_excess)) {
      worst_excess = excess;
      worst = i;
    }
  }
  INFO(what << ": " << bad << " of " << got.size() << " off; worst [" << worst << "] got "
            << got[worst] << " want " << want[worst] << " (max |want| " << scale << ")");
  CHECK(bad == 0);
}

}  // namespace edgetrain::test

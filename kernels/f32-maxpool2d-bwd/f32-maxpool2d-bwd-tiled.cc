// Max-pooling backward over an image range, channels innermost: the same per-channel scan and
// comparison as the scalar reference (so the same winner and bit-identical dx), but each window
// tap reads a contiguous run of channels instead of one channel down a strided column.
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/kernels.h"
#include "kernels/vec4.h"

namespace {
constexpr size_t kChannelBlock = 64;  // a multiple of 4

// GCC/Clang vector extensions: the argmax is a select, not a branch (random activations make
// the branch unpredictable). Indices are 32-bit lanes: asserted to fit.
typedef int32_t v4i __attribute__((vector_size(16)));
}  // namespace

void f32_maxpool2d_bwd_tiled(const f32_window_geometry& g, const float* x, const float* dy,
                             float* dx, size_t n_begin, size_t n_end) {
  assert(x != nullptr && dy != nullptr && dx != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t cs = g.in_c, image = g.in_h * g.in_w * cs;
  for (size_t i = n_begin * image; i < n_end * image; i++) dx[i] = 0.0f;
  assert(image < (size_t{1} << 31));
  v4f best[kChannelBlock / 4];
  v4i best_i[kChannelBlock / 4];
  for (size_t n = n_begin; n < n_end; n++) {
    const float* xn = x + n * image;
    float* dxn = dx + n * image;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const float* dyp = dy + ((n * g.out_h + oh) * g.out_w + ow) * cs;
        for (size_t c0 = 0; c0 < cs; c0 += kChannelBlock) {
          const size_t cb = cs - c0 < kChannelBlock ? cs - c0 : kChannelBlock;
          const size_t vb = (cb + 3) / 4;  // a partial last vector is filled lane by lane
          bool first = true;
          for_each_input_tap(g, oh, ow, [&](size_t, size_t, size_t ih, size_t iw) {
            const size_t base = (ih * g.in_w + iw) * cs + c0;
            const float* xp = xn + base;
            for (size_t v = 0; v < vb; v++) {
              const v4i iv = static_cast<int32_t>(base + 4 * v) + v4i{0, 1, 2, 3};
              v4f xv = {};
              if (4 * v + 4 <= cb) {
                xv = load4(xp + 4 * v);
              } else {
                for (size_t l = 0; 4 * v + l < cb; l++) xv[l] = xp[4 * v + l];
              }
              if (first) {  // the reference's "no winner yet" case: the first real pixel
                best[v] = xv;
                best_i[v] = iv;
                continue;
              }
              const v4i take = (xv > best[v]) | (xv != xv);
              best[v] = take ? xv : best[v];
              best_i[v] = take ? iv : best_i[v];
            }
            first = false;
          });
          assert(!first);
          for (size_t c = 0; c < cb; c++) dxn[best_i[c / 4][c % 4]] += dyp[c0 + c];
        }
      }
    }
  }
}

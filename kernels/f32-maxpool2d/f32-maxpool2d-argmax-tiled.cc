// Max pooling over images [n_begin, n_end) that also records, per output element, which window
// tap won (kh * kernel_w + kw, one byte), so the backward reads that byte instead of the input:
// at the ResNet stem a 56x56 byte map replaces a 112x112 float activation. Same scan order and
// comparison as the scalar reference (first maximum wins, NaN wins, padding is skipped), so y is
// the reference's bit for bit. Channels innermost: each tap is one contiguous run.
#include <cassert>
#include <cstdint>
#include <cstring>

#include "kernels/kernels.h"

void f32_maxpool2d_argmax_tiled(const f32_window_geometry& g, const float* x, float* y,
                                uint8_t* tap, size_t n_begin, size_t n_end) {
  assert(x != nullptr && y != nullptr);
  assert(g.in_c == g.out_c && window_geometry_valid(g));
  assert(g.pad_top < g.kernel_h && g.pad_left < g.kernel_w);
  assert(g.kernel_h * g.kernel_w <= 256);  // a tap index fits a byte
  assert(n_begin <= n_end && n_end <= g.batch);
  const size_t cs = g.in_c;
  for (size_t n = n_begin; n < n_end; n++) {
    const float* xn = x + n * g.in_h * g.in_w * cs;
    for (size_t oh = 0; oh < g.out_h; oh++) {
      for (size_t ow = 0; ow < g.out_w; ow++) {
        const size_t o = ((n * g.out_h + oh) * g.out_w + ow) * cs;
        float* yp = y + o;
        uint8_t* tp = tap == nullptr ? nullptr : tap + o;
        bool first = true;
        for_each_input_tap(g, oh, ow, [&](size_t kh, size_t kw, size_t ih, size_t iw) {
          const float* xp = xn + (ih * g.in_w + iw) * cs;
          const auto k = static_cast<uint8_t>(kh * g.kernel_w + kw);
          if (first) {  // the first real pixel wins until beaten
            std::memcpy(yp, xp, cs * sizeof(float));
            if (tp != nullptr) std::memset(tp, k, cs);
            first = false;
            return;
          }
          for (size_t c = 0; c < cs; c++) {
            const float v = xp[c];
            const bool take = v > yp[c] || v != v;
            yp[c] = take ? v : yp[c];
            if (tp != nullptr) tp[c] = take ? k : tp[c];
          }
        });
        assert(!first);
      }
    }
  }
}

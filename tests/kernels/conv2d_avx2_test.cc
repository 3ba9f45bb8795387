// The x86-64 run-time choice of the conv backward: on a CPU with AVX2 and FMA the selected
// kernels (kernels/select.h) are the AVX2 micro-kernels, bit for bit; they match the scalar
// reference within the tiled tolerance on shapes that exercise every tail (in_c 1, 3, 5 and
// other non-multiples of the 6-row block, out_c not a multiple of the 16-wide vectors, stride 2,
// padding), whole and tile by tile; and the same call gives the same bits twice.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/select.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

#if defined(__x86_64__)

namespace {

constexpr double kRtol = 1e-5, kAtolFrac = 1e-6;

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("x86-64: the dense conv backward takes the AVX2+FMA kernels where the CPU has them") {
  const std::string cpu =
      f32_x86_has_avx2_fma() ? "this CPU has AVX2+FMA" : "this CPU lacks AVX2+FMA";
  MESSAGE(cpu);
  if (!f32_x86_has_avx2_fma()) return;  // the portable path is covered by the tiled tests
  EDGETRAIN_SEEDED_RNG(rng);
  const WindowCase cases[] = {
      // name, N, H, W, IC, OC, KH, KW, SH, SW, pads (t, l, b, r), groups
      {"in_c 1, out_c 17", 2, 9, 8, 1, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {"stem 3 -> 33, 7x7/2", 2, 19, 17, 3, 33, 7, 7, 2, 2, 3, 3, 3, 3, 1},
      {"in_c 5, out_c 7, 3x3/2", 3, 11, 10, 5, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1},
      {"in_c 13, out_c 31, 5x5", 1, 12, 9, 13, 31, 5, 5, 1, 1, 2, 2, 2, 2, 1},
      {"in_c 16, out_c 16, 1x1", 4, 7, 7, 16, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1},
      {"in_c 40, out_c 48, 1x1/2", 2, 9, 9, 40, 48, 1, 1, 2, 2, 0, 0, 0, 0, 1},
      {"in_c 64, out_c 70, 3x3, rows > one chunk", 2, 14, 13, 64, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {"in_c 37, out_c 1, pad bottom/right only", 2, 8, 8, 37, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1},
      {"in_c 2, 5x3 kernel, 3x3 input: no interior", 2, 3, 3, 2, 20, 5, 3, 1, 1, 2, 1, 2, 1, 1},
      {"in_c 3, 7x7/2, rows of 60 pixels over bands", 1, 40, 120, 3, 16, 7, 7, 2, 2, 3, 3, 3, 3, 1},
  };
  for (const WindowCase& wc : cases) {
    const f32_window_geometry g = geometry(wc);
    INFO(std::string(wc.name));
    const auto x = uniform(rng, x_size(g)), w = uniform(rng, w_size(g));
    const auto dy = uniform(rng, y_size(g));
    std::vector<float> dx_ref(x.size()), dw_ref(w.size()), db_ref(g.out_c);
    f32_conv2d_bwd_data_scalar(g, dy.data(), w.data(), dx_ref.data());
    f32_conv2d_bwd_weights_scalar(g, x.data(), dy.data(), dw_ref.data(), db_ref.data());
    const size_t taps = g.kernel_h * g.kernel_w;

    std::vector<float> dx(x.size(), 1e30f), dw(w.size(), 1e30f), db(g.out_c, 1e30f);
    f32_conv2d_bwd_data_avx2(g, dy.data(), w.data(), dx.data(), 0, g.batch);
    f32_conv2d_bwd_weights_avx2(g, x.data(), dy.data(), dw.data(), db.data(), 0, g.out_c, 0, taps);
    check_close("dx", dx, to_double(dx_ref), kRtol, kAtolFrac);
    check_close("dw", dw, to_double(dw_ref), kRtol, kAtolFrac);
    check_close("db", db, to_double(db_ref), kRtol, kAtolFrac);

    // The selected entry points are this variant: same bits (and the same bits again).
    std::vector<float> dx2(x.size(), -1.0f), dw2(w.size(), -1.0f), db2(g.out_c, -1.0f);
    f32_conv2d_bwd_data_dense(g, dy.data(), w.data(), dx2.data(), 0, g.batch);
    f32_conv2d_bwd_weights_dense(g, x.data(), dy.data(), dw2.data(), db2.data(), 0, g.out_c, 0,
                                 taps);
    CHECK(same_bits(dx2, dx));
    CHECK(same_bits(dw2, dw));
    CHECK(same_bits(db2, db));

    // Tiles as the runtime hands them out (images; multiples of 16 output channels x the taps
    // select.h asks for: all of them for in_c < 16, else a kernel row) give the same bits as the
    // whole op: no element depends on where a tile starts.
    const size_t tap_tile = f32_conv2d_bwd_weights_tap_tile(g);
    CHECK(tap_tile == (g.in_c < 16 ? taps : g.kernel_w));
    std::vector<float> dx3(x.size(), 1e30f), dw3(w.size(), 1e30f), db3(g.out_c, 1e30f);
    for (size_t n = 0; n < g.batch; n++) {
      f32_conv2d_bwd_data_dense(g, dy.data(), w.data(), dx3.data(), n, n + 1);
    }
    for (size_t o = 0; o < g.out_c; o += 16) {
      for (size_t t = 0; t < taps; t += tap_tile) {
        f32_conv2d_bwd_weights_dense(g, x.data(), dy.data(), dw3.data(), db3.data(), o,
                                     std::min(o + 16, g.out_c), t, std::min(t + tap_tile, taps));
      }
    }
    CHECK(same_bits(dx3, dx));
    CHECK(same_bits(dw3, dw));
    CHECK(same_bits(db3, db));
  }
}

TEST_CASE("x86-64: the depthwise backward takes the AVX2 kernels where the CPU has them") {
  if (!f32_x86_has_avx2_fma()) return;
  EDGETRAIN_SEEDED_RNG(rng);
  const WindowCase cases[] = {
      // name, N, H, W, C, C, KH, KW, SH, SW, pads (t, l, b, r), groups = C
      // At least 14 columns wide: the AVX2 kernels.
      {"1 channel", 2, 7, 16, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {"3 channels, stride 2", 2, 9, 29, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3},
      {"5 channels, no padding", 1, 6, 16, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, 5},
      {"13 channels, pad bottom/right", 2, 8, 15, 13, 13, 3, 3, 1, 1, 0, 0, 1, 1, 13},
      {"32 channels, stride 2, bands of whole rows", 2, 40, 40, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1, 32},
      {"37 channels, 2 rows", 3, 2, 14, 37, 37, 3, 3, 1, 1, 1, 1, 1, 1, 37},
      {"24 channels, stride 2, pad 2", 2, 9, 30, 24, 24, 3, 3, 2, 2, 2, 2, 2, 2, 24},
      {"72 channels (two blocks), stride 1", 1, 5, 17, 72, 72, 3, 3, 1, 1, 1, 1, 1, 1, 72},
      {"40 channels, stride 1, pad 0", 2, 6, 18, 40, 40, 3, 3, 1, 1, 0, 0, 0, 0, 40},
      // Narrower, or other kernels: the portable variants behind the same entry points.
      {"7 columns", 2, 7, 7, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16},
      {"5x5 kernel", 1, 9, 16, 19, 19, 5, 5, 1, 1, 2, 2, 2, 2, 19},
  };
  CHECK(f32_conv2d_bwd_weights_dw_channel_quantum() == 16);
  for (const WindowCase& wc : cases) {
    const f32_window_geometry g = geometry(wc);
    INFO(std::string(wc.name));
    const auto x = uniform(rng, x_size(g)), dy = uniform(rng, y_size(g));
    const auto w = uniform(rng, w_size(g));
    std::vector<float> dw_ref(w_size(g)), db_ref(g.out_c), dx_ref(x.size());
    f32_conv2d_bwd_weights_scalar(g, x.data(), dy.data(), dw_ref.data(), db_ref.data());
    f32_conv2d_bwd_data_scalar(g, dy.data(), w.data(), dx_ref.data());
    std::vector<float> dx(x.size(), 1e30f), dx2(x.size(), -1.0f);
    f32_conv2d_bwd_data_dw_avx2(g, dy.data(), w.data(), dx.data(), 0, g.batch);
    check_close("dx", dx, to_double(dx_ref), kRtol, kAtolFrac);
    for (size_t n = 0; n < g.batch; n++) {  // selected, image by image: the same bits
      f32_conv2d_bwd_data_dw(g, dy.data(), w.data(), dx2.data(), n, n + 1);
    }
    CHECK(same_bits(dx2, dx));
    std::vector<float> dw(dw_ref.size(), 1e30f), db(g.out_c, 1e30f);
    f32_conv2d_bwd_weights_dw_avx2(g, x.data(), dy.data(), dw.data(), db.data(), 0, g.in_c);
    check_close("dw", dw, to_double(dw_ref), kRtol, kAtolFrac);
    check_close("db", db, to_double(db_ref), kRtol, kAtolFrac);
    // Selected, and in channel tiles of 16 and of 7: the same bits.
    for (size_t tile : {size_t{16}, size_t{7}}) {
      std::vector<float> dw2(dw.size(), -1.0f), db2(g.out_c, -1.0f);
      for (size_t c = 0; c < g.in_c; c += tile) {
        f32_conv2d_bwd_weights_dw(g, x.data(), dy.data(), dw2.data(), db2.data(), c,
                                  std::min(c + tile, g.in_c));
      }
      CHECK(same_bits(dw2, dw));
      CHECK(same_bits(db2, db));
    }
  }
}

#endif  // __x86_64__

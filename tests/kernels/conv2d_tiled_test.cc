// The tiled conv backward (portable, NEON on aarch64, depthwise) and batch-norm variants against
// the scalar reference on random shapes with channel tails, computed tile by tile as the runtime
// splits them across threads. Tolerance: rtol 1e-5 + 1e-6 of the tensor's max (only the summation
// order differs).
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "golden_variants.h"
#include "kernels/select.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

namespace {

constexpr double kRtol = 1e-5, kAtolFrac = 1e-6;

void check_vs(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
  check_close(what, got, to_double(want), kRtol, kAtolFrac);
}

WindowCase random_case(std::mt19937& rng, bool depthwise) {
  auto pick = [&](size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng);
  };
  WindowCase c{};
  c.batch = pick(1, 3);
  const size_t k = std::vector<size_t>{1, 3, 3, 5, 7}[pick(0, 4)];
  c.kernel_h = c.kernel_w = k;
  c.stride_h = c.stride_w = pick(1, 2);
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = pick(0, k / 2);
  c.in_h = pick(k, k + 6);
  c.in_w = pick(k, k + 6);
  c.in_c = pick(1, 37);
  c.out_c = depthwise ? c.in_c : pick(1, 41);
  c.groups = depthwise ? c.in_c : 1;
  return c;
}

}  // namespace

TEST_CASE("conv2d backward tiled variants match the scalar reference, tile by tile") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (int trial = 0; trial < 40; trial++) {
    const bool depthwise = trial % 3 == 2;
    const WindowCase wc = random_case(rng, depthwise);
    const f32_window_geometry g = geometry(wc);
    INFO("trial " << trial << ": N" << g.batch << " " << g.in_h << "x" << g.in_w << "x" << g.in_c
                  << " -> " << g.out_c << " k" << g.kernel_h << " s" << g.stride_h << " p"
                  << g.pad_top << " groups " << g.groups);
    const auto x = uniform(rng, x_size(g));
    const auto w = uniform(rng, w_size(g));
    const auto dy = uniform(rng, y_size(g));
    std::vector<float> dx_ref(x.size()), dw_ref(w.size()), db_ref(g.out_c);
    f32_conv2d_bwd_data_scalar(g, dy.data(), w.data(), dx_ref.data());
    f32_conv2d_bwd_weights_scalar(g, x.data(), dy.data(), dw_ref.data(), db_ref.data());

    for (const ConvBwdVariant& v : conv_bwd_variants()) {
      INFO("variant " << v.name);
      std::vector<float> dx(x.size(), 1e30f), dw(w.size(), 1e30f), db(g.out_c, 1e30f);
      v.bwd_data(g, dy.data(), w.data(), dx.data());
      v.bwd_weights(g, x.data(), dy.data(), dw.data(), db.data());
      check_vs("dx", dx, dx_ref);
      check_vs("dw", dw, dw_ref);
      check_vs("db", db, db_ref);
    }

    // Uneven tiles, as the runtime hands them to threads.
    std::vector<float> dx(x.size(), 1e30f), dw(w.size(), 1e30f), db(g.out_c, 1e30f);
    for (size_t n = 0; n < g.batch; n++) {
      if (depthwise) f32_conv2d_bwd_data_dw(g, dy.data(), w.data(), dx.data(), n, n + 1);
      else f32_conv2d_bwd_data_dense(g, dy.data(), w.data(), dx.data(), n, n + 1);
    }
    const size_t taps = g.kernel_h * g.kernel_w;
    for (size_t o = 0; o < g.out_c; o += 7) {
      const size_t oe = o + 7 < g.out_c ? o + 7 : g.out_c;
      if (depthwise) {
        f32_conv2d_bwd_weights_dw(g, x.data(), dy.data(), dw.data(), db.data(), o, oe);
        continue;
      }
      for (size_t t = 0; t < taps; t += 2) {
        const size_t te = t + 2 < taps ? t + 2 : taps;
        f32_conv2d_bwd_weights_dense(g, x.data(), dy.data(), dw.data(), db.data(), o, oe, t, te);
      }
    }
    check_vs("dx (image tiles)", dx, dx_ref);
    check_vs("dw (channel x tap tiles)", dw, dw_ref);
    check_vs("db (channel tiles)", db, db_ref);
  }
}

TEST_CASE("batch norm tiled variants match the scalar reference on many rows, channel tiles") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (const auto& [rows, ch] : {std::pair<size_t, size_t>{1000, 37}, {130, 300}, {3, 5}}) {
    INFO(rows << " rows x " << ch << " channels");
    auto x = uniform(rng, rows * ch, -2.0f, 3.0f);
    const auto gamma = uniform(rng, ch, 0.5f, 1.5f), beta = uniform(rng, ch);
    const auto dy = uniform(rng, rows * ch);
    std::vector<float> y(x.size()), mean(ch), var(ch), dx(x.size()), dg(ch), db(ch);
    f32_batchnorm_fwd_train_scalar(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), y.data(),
                                   mean.data(), var.data());
    f32_batchnorm_bwd_scalar(rows, ch, 1e-5f, x.data(), gamma.data(), mean.data(), var.data(),
                             dy.data(), dx.data(), dg.data(), db.data());
    std::vector<float> y2(x.size()), mean2(ch), var2(ch), dx2(x.size()), dg2(ch), db2(ch);
    for (size_t c = 0; c < ch; c += 16) {
      const size_t e = c + 16 < ch ? c + 16 : ch;
      f32_batchnorm_fwd_train(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), y2.data(),
                              mean2.data(), var2.data(), c, e);
      f32_batchnorm_bwd(rows, ch, 1e-5f, x.data(), gamma.data(), mean.data(), var.data(),
                        dy.data(), dx2.data(), dg2.data(), db2.data(), c, e);
    }
    check_vs("y", y2, y);
    check_vs("mean", mean2, mean);
    check_vs("var", var2, var);
    check_vs("dx", dx2, dx);
    check_vs("dgamma", dg2, dg);
    check_vs("dbeta", db2, db);
  }
}

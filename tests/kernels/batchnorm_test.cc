// Batch norm: training forward and the running update on hand-computed numbers, eval forward,
// and the backward (through the batch statistics) against finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "reference.h"
#include "test_random.h"

using namespace edgetrain::test;

TEST_CASE("batchnorm forward (train): biased variance normalises, per channel") {
  // Channel 0: 1,2,3,4 (mean 2.5, biased var 1.25). Channel 1: constant 7 (var 0, eps matters).
  const std::vector<float> x = {1, 7, 2, 7, 3, 7, 4, 7};
  const std::vector<float> gamma = {2, 1}, beta = {1, -1};
  const float eps = 1e-5f;
  std::vector<float> y(8), mean(2), var(2);
  f32_batchnorm_fwd_train_scalar(4, 2, eps, x.data(), gamma.data(), beta.data(), y.data(),
                                 mean.data(), var.data());
  CHECK(mean[0] == 2.5f);
  CHECK(var[0] == 1.25f);
  CHECK(mean[1] == 7.0f);
  CHECK(var[1] == 0.0f);
  const double s = 2.0 / std::sqrt(1.25 + 1e-5);
  CHECK(y[0] == doctest::Approx(-1.5 * s + 1).epsilon(1e-6));
  CHECK(y[2] == doctest::Approx(-0.5 * s + 1).epsilon(1e-6));
  CHECK(y[6] == doctest::Approx(1.5 * s + 1).epsilon(1e-6));
  CHECK(y[1] == -1.0f);  // x - mean is exactly 0, so y is beta
}

TEST_CASE("batchnorm running update: unbiased variance, r = (1-m) r + m b") {
  const std::vector<float> mean = {2.5f, -1.0f}, var = {1.25f, 3.0f};
  std::vector<float> rm = {0.0f, 1.0f}, rv = {1.0f, 2.0f};
  f32_batchnorm_update_running_scalar(4, 2, 0.1f, mean.data(), var.data(), rm.data(), rv.data());
  CHECK(rm[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(rm[1] == doctest::Approx(0.9 * 1.0 + 0.1 * -1.0).epsilon(1e-6));
  CHECK(rv[0] == doctest::Approx(0.9 * 1.0 + 0.1 * 1.25 * 4 / 3).epsilon(1e-6));
  CHECK(rv[1] == doctest::Approx(0.9 * 2.0 + 0.1 * 3.0 * 4 / 3).epsilon(1e-6));
}

TEST_CASE("batchnorm forward (eval) uses the running statistics") {
  const std::vector<float> x = {3, 5}, gamma = {2}, beta = {1}, rm = {1}, rv = {4};
  std::vector<float> y(2);
  f32_batchnorm_fwd_eval_scalar(2, 1, 0.0f, x.data(), gamma.data(), beta.data(), rm.data(),
                                rv.data(), y.data());
  CHECK(y == std::vector<float>{3, 5});  // (3-1)/2*2+1, (5-1)/2*2+1
}

TEST_CASE("batchnorm forward (train) matches the double reference, large mean included") {
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t rows = 45, channels = 11;
  for (float offset : {0.0f, 100.0f}) {
    INFO("offset " << offset);
    auto x = uniform(rng, rows * channels);
    for (float& v : x) v += offset;
    const auto gamma = uniform(rng, channels, 0.5f, 2.0f), beta = uniform(rng, channels);
    std::vector<float> y(x.size()), mean(channels), var(channels);
    f32_batchnorm_fwd_train_scalar(rows, channels, 1e-5f, x.data(), gamma.data(), beta.data(),
                                   y.data(), mean.data(), var.data());
    // Near 100 the float mean is off by up to 4e-6, which shifts every y by ~1e-5 (gamma / std).
    check_close("y", y, batchnorm_train_ref(rows, channels, 1e-5, to_double(x), to_double(gamma),
                                            to_double(beta)),
                1e-5, 1e-5);
  }
}

TEST_CASE("batchnorm backward matches finite differences of the training forward") {
  EDGETRAIN_SEEDED_RNG(rng);
  struct Shape { size_t rows, channels; };
  // rows = N*H*W: 1x5x3, 2x4x4, 3x1x1 (tiny batch, big gradients), 2x3x3 with one channel.
  for (Shape s : {Shape{15, 7}, Shape{32, 9}, Shape{3, 5}, Shape{18, 1}}) {
    INFO("rows " << s.rows << " channels " << s.channels);
    const float eps = 1e-5f;
    const auto x = uniform(rng, s.rows * s.channels);
    const auto gamma = uniform(rng, s.channels, 0.5f, 2.0f), beta = uniform(rng, s.channels);
    const auto r = uniform(rng, x.size());
    std::vector<float> y(x.size()), mean(s.channels), var(s.channels);
    f32_batchnorm_fwd_train_scalar(s.rows, s.channels, eps, x.data(), gamma.data(), beta.data(),
                                   y.data(), mean.data(), var.data());
    std::vector<float> dx(x.size()), dgamma(s.channels), dbeta(s.channels);
    f32_batchnorm_bwd_scalar(s.rows, s.channels, eps, x.data(), gamma.data(), mean.data(),
                             var.data(), r.data(), dx.data(), dgamma.data(), dbeta.data());

    const dvec xd = to_double(x), gd = to_double(gamma), bd = to_double(beta), rd = to_double(r);
    auto fwd = [&](const dvec& xv, const dvec& gv, const dvec& bv) {
      return batchnorm_train_ref(s.rows, s.channels, eps, xv, gv, bv);
    };
    // Float kernel vs double finite differences: 1e-3 relative + 1e-4 of the tensor's max.
    check_close("dx", dx, fd_gradient(rd, xd, [&](const dvec& v) { return fwd(v, gd, bd); }), 1e-3, 1e-4);
    check_close("dgamma", dgamma, fd_gradient(rd, gd, [&](const dvec& v) { return fwd(xd, v, bd); }), 1e-3, 1e-4);
    check_close("dbeta", dbeta, fd_gradient(rd, bd, [&](const dvec& v) { return fwd(xd, gd, v); }), 1e-3, 1e-4);
  }
}

TEST_CASE("batchnorm apply with the training forward's statistics writes its bits, in place too") {
  // What a recomputed BatchNorm runs (planner/rewrite.h): 300 channels span two channel blocks.
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t rows = 70, ch = 300;
  const std::vector<float> x = uniform(rng, rows * ch, -3.0f, 5.0f);
  const std::vector<float> gamma = uniform(rng, ch, 0.5f, 2.0f), beta = uniform(rng, ch, -1.0f, 1.0f);
  std::vector<float> y(rows * ch), mean(ch), var(ch);
  f32_batchnorm_fwd_train_tiled(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), y.data(),
                                mean.data(), var.data(), 0, ch);
  std::vector<float> again(rows * ch, NAN);
  f32_batchnorm_apply_tiled(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), mean.data(),
                            var.data(), again.data(), 0, 130);
  f32_batchnorm_apply_tiled(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), mean.data(),
                            var.data(), again.data(), 130, ch);
  CHECK(std::memcmp(again.data(), y.data(), y.size() * 4) == 0);
  std::vector<float> inplace = x;
  f32_batchnorm_apply_tiled(rows, ch, 1e-5f, inplace.data(), gamma.data(), beta.data(), mean.data(),
                            var.data(), inplace.data(), 0, ch);
  CHECK(std::memcmp(inplace.data(), y.data(), y.size() * 4) == 0);
  // With running statistics it is evaluation: the scalar reference's value up to rounding.
  std::vector<float> eval(rows * ch);
  f32_batchnorm_fwd_eval_scalar(rows, ch, 1e-5f, x.data(), gamma.data(), beta.data(), mean.data(),
                                var.data(), eval.data());
  for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == doctest::Approx(eval[i]).epsilon(1e-5).scale(1.0));
}

TEST_CASE("batchnorm backward without dx (a frozen layer below) gives the same parameter gradients") {
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t rows = 37, channels = 19;
  const float eps = 1e-5f;
  const auto x = uniform(rng, rows * channels), dy = uniform(rng, rows * channels);
  const auto gamma = uniform(rng, channels, 0.5f, 2.0f), beta = uniform(rng, channels);
  std::vector<float> y(x.size()), mean(channels), var(channels);
  f32_batchnorm_fwd_train_scalar(rows, channels, eps, x.data(), gamma.data(), beta.data(), y.data(),
                                 mean.data(), var.data());
  std::vector<float> dx(x.size()), dgamma(channels), dbeta(channels), dgamma0(channels), dbeta0(channels);
  f32_batchnorm_bwd_scalar(rows, channels, eps, x.data(), gamma.data(), mean.data(), var.data(), dy.data(),
                           dx.data(), dgamma.data(), dbeta.data());
  f32_batchnorm_bwd_scalar(rows, channels, eps, x.data(), gamma.data(), mean.data(), var.data(), dy.data(),
                           nullptr, dgamma0.data(), dbeta0.data());
  CHECK(dgamma0 == dgamma);
  CHECK(dbeta0 == dbeta);
  f32_batchnorm_bwd_tiled(rows, channels, eps, x.data(), gamma.data(), mean.data(), var.data(), dy.data(),
                          dx.data(), dgamma.data(), dbeta.data(), 0, channels);
  f32_batchnorm_bwd_tiled(rows, channels, eps, x.data(), gamma.data(), mean.data(), var.data(), dy.data(),
                          nullptr, dgamma0.data(), dbeta0.data(), 0, channels);
  CHECK(dgamma0 == dgamma);
  CHECK(dbeta0 == dbeta);
}

TEST_CASE("batchnorm split into passes, statistics averaged over two halves: the whole batch's numbers") {
  // SyncBatchNorm on 2 ranks, without MPI: each half of the rows is a rank, the mean of the two
  // halves' statistics stands in for the allreduce. 300 channels span two channel blocks.
  EDGETRAIN_SEEDED_RNG(rng);
  const size_t rows = 140, half = rows / 2, ch = 300;
  const float eps = 1e-5f;
  const std::vector<float> x = uniform(rng, rows * ch, -3.0f, 5.0f), dy = uniform(rng, rows * ch);
  const std::vector<float> gamma = uniform(rng, ch, 0.5f, 2.0f), beta = uniform(rng, ch, -1.0f, 1.0f);
  std::vector<float> y(rows * ch), mean(ch), var(ch), dx(rows * ch), dgamma(ch), dbeta(ch);
  f32_batchnorm_fwd_train_tiled(rows, ch, eps, x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                var.data(), 0, ch);
  f32_batchnorm_bwd_tiled(rows, ch, eps, x.data(), gamma.data(), mean.data(), var.data(), dy.data(), dx.data(),
                          dgamma.data(), dbeta.data(), 0, ch);

  // The passes one by one over the whole batch: the training forward's bits.
  std::vector<float> m1(ch), v1(ch), y1(rows * ch);
  f32_batchnorm_mean_tiled(rows, ch, x.data(), m1.data(), 0, 130);
  f32_batchnorm_mean_tiled(rows, ch, x.data(), m1.data(), 130, ch);
  f32_batchnorm_var_tiled(rows, ch, x.data(), m1.data(), v1.data(), 0, ch);
  CHECK(std::memcmp(m1.data(), mean.data(), ch * 4) == 0);
  CHECK(std::memcmp(v1.data(), var.data(), ch * 4) == 0);

  auto average = [&](std::vector<float>& a, const std::vector<float>& b) {
    for (size_t c = 0; c < ch; ++c) a[c] = (a[c] + b[c]) / 2;
  };
  const float* xh[2] = {x.data(), x.data() + half * ch};
  const float* dyh[2] = {dy.data(), dy.data() + half * ch};
  std::vector<std::vector<float>> m(2, std::vector<float>(ch)), v = m;
  for (int r = 0; r < 2; ++r) f32_batchnorm_mean_tiled(half, ch, xh[r], m[r].data(), 0, ch);
  average(m[0], m[1]);
  for (int r = 0; r < 2; ++r) f32_batchnorm_var_tiled(half, ch, xh[r], m[0].data(), v[r].data(), 0, ch);
  average(v[0], v[1]);
  for (size_t c = 0; c < ch; ++c) {
    CHECK(m[0][c] == doctest::Approx(mean[c]).epsilon(1e-6).scale(1.0));
    CHECK(v[0][c] == doctest::Approx(var[c]).epsilon(1e-6));
  }
  // The backward's sums averaged the same way: dx is the whole batch's, and the parameter
  // gradients are its halves (each rank's share, which the gradient allreduce then averages).
  std::vector<std::vector<float>> sdy(2, std::vector<float>(ch)), sdx = sdy;
  for (int r = 0; r < 2; ++r) {
    f32_batchnorm_bwd_sums_tiled(half, ch, xh[r], mean.data(), dyh[r], sdy[r].data(), sdx[r].data(), 0, ch);
  }
  average(sdy[0], sdy[1]);
  average(sdx[0], sdx[1]);
  std::vector<float> dxs(rows * ch), dg(ch), db(ch);
  for (int r = 0; r < 2; ++r) {
    f32_batchnorm_bwd_from_sums_tiled(half, ch, eps, xh[r], gamma.data(), mean.data(), var.data(), dyh[r],
                                      sdy[0].data(), sdx[0].data(), dxs.data() + r * half * ch, dg.data(), db.data(),
                                      0, ch);
  }
  double worst = 0, largest = 0;
  for (size_t i = 0; i < dx.size(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(dxs[i]) - dx[i]));
    largest = std::max(largest, std::fabs(static_cast<double>(dx[i])));
  }
  CHECK(worst <= 1e-6 * largest);
  // Sums of 140 terms of about 1 in float, with cancellation: to 1e-5 absolute.
  for (size_t c = 0; c < ch; ++c) {
    CHECK(std::fabs(2 * db[c] - dbeta[c]) <= 1e-5);
    CHECK(std::fabs(2 * dg[c] - dgamma[c]) <= 1e-5);
  }
  // From the whole batch's own sums, in place in dbeta and dgamma: the fused backward's numbers
  // (rounding apart: the sums pass through float, not double).
  std::vector<float> dx1(rows * ch), dg1(ch), db1(ch);
  f32_batchnorm_bwd_sums_tiled(rows, ch, x.data(), mean.data(), dy.data(), db1.data(), dg1.data(), 0, ch);
  f32_batchnorm_bwd_from_sums_tiled(rows, ch, eps, x.data(), gamma.data(), mean.data(), var.data(), dy.data(),
                                    db1.data(), dg1.data(), dx1.data(), dg1.data(), db1.data(), 0, ch);
  CHECK(db1 == dbeta);
  for (size_t c = 0; c < ch; ++c) CHECK(std::fabs(dg1[c] - dgamma[c]) <= 1e-5);
  for (size_t i = 0; i < dx.size(); ++i) CHECK(std::fabs(dx1[i] - dx[i]) <= 1e-6 * largest);
}

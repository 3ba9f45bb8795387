// Dropout's kernels: the mask's definition (kernels/dropout_rng.h) against values computed from
// the documented formulas outside C++, the four-lane variants against the scalar references bit
// for bit (odd sizes, in place, with and without a mask), the keep rate within a statistical
// bound, p = 0 as the identity, and a mask that depends on seed, step and salt but not on how
// the elements are tiled.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"
#include "test_random.h"

namespace {

const size_t kSizes[] = {1, 3, 31, 33, 1000};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

size_t mask_bytes(size_t n) { return (n + 7) / 8; }

struct Dropped {
  std::vector<float> y;
  std::vector<uint8_t> mask;
};

Dropped run_scalar(const std::vector<float>& x, float p, uint64_t key, uint64_t first = 0) {
  Dropped d{std::vector<float>(x.size()), std::vector<uint8_t>(mask_bytes(x.size()), 0xaa)};
  f32_dropout_scalar(x.size(), p, key, first, x.data(), d.y.data(), d.mask.data());
  return d;
}

Dropped run_tiled(const std::vector<float>& x, float p, uint64_t key, uint64_t first = 0) {
  Dropped d{std::vector<float>(x.size()), std::vector<uint8_t>(mask_bytes(x.size()), 0x55)};
  f32_dropout_tiled(x.size(), p, key, first, x.data(), d.y.data(), d.mask.data());
  return d;
}

size_t kept(const std::vector<uint8_t>& mask, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) k += mask[i / 8] >> (i % 8) & 1u;
  return k;
}

}  // namespace

TEST_CASE("dropout mask: the documented splitmix64 definition, pinned") {
  // From the formulas in dropout_rng.h, evaluated in Python's integers.
  const uint64_t key = dropout_key(1, 1, 0x12345678u);
  CHECK(key == 0x7cef8009f0ce9f7full);
  std::vector<float> x(32, 1.0f);
  const Dropped d = run_scalar(x, 0.5f, key);
  CHECK(d.mask == std::vector<uint8_t>{0x13, 0x29, 0xe2, 0xd2});
  CHECK(dropout_threshold(0.0f) == 0u);
  CHECK(dropout_threshold(0.5f) == 0x80000000u);
  CHECK(dropout_scale(0.5f) == 2.0f);
}

TEST_CASE("dropout kernels: the four-lane variants equal the scalar references bit for bit") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (size_t n : kSizes) {
    for (float p : {0.0f, 0.1f, 0.5f, 0.9f}) {
      for (uint64_t first : {uint64_t{0}, uint64_t{64}, uint64_t{8}}) {
        CAPTURE(n);
        CAPTURE(p);
        CAPTURE(first);
        const uint64_t key = dropout_key(rng(), rng() % 1000 + 1, static_cast<uint32_t>(rng()));
        std::vector<float> x = edgetrain::test::uniform(rng, n, -3.0f, 3.0f);
        x[0] = -0.0f;
        if (n > 2) x[2] = INFINITY;
        const Dropped want = run_scalar(x, p, key, first), got = run_tiled(x, p, key, first);
        CHECK(same_bits(got.y, want.y));
        CHECK(got.mask == want.mask);
        // A partial last byte's unused bits are 0.
        if (n % 8 != 0) CHECK((want.mask.back() >> (n % 8)) == 0);
        for (size_t i = 0; i < n; ++i) {
          const bool keep = want.mask[i / 8] >> (i % 8) & 1u;
          CHECK(keep == dropout_keep(key, dropout_threshold(p), first + i));
          if (!keep) CHECK(want.y[i] == 0.0f);
          if (keep) CHECK(want.y[i] == x[i] * dropout_scale(p));
        }
        // In place, and with no mask (no backward).
        std::vector<float> over = x;
        f32_dropout_tiled(n, p, key, first, over.data(), over.data(), nullptr);
        CHECK(same_bits(over, want.y));
        over = x;
        f32_dropout_scalar(n, p, key, first, over.data(), over.data(), nullptr);
        CHECK(same_bits(over, want.y));

        // Backward from the mask: the tiled variant equals the reference, in place too, and
        // both equal the forward of dy under the same mask (dx = dy * mask * scale).
        const std::vector<float> dy = edgetrain::test::uniform(rng, n);
        std::vector<float> dx_ref(n), dx(n);
        f32_dropout_bwd_scalar(n, p, want.mask.data(), dy.data(), dx_ref.data());
        f32_dropout_bwd_tiled(n, p, want.mask.data(), dy.data(), dx.data());
        CHECK(same_bits(dx, dx_ref));
        std::vector<float> dx_over = dy;
        f32_dropout_bwd_tiled(n, p, want.mask.data(), dx_over.data(), dx_over.data());
        CHECK(same_bits(dx_over, dx_ref));
        CHECK(same_bits(run_scalar(dy, p, key, first).y, dx_ref));
      }
    }
  }
}

TEST_CASE("dropout kernels: the keep rate is 1 - p within six standard deviations") {
  const size_t n = 100000;
  const std::vector<float> x(n, 1.0f);
  for (float p : {0.5f, 0.1f}) {
    for (uint64_t step : {1, 2, 3}) {
      CAPTURE(p);
      CAPTURE(step);
      const Dropped d = run_tiled(x, p, dropout_key(7, step, 0xdeadbeefu));
      const double want = n * (1.0 - p), sd = std::sqrt(n * p * (1.0 - p));
      CHECK(std::fabs(static_cast<double>(kept(d.mask, n)) - want) <= 6.0 * sd);
      // The mean of y stays x's (the point of the 1 / (1 - p) scale), within the same bound.
      double sum = 0;
      for (float v : d.y) sum += v;
      CHECK(std::fabs(sum / n - 1.0) <= 6.0 * sd / want);
    }
  }
}

TEST_CASE("dropout kernels: p = 0 is the identity, every bit kept") {
  EDGETRAIN_SEEDED_RNG(rng);
  for (size_t n : kSizes) {
    std::vector<float> x = edgetrain::test::uniform(rng, n, -100.0f, 100.0f);
    x[0] = -0.0f;
    if (n > 1) x[1] = -INFINITY;
    const Dropped d = run_tiled(x, 0.0f, dropout_key(rng(), 5, 9));
    CHECK(same_bits(d.y, x));
    CHECK(kept(d.mask, n) == n);
    std::vector<float> dx(n);
    f32_dropout_bwd_tiled(n, 0.0f, d.mask.data(), x.data(), dx.data());
    CHECK(same_bits(dx, x));
  }
}

TEST_CASE("dropout mask: set by seed, step and salt, never by how the elements are tiled") {
  const size_t n = 1000;
  const std::vector<float> x(n, 1.0f);
  const Dropped base = run_tiled(x, 0.5f, dropout_key(1, 1, 1));
  CHECK(run_tiled(x, 0.5f, dropout_key(2, 1, 1)).mask != base.mask);
  CHECK(run_tiled(x, 0.5f, dropout_key(1, 2, 1)).mask != base.mask);
  CHECK(run_tiled(x, 0.5f, dropout_key(1, 1, 2)).mask != base.mask);
  CHECK(run_tiled(x, 0.5f, dropout_key(1, 1, 1)).mask == base.mask);
  // Tiles of any multiple of 8 elements, each given its first element's index.
  for (size_t tile : {8, 16, 136, 512}) {
    CAPTURE(tile);
    Dropped d{std::vector<float>(n), std::vector<uint8_t>(mask_bytes(n))};
    for (size_t i = 0; i < n; i += tile) {
      const size_t count = std::min(tile, n - i);
      f32_dropout_tiled(count, 0.5f, dropout_key(1, 1, 1), i, x.data() + i, d.y.data() + i, d.mask.data() + i / 8);
    }
    CHECK(d.mask == base.mask);
    CHECK(same_bits(d.y, base.y));
  }
}

// Replayable randomness for tests: the seed comes from doctest's --rand-seed=<n> (default 0 means
// "pick one from the clock"), is printed by INFO on failure, and feeds a std::mt19937.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace edgetrain::test {

inline uint32_t test_seed() {
  uint32_t seed = doctest::getContextOptions()->rand_seed;
  if (seed == 0) {
    seed = static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return seed;
}

// Use as: auto rng = seeded_rng();  — the INFO line names the seed in any failure report.
#define EDGETRAIN_SEEDED_RNG(var)                                      \
  const uint32_t var##_seed = ::edgetrain::test::test_seed();          \
  INFO("replay with --rand-seed=" << var##_seed);                      \
  std::mt19937 var(var##_seed)

inline std::vector<float> uniform(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Random image bytes (a plan's input).
inline std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (uint8_t& x : v) x = static_cast<uint8_t>(rng() >> 24);
  return v;
}

}  // namespace edgetrain::test

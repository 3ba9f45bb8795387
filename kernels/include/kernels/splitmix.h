#pragma once
// splitmix64 (Steele, Lea, Flood 2014): the one random source of the runtime. Integer-only, so
// every platform draws the same values: weight init, epoch orders, generated images and crops,
// dropout masks (dropout_rng.h) and state files' temporary names. A kernels header so that the
// kernels can draw from it too.

#include <cstdint>

namespace edgetrain {

constexpr uint64_t kSplitmixGamma = 0x9e3779b97f4a7c15ull;  // the stream's increment

// The finaliser: a bijection of 64-bit values (a counter-based generator on its own).
constexpr uint64_t splitmix_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The next value of the stream whose state is `state`.
inline uint64_t splitmix_next(uint64_t& state) { return splitmix_mix(state += kSplitmixGamma); }

}  // namespace edgetrain

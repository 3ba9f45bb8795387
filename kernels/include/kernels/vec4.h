// Four-float vectors for the portable tiled kernels (GCC/Clang vector extensions): the compiler
// maps them to SSE on x86-64 and NEON on aarch64. Loads and stores are unaligned.
#pragma once

#include <cstddef>
#include <cstring>

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof v); }

// The first `count` (< 4) lanes, the rest zero; and their store. For kernels whose tail must
// take the same lane formula as the body (a vector exp differs from std::exp's bits).
inline v4f load4_partial(const float* p, size_t count) {
  v4f v = {};
  std::memcpy(&v, p, count * sizeof(float));
  return v;
}

inline void store4_partial(float* p, v4f v, size_t count) { std::memcpy(p, &v, count * sizeof(float)); }

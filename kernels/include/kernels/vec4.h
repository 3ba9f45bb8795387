// Four-float vectors for the portable tiled kernels (GCC/Clang vector extensions): the compiler
// maps them to SSE on x86-64 and NEON on aarch64. Loads and stores are unaligned.
#pragma once

#include <cstring>

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof v); }

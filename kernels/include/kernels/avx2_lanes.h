// Partial 8-float vectors for the x86-64 AVX2 kernels, private to kernels/ and only for use inside
// functions built with target("avx2,fma") (they are always inlined there, so no AVX2 code is
// emitted on its own). The first `lanes` floats; masked-out lanes are never read or written.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstddef>

#define EDGETRAIN_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

namespace edgetrain_kernels {

EDGETRAIN_AVX2_INLINE __m256i avx2_lane_mask(size_t lanes) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(lanes)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <bool Masked>
EDGETRAIN_AVX2_INLINE __m256 avx2_load_lanes(const float* p, __m256i mask) {
  return Masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

template <bool Masked>
EDGETRAIN_AVX2_INLINE void avx2_store_lanes(float* p, __m256i mask, __m256 v) {
  if (Masked) {
    _mm256_maskstore_ps(p, mask, v);
  } else {
    _mm256_storeu_ps(p, v);
  }
}

}  // namespace edgetrain_kernels

#endif  // __x86_64__

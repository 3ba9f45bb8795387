// Dropout's mask: a counter-based random source, so the mask of an element is a pure function
// of (seed, step, salt, element index) and never of a generator's state. A checkpointed plan
// that recomputes a Dropout draws the same mask as its first run, store-all and checkpointed
// plans train bit for bit alike, a resumed run continues bit for bit, and no tiling or thread
// split of the op can change a bit.
//
// The definition (docs/ARCHITECTURE.md, "Dropout"), all arithmetic modulo 2^64:
//   mix(z)    = splitmix64's finaliser (splitmix.h): z ^= z >> 30; z *= 0xbf58476d1ce4e5b9;
//               z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31
//   G         = 0x9e3779b97f4a7c15 (splitmix64's increment, kSplitmixGamma)
//   key       = mix(mix(mix(seed + G) + step) + salt)     once per op and step
//   h(w)      = mix(key + (w + 1) * G)                     one hash per pair of elements
//   u(e)      = bits 0..31 of h(e / 2) for even e, bits 32..63 for odd e
//   t         = floor(p * 2^32) (computed in double; p in [0, 1), so t < 2^32; p = 0: t = 0)
//   keep(e)   = u(e) >= t                                  P(keep) = 1 - t / 2^32 ~= 1 - p
//   scale     = 1.0f / (1.0f - p) in float (exactly 1 for p = 0)
//   y[e]      = keep(e) ? x[e] * scale : +0.0f,   mask bit e % 8 of byte e / 8 = keep(e)
// seed: the session's seed (SessionOptions::seed, the trainer's --seed, which also seeds the
// weights and the epoch order); step: the 1-based training step (OptimizerConfig::step); salt:
// the op's own constant from the plan (dropout_salt, plan_format.h); e counts the elements of
// the op's output from 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/splitmix.h"


// The op's key for one step.
inline constexpr uint64_t dropout_key(uint64_t seed, uint64_t step, uint32_t salt) {
  return edgetrain::splitmix_mix(edgetrain::splitmix_mix(edgetrain::splitmix_mix(seed + edgetrain::kSplitmixGamma) + step) + salt);
}

// Elements whose 32-bit draw is below this are dropped.
inline uint32_t dropout_threshold(float p) { return static_cast<uint32_t>(static_cast<double>(p) * 4294967296.0); }
inline float dropout_scale(float p) { return 1.0f / (1.0f - p); }

// Whether element `e` is kept: the reference's one-element form.
inline bool dropout_keep(uint64_t key, uint32_t threshold, uint64_t e) {
  const uint64_t h = edgetrain::splitmix_mix(key + (e / 2 + 1) * edgetrain::kSplitmixGamma);
  return static_cast<uint32_t>(h >> (32 * (e & 1))) >= threshold;
}

// The mask byte of elements first .. first + 7 (first a multiple of 8): four hashes, two draws
// each; the same bits as dropout_keep.
inline unsigned dropout_mask_byte(uint64_t key, uint32_t threshold, uint64_t first) {
  unsigned bits = 0;
  for (unsigned k = 0; k < 4; ++k) {
    const uint64_t h = edgetrain::splitmix_mix(key + (first / 2 + k + 1) * edgetrain::kSplitmixGamma);
    bits |= (static_cast<uint32_t>(h) >= threshold ? 1u : 0u) << (2 * k);
    bits |= (static_cast<uint32_t>(h >> 32) >= threshold ? 1u : 0u) << (2 * k + 1);
  }
  return bits;
}

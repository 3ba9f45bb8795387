#include "image_set.h"

#include <cassert>
#include <cstring>

#include "kernels/splitmix.h"

namespace edgetrain {

namespace {

// Image i of a generated set is the splitmix64 stream started at this key: counter-based, so any
// image costs the same to make in any order (the trainer asks for them shuffled) and a resumed
// run sees the bytes an uninterrupted one did. The stream's first value draws the label, each
// later one 8 pixels.
uint64_t image_key(uint64_t seed, uint32_t i) { return splitmix_mix(splitmix_mix(seed + kSplitmixGamma) ^ i); }

// Little-endian on every platform; written out so that compilers merge it into one store.
void store_le64(uint8_t* p, uint64_t v) {
  p[0] = static_cast<uint8_t>(v), p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16), p[3] = static_cast<uint8_t>(v >> 24);
  p[4] = static_cast<uint8_t>(v >> 32), p[5] = static_cast<uint8_t>(v >> 40);
  p[6] = static_cast<uint8_t>(v >> 48), p[7] = static_cast<uint8_t>(v >> 56);
}

}  // namespace

void ImageSet::copy_image(uint32_t i, uint8_t* dst) const {
  assert(i < count);
  const size_t bytes = image_bytes();
  if (!generated) {
    std::memcpy(dst, pixels.data() + i * bytes, bytes);
    return;
  }
  uint64_t state = image_key(seed, i) + kSplitmixGamma;  // past the label's value
  size_t k = 0;
  for (; k + 8 <= bytes; k += 8) store_le64(dst + k, splitmix_mix(state += kSplitmixGamma));
  const uint64_t z = splitmix_mix(state + kSplitmixGamma);
  for (size_t b = 0; k + b < bytes; ++b) dst[k + b] = static_cast<uint8_t>(z >> (8 * b));
}

uint32_t ImageSet::label(uint32_t i) const {
  assert(i < count);
  if (!generated) return labels[i];
  return static_cast<uint32_t>(splitmix_mix(image_key(seed, i) + kSplitmixGamma) % classes);
}

ImageSet synthetic_image_set(uint32_t count, uint32_t height, uint32_t width, uint32_t channels,
                             uint32_t classes, uint32_t seed) {
  assert(classes > 0);
  ImageSet set;
  set.count = count, set.height = height, set.width = width, set.channels = channels;
  set.generated = true;
  set.seed = seed;
  set.classes = classes;
  return set;
}

}  // namespace edgetrain

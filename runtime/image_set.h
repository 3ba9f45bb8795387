// A labelled image set the trainer reads batches from: pixels held in memory (the IDX files,
// runtime/idx_dataset.h) or generated on demand (--synthetic), so that a synthetic set costs no
// memory at any input size: 64 ImageNet-sized images would be 9.6 MB of a peak RSS that is
// compared with PyTorch's, whose script holds one batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgetrain {

struct ImageSet {
  uint32_t count = 0, height = 0, width = 0, channels = 1;
  std::vector<uint8_t> pixels;  // count x height x width x channels (NHWC); empty when generated
  std::vector<uint8_t> labels;  // count; empty when generated

  // A generated set: image i and its label are a pure function of (seed, i), below `classes`.
  bool generated = false;
  uint64_t seed = 0;
  uint32_t classes = 0;

  size_t image_bytes() const { return size_t{height} * width * channels; }
  // Writes image i's image_bytes() bytes to `dst`.
  void copy_image(uint32_t i, uint8_t* dst) const;
  uint32_t label(uint32_t i) const;
};

// `count` random images and labels of the given shape (for memory and speed runs at any input
// size), generated when read: the set holds no pixels.
ImageSet synthetic_image_set(uint32_t count, uint32_t height, uint32_t width, uint32_t channels,
                             uint32_t classes, uint32_t seed);

}  // namespace edgetrain

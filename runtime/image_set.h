// A labelled image set the trainer reads batches from: pixels held in memory (the IDX and
// CIFAR-10 files, runtime/idx_dataset.h), generated on demand (--synthetic), so that a synthetic
// set costs no memory at any input size: 64 ImageNet-sized images would be 9.6 MB of a peak RSS
// that is compared with PyTorch's, whose script holds one batch; or image files decoded batch by
// batch (an image folder, runtime/image_folder.h, through runtime/batch_loader.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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

  // Image files (JPEG, PNG), decoded to height x width x channels when read; labels as above.
  // The largest file and decode among them size the loader's buffers once.
  std::vector<std::string> paths;
  std::vector<std::string> class_names;  // label -> name (image folders)
  uint64_t max_file_bytes = 0, max_decoded_bytes = 0, max_resample_floats = 0;

  bool from_files() const { return !paths.empty(); }
  size_t image_bytes() const { return size_t{height} * width * channels; }
  // Writes image i's image_bytes() bytes to `dst` (held or generated sets; files go through
  // BatchLoader).
  void copy_image(uint32_t i, uint8_t* dst) const;
  uint32_t label(uint32_t i) const;
};

// `count` random images and labels of the given shape (for memory and speed runs at any input
// size), generated when read: the set holds no pixels.
ImageSet synthetic_image_set(uint32_t count, uint32_t height, uint32_t width, uint32_t channels,
                             uint32_t classes, uint32_t seed);

}  // namespace edgetrain

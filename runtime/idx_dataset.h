// Labelled image sets in the IDX format (MNIST, Fashion-MNIST), gzip-compressed or not. An images
// file is count x height x width (magic 0x803, one channel) or count x height x width x channels
// (0x804, NHWC, 1 to 4 channels).
// Loaded whole at start-up: Fashion-MNIST's training set is 47 MB of uint8 pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image_set.h"
#include "edgetrain/status.h"

namespace edgetrain {

// Reads `<dir>/<prefix>-images-idx3-ubyte.gz` and `<dir>/<prefix>-labels-idx1-ubyte.gz`
// (prefix "train" or "t10k"); labels must be < `classes`. Errors name the file and the problem.
Status load_image_set(const std::string& dir, const std::string& prefix, uint32_t classes,
                      ImageSet* out);

// The same for explicit paths.
Status load_idx_pair(const std::string& images_path, const std::string& labels_path,
                     uint32_t classes, ImageSet* out);

// Parses the decompressed bytes of an images file and a labels file; the names are for errors.
// Takes the buffers over (the pixels stay where they are: no second 47 MB copy).
Status parse_idx_pair(const char* images_name, std::vector<uint8_t> images,
                      const char* labels_name, std::vector<uint8_t> labels,
                      uint32_t classes, ImageSet* out);

}  // namespace edgetrain

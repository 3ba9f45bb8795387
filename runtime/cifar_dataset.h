// CIFAR-10 in its binary form (cifar-10-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html):
// files of 3073-byte records, a label byte then a 32x32 image as three planes (R, G, B), which
// the reader turns into the NHWC pixels an ImageSet holds. The files are read in chunks of
// records, so loading costs the set's own bytes (150 MB for the training set) and no file copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "image_set.h"
#include "edgetrain/status.h"

namespace edgetrain {

// Fills `out` from `dir`'s data_batch_1.bin .. data_batch_5.bin (train: those present, in that
// order; data_batch_1.bin must be) or test_batch.bin, in `dir` or in `dir`/cifar-10-batches-bin/
// (the tarball's folder). Labels must be < `classes`. On an error `out` is left as it was.
Status load_cifar10(const std::string& dir, bool train, uint32_t classes, ImageSet* out);

// Appends the records of one file's bytes to `out` (empty, or holding 32x32x3 images); `name`
// is for errors. On an error `out` is left as it was.
Status parse_cifar10(const char* name, const uint8_t* bytes, size_t size, uint32_t classes,
                     ImageSet* out);

// True if `dir` holds data_batch_1.bin or test_batch.bin, itself or in cifar-10-batches-bin/.
bool is_cifar10_dir(const std::string& dir);

}  // namespace edgetrain

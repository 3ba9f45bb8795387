// Fuzz target for the IDX data parser: the input is split into an images file and a labels file.
// Built as a libFuzzer target with clang (-DEDGETRAIN_LIBFUZZER=ON), or with fuzz_main.cc as a
// deterministic mutation driver that ctest runs in every build.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "idx_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes (little-endian) give the images file's length; the rest is labels.
  const size_t images_size = (data[0] | size_t{data[1]} << 8) % (size - 1);
  const std::vector<uint8_t> images(data + 2, data + 2 + images_size);
  const std::vector<uint8_t> labels(data + 2 + images.size(), data + size);
  edgetrain::ImageSet set;
  const edgetrain::Status s = edgetrain::parse_idx_pair("images", images, "labels", labels, 10, &set);
  if (s.is_ok()) {
    // What the trainer relies on after a successful parse.
    if (set.pixels.size() != size_t{set.count} * set.height * set.width) __builtin_trap();
    if (set.labels.size() != set.count) __builtin_trap();
    for (uint8_t l : set.labels) if (l >= 10) __builtin_trap();
  }
  return 0;
}

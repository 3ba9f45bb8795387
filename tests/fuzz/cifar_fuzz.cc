// Fuzz target for the CIFAR-10 binary reader (parse_cifar10): the input is one batch file's
// bytes, parsed into an empty set and then appended to it once more. Built as a libFuzzer target
// with clang (-DEDGETRAIN_LIBFUZZER=ON), or with fuzz_main.cc as a deterministic mutation driver
// that ctest runs in every build.
#include <cstddef>
#include <cstdint>

#include "cifar_dataset.h"

namespace {

constexpr size_t kRecord = 3073, kPlane = 1024;

// What the trainer relies on after a successful parse, and the planes-to-NHWC order: image i's
// pixel p, channel c, is byte 1 + c*1024 + p of record i % records of the input.
void check(const edgetrain::ImageSet& set, const uint8_t* data, size_t records) {
  if (set.height != 32 || set.width != 32 || set.channels != 3) __builtin_trap();
  if (set.pixels.size() != size_t{set.count} * set.height * set.width * set.channels) __builtin_trap();
  if (set.labels.size() != set.count) __builtin_trap();
  for (uint32_t i = 0; i < set.count; ++i) {
    const uint8_t* record = data + (i % records) * kRecord;
    if (set.labels[i] != record[0] || record[0] >= 10) __builtin_trap();
    for (size_t p = 0; p < kPlane; ++p)
      for (size_t c = 0; c < 3; ++c)
        if (set.pixels[(i * kPlane + p) * 3 + c] != record[1 + c * kPlane + p]) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  edgetrain::ImageSet set;
  if (!edgetrain::parse_cifar10("batch", data, size, 10, &set).is_ok()) {
    // A refused file leaves the set as it was.
    if (set.count != 0 || !set.pixels.empty() || !set.labels.empty()) __builtin_trap();
    return 0;
  }
  const size_t records = size / kRecord;
  if (set.count != records) __builtin_trap();
  check(set, data, records);
  if (!edgetrain::parse_cifar10("again", data, size, 10, &set).is_ok()) __builtin_trap();
  if (set.count != 2 * records) __builtin_trap();
  check(set, data, records);
  return 0;
}

// Fuzz target for the IDX data reader: the input is split into an images file and a labels file.
// An images file that starts with gzip's magic goes through the files path (load_idx_pair: zlib's
// gzread, streams cut short or damaged), both files in memfds; anything else straight to the
// parser (parse_idx_pair). Built as a libFuzzer target with clang (-DEDGETRAIN_LIBFUZZER=ON), or
// with fuzz_main.cc as a deterministic mutation driver that ctest runs in every build.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "idx_dataset.h"

namespace {

// A memfd holding `bytes`, closed on scope exit; path() reopens it from the start.
struct MemFile {
  int fd;
  explicit MemFile(const std::vector<uint8_t>& bytes) : fd(memfd_create("idx_fuzz", 0)) {
    for (size_t done = 0; fd >= 0 && done < bytes.size();) {
      const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) __builtin_trap();  // the harness's own failure, not the reader's
      done += static_cast<size_t>(n);
    }
  }
  ~MemFile() { if (fd >= 0) close(fd); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes (little-endian) give the images file's length; the rest is labels.
  const size_t images_size = (data[0] | size_t{data[1]} << 8) % (size - 1);
  const std::vector<uint8_t> images(data + 2, data + 2 + images_size);
  const std::vector<uint8_t> labels(data + 2 + images.size(), data + size);
  edgetrain::ImageSet set;
  edgetrain::Status s = edgetrain::Status::ok();
  if (images.size() >= 2 && images[0] == 0x1f && images[1] == 0x8b) {
    const MemFile i(images), l(labels);
    if (i.fd < 0 || l.fd < 0) __builtin_trap();
    s = edgetrain::load_idx_pair(i.path(), l.path(), 10, &set);
  } else {
    s = edgetrain::parse_idx_pair("images", images, "labels", labels, 10, &set);
  }
  if (s.is_ok()) {
    // What the trainer relies on after a successful parse.
    if (set.channels < 1 || set.channels > 4) __builtin_trap();
    if (set.pixels.size() != size_t{set.count} * set.height * set.width * set.channels) __builtin_trap();
    if (set.labels.size() != set.count) __builtin_trap();
    for (uint8_t l : set.labels) if (l >= 10) __builtin_trap();
  }
  return 0;
}

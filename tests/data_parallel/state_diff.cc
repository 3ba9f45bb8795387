// state_diff A B TOLERANCE: two state files of one model (runtime/state_file.h) at the same
// step and data position, whose weights differ by at most TOLERANCE x max |B| (0: bit for bit).
// Prints the largest difference. For the data-parallel tests: R ranks at batch b against one
// process at batch R x b. With --differ the test is the other way round: it passes when the
// weights differ by more than TOLERANCE (a control: the comparison can fail).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "state_format.h"

using edgetrain::StateHeader;

namespace {

constexpr size_t kHeader = sizeof(StateHeader), kCrc = 4;

std::vector<unsigned char> read(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "state_diff: cannot read %s\n", path);
    std::exit(2);
  }
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < kHeader + kCrc || std::memcmp(bytes.data(), edgetrain::kStateMagic, sizeof edgetrain::kStateMagic) != 0) {
    std::fprintf(stderr, "state_diff: %s is not a state file\n", path);
    std::exit(2);
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const bool differ = argc == 5 && std::strcmp(argv[4], "--differ") == 0;
  if (argc != 4 && !differ) {
    std::fprintf(stderr, "usage: state_diff A.state B.state TOLERANCE [--differ]\n");
    return 2;
  }
  const std::vector<unsigned char> a = read(argv[1]), b = read(argv[2]);
  const double tolerance = std::atof(argv[3]);
  StateHeader x, y;
  std::memcpy(&x, a.data(), kHeader);
  std::memcpy(&y, b.data(), kHeader);
  if (a.size() != b.size() || x.model_hash != y.model_hash || x.step != y.step || x.epoch != y.epoch ||
      x.cursor != y.cursor || x.payload_bytes != y.payload_bytes) {
    std::fprintf(stderr, "state_diff: %s and %s hold other models, steps or data positions\n", argv[1], argv[2]);
    return 2;
  }
  const size_t n = (a.size() - kHeader - kCrc) / 4;
  double worst = 0, largest = 0;
  for (size_t i = 0; i < n; ++i) {
    float p, q;
    std::memcpy(&p, a.data() + kHeader + 4 * i, 4);
    std::memcpy(&q, b.data() + kHeader + 4 * i, 4);
    // Plain comparisons: GCC 12's aarch64 vectoriser fails (an internal error) on fmax reductions.
    const double d = std::fabs(static_cast<double>(p) - q), m = std::fabs(static_cast<double>(q));
    if (d > worst) worst = d;
    if (m > largest) largest = m;
  }
  const double relative = largest > 0 ? worst / largest : worst;
  std::printf("state_diff: %zu values, max |A - B| %.3g, relative to max |B| %.3g (tolerance %g)\n", n, worst,
              relative, tolerance);
  return (relative <= tolerance) != differ ? 0 : 1;
}

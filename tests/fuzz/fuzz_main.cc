// A small stand-in for libFuzzer's driver, so fuzz targets run in every build (g++, QEMU):
//   <target> <iterations> <seed-file>...
// Runs each seed file, then `iterations` deterministic mutations of them (bit flips, byte
// replacements with boundary values, truncations, insertions): a crash replays exactly.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

uint64_t next(uint64_t& s) {
  s ^= s << 13, s ^= s >> 7, s ^= s << 17;
  return s;
}

void mutate(std::vector<uint8_t>& v, uint64_t& rng) {
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x03, 0x08, 0x7f, 0x80, 0xff};
  const int edits = 1 + static_cast<int>(next(rng) % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = v.empty() ? 0 : next(rng) % v.size();
    switch (next(rng) % 4) {
      case 0: if (!v.empty()) v[at] ^= static_cast<uint8_t>(1u << (next(rng) % 8)); break;
      case 1: if (!v.empty()) v[at] = kInteresting[next(rng) % sizeof kInteresting]; break;
      case 2: v.resize(at); break;
      case 3: v.insert(v.begin() + static_cast<long>(at), static_cast<uint8_t>(next(rng))); break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <iterations> <seed-file>...\n", argv[0]);
    return 2;
  }
  const long iterations = std::strtol(argv[1], nullptr, 10);
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 2; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "cannot read seed file %s\n", argv[i]);
      return 2;
    }
    seeds.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(seeds.back().data(), seeds.back().size());
  }
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  for (long it = 0; it < iterations; ++it) {
    std::vector<uint8_t> input = seeds[static_cast<size_t>(it) % seeds.size()];
    mutate(input, rng);
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::fprintf(stderr, "%ld mutated inputs, no crash\n", iterations);
  return 0;
}

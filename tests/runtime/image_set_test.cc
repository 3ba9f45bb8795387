// Generated (synthetic) image sets: each image a pure function of (seed, index), held nowhere.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "../test_random.h"
#include "image_set.h"

using namespace edgetrain;

namespace {

std::vector<uint8_t> image(const ImageSet& set, uint32_t i) {
  std::vector<uint8_t> bytes(set.image_bytes() + 8, 0xA5);  // a canary past the end
  set.copy_image(i, bytes.data());
  for (size_t k = set.image_bytes(); k < bytes.size(); ++k) REQUIRE(bytes[k] == 0xA5);
  bytes.resize(set.image_bytes());
  return bytes;
}

}  // namespace

TEST_CASE("a synthetic set holds no pixels, whatever its size") {
  const ImageSet set = synthetic_image_set(1u << 20, 224, 224, 3, 1000, 1);
  CHECK(set.generated);
  CHECK(set.count == 1u << 20);
  CHECK(set.image_bytes() == 224u * 224 * 3);
  CHECK(set.pixels.empty());
  CHECK(set.labels.empty());
  CHECK(set.label(set.count - 1) < 1000);
  CHECK(image(set, set.count - 1).size() == 224u * 224 * 3);
}

TEST_CASE("synthetic image i is a function of (seed, i) only") {
  EDGETRAIN_SEEDED_RNG(rng);
  // 5x5x3 = 75 bytes: not a multiple of the generator's 8-byte blocks.
  for (uint32_t h : {5u, 28u}) {
    CAPTURE(h);
    const ImageSet a = synthetic_image_set(1000, h, h, 3, 10, 7);
    const ImageSet b = synthetic_image_set(1000, h, h, 3, 10, 7);  // made anew: nothing cached
    const ImageSet other_seed = synthetic_image_set(1000, h, h, 3, 10, 8);
    const uint32_t i = static_cast<uint32_t>(rng() % 1000);
    const uint32_t j = static_cast<uint32_t>((i + 1 + rng() % 999) % 1000);
    CAPTURE(i);
    CAPTURE(j);
    const std::vector<uint8_t> first = image(a, i);
    image(a, j);  // in any order
    CHECK(image(a, i) == first);
    CHECK(image(b, i) == first);
    CHECK(a.label(i) == b.label(i));
    CHECK(image(a, j) != first);
    CHECK(image(other_seed, i) != first);
  }
  // The last, partial block (75 = 9 x 8 + 3 bytes) is random too, not a fixed tail.
  const ImageSet odd = synthetic_image_set(1000, 5, 5, 3, 10, 7);
  std::set<uint8_t> last_bytes;
  for (uint32_t i = 0; i < odd.count; ++i) last_bytes.insert(image(odd, i).back());
  CHECK(last_bytes.size() > 200);
}

TEST_CASE("synthetic images are the same on every platform") {
  // Pinned: the host and the aarch64 build (under QEMU) must generate these very bytes, so a
  // state saved on one resumes on the other with the same data. (A Python transcription of
  // image_set.cc's splitmix64 stream gives the same two numbers.)
  const ImageSet set = synthetic_image_set(64, 224, 224, 3, 1000, 1);
  const std::vector<uint8_t> px = image(set, 17);
  uint64_t fnv = 0xcbf29ce484222325ull;  // FNV-1a of the whole image
  for (uint8_t b : px) fnv = (fnv ^ b) * 0x100000001b3ull;
  CHECK(fnv == 8270878274787117820ull);
  CHECK(set.label(17) == 512u);
}

TEST_CASE("synthetic labels cover every class and pixels every byte value") {
  const ImageSet set = synthetic_image_set(10000, 28, 28, 1, 10, 3);
  std::vector<uint32_t> per_class(10, 0);
  for (uint32_t i = 0; i < set.count; ++i) {
    const uint32_t l = set.label(i);
    REQUIRE(l < 10);
    ++per_class[l];
  }
  for (uint32_t n : per_class) CHECK((n > 900 && n < 1100));  // 1000 expected, sigma 30

  const ImageSet big = synthetic_image_set(1, 224, 224, 3, 1000, 3);
  const std::vector<uint8_t> px = image(big, 0);
  std::vector<uint32_t> histogram(256, 0);
  uint64_t sum = 0;
  for (uint8_t b : px) ++histogram[b], sum += b;
  for (uint32_t n : histogram) CHECK(n > 0);
  CHECK(static_cast<double>(sum) / static_cast<double>(px.size()) == doctest::Approx(127.5).epsilon(0.01));
}

TEST_CASE("a held set copies its own pixels and labels") {
  ImageSet set;
  set.count = 2, set.height = 1, set.width = 3, set.channels = 1;
  set.pixels = {1, 2, 3, 4, 5, 6};
  set.labels = {7, 9};
  CHECK(image(set, 1) == std::vector<uint8_t>{4, 5, 6});
  CHECK(set.label(0) == 7);
  CHECK(set.label(1) == 9);
}

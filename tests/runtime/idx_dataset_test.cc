#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "idx_dataset.h"

using namespace edgetrain;

namespace {

const char* kFashion = "/usr/share/datasets/fashion-mnist";

// A gzip file in the test's temp directory (mode "wb0": stored blocks, no compression).
std::string write_gz(const std::string& name, const std::vector<uint8_t>& bytes, const char* mode = "wb") {
  const std::string path = "/tmp/edgetrain_idx_test_" + std::to_string(getpid()) + "_" + name;
  gzFile f = gzopen(path.c_str(), mode);
  REQUIRE(f != nullptr);
  if (!bytes.empty()) REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) > 0);
  gzclose(f);
  return path;
}

std::vector<uint8_t> idx(uint32_t magic, std::vector<uint32_t> dims, size_t payload) {
  std::vector<uint8_t> b;
  auto be = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
  };
  be(magic);
  for (uint32_t d : dims) be(d);
  b.resize(b.size() + payload, 1);
  return b;
}

std::string load_error(const std::vector<uint8_t>& images, const std::vector<uint8_t>& labels) {
  const std::string ip = write_gz("images.gz", images), lp = write_gz("labels.gz", labels);
  ImageSet set;
  const Status s = load_idx_pair(ip, lp, 10, &set);
  std::remove(ip.c_str());
  std::remove(lp.c_str());
  return s.is_ok() ? "" : s.message();
}

}  // namespace

TEST_CASE("the real Fashion-MNIST files load") {
  ImageSet train, test;
  REQUIRE(load_image_set(kFashion, "train", 10, &train).is_ok());
  REQUIRE(load_image_set(kFashion, "t10k", 10, &test).is_ok());
  CHECK(train.count == 60000);
  CHECK(test.count == 10000);
  CHECK(train.height == 28);
  CHECK(train.width == 28);
  CHECK(train.pixels.size() == 60000u * 28 * 28);
  // Classes are balanced: 6000 training images each.
  std::vector<int> per_class(10, 0);
  for (uint8_t l : train.labels) ++per_class[l];
  for (int n : per_class) CHECK(n == 6000);
}

TEST_CASE("bad data files give one clear error naming the file") {
  const auto images = idx(0x803, {3, 2, 2}, 12);
  const auto labels = idx(0x801, {3}, 3);
  CHECK(load_error(images, labels) == "");
  CHECK(load_error(idx(0x801, {3, 2, 2}, 12), labels).find("images.gz' has magic 0x00000801") != std::string::npos);
  CHECK(load_error(idx(0x803, {3, 2, 2}, 11), labels).find("images.gz' is truncated") != std::string::npos);
  CHECK(load_error(std::vector<uint8_t>(5, 0), labels).find("is truncated") != std::string::npos);
  CHECK(load_error(images, idx(0x801, {4}, 4)).find("3 images but") != std::string::npos);
  CHECK(load_error(images, {}).find("labels.gz' is truncated") != std::string::npos);
  auto bad_label = labels;
  bad_label.back() = 10;
  CHECK(load_error(images, bad_label).find("label 10 at index 2") != std::string::npos);

  ImageSet set;
  const Status missing = load_image_set("/nonexistent", "train", 10, &set);
  CHECK(std::string(missing.message()).find("/nonexistent/train-images-idx3-ubyte.gz") != std::string::npos);
}

TEST_CASE("a corrupt gzip stream is an error, not a crash") {
  auto gz = write_gz("corrupt.gz", idx(0x803, {3, 2, 2}, 12));
  {  // flip bytes in the middle of the deflate stream
    FILE* f = std::fopen(gz.c_str(), "r+b");
    REQUIRE(f != nullptr);
    std::fseek(f, 12, SEEK_SET);
    const uint8_t junk[6] = {0xff, 0x00, 0xff, 0x00, 0xff, 0x00};
    std::fwrite(junk, 1, sizeof junk, f);
    std::fclose(f);
  }
  const std::string lp = write_gz("labels2.gz", idx(0x801, {3}, 3));
  ImageSet set;
  const Status s = load_idx_pair(gz, lp, 10, &set);
  CHECK_FALSE(s.is_ok());
  CHECK(std::string(s.message()).find("corrupt.gz") != std::string::npos);
  std::remove(gz.c_str());
  std::remove(lp.c_str());
}

namespace {

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::vector<uint8_t> b;
  FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  for (int c; (c = std::fgetc(f)) != EOF;) b.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  return b;
}

void put_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
}

// Loads `images` as stored-block gzip with `damage` applied to the file's bytes.
Status load_damaged(void (*damage)(std::vector<uint8_t>&)) {
  const std::string ip = write_gz("cut.gz", idx(0x803, {3, 2, 2}, 12), "wb0");
  const std::string lp = write_gz("cut-labels.gz", idx(0x801, {3}, 3));
  std::vector<uint8_t> b = file_bytes(ip);
  damage(b);
  put_bytes(ip, b);
  ImageSet set;
  const Status s = load_idx_pair(ip, lp, 10, &set);
  std::remove(ip.c_str());
  std::remove(lp.c_str());
  return s;
}

}  // namespace

TEST_CASE("a gzip stream cut short is refused: without its trailer nothing checks the CRC") {
  // Undamaged, the stored-block file loads (the damage below is all that fails).
  CHECK(load_damaged([](std::vector<uint8_t>&) {}).is_ok());
  // The trailer (CRC-32 and length, 8 bytes) cut off: every pixel is there, but unchecked.
  Status s = load_damaged([](std::vector<uint8_t>& b) { b.resize(b.size() - 8); });
  CHECK(s.code() == StatusCode::BadData);
  CHECK(std::string(s.message()).find("cut.gz' is truncated (unexpected end of file") != std::string::npos);
  CHECK(std::string(s.message()).find("re-download it") != std::string::npos);
  // A flipped pixel bit (stored blocks decode it silently) and the trailer cut: corrupt pixels.
  s = load_damaged([](std::vector<uint8_t>& b) {
    b[b.size() - 8 - 3] ^= 0x10;
    b.resize(b.size() - 8);
  });
  CHECK(s.code() == StatusCode::BadData);
  CHECK(std::string(s.message()).find("is truncated") != std::string::npos);
  // Only part of the trailer left.
  s = load_damaged([](std::vector<uint8_t>& b) { b.resize(b.size() - 3); });
  CHECK_FALSE(s.is_ok());
  // With the trailer, the CRC catches the flipped bit.
  s = load_damaged([](std::vector<uint8_t>& b) { b[b.size() - 8 - 3] ^= 0x10; });
  CHECK(s.code() == StatusCode::BadData);
  CHECK(std::string(s.message()).find("cut.gz' is corrupt (incorrect data check)") != std::string::npos);
}

TEST_CASE("an IDX header must match the data's real size: short and trailing bytes are refused") {
  const auto labels = idx(0x801, {3}, 3);
  const std::string too_long = load_error(idx(0x803, {3, 2, 2}, 13), labels);
  CHECK(too_long.find("images.gz' is too long: 29 bytes, its IDX header promises 28") != std::string::npos);
  const std::string too_short = load_error(idx(0x803, {3, 2, 2}, 11), labels);
  CHECK(too_short.find("images.gz' is truncated: 27 bytes, its IDX header promises 28") != std::string::npos);
  // Dimensions whose product overflows 64 bits are not wrapped into a small, matching size.
  const std::string huge = load_error(idx(0x803, {1u << 23, 1u << 23, 1u << 23}, 0), labels);
  CHECK(huge.find("is truncated") != std::string::npos);
}

TEST_CASE("a 4-dimension IDX images file (magic 0x804) is NHWC with its channel count") {
  const uint32_t n = 2, h = 5, w = 7, c = 3;
  auto images = idx(0x804, {n, h, w, c}, 0);
  for (uint32_t i = 0; i < n * h * w * c; ++i) images.push_back(static_cast<uint8_t>(i * 7 + 3));
  auto labels = idx(0x801, {n}, 0);
  labels.push_back(4);
  labels.push_back(9);
  const std::string ip = write_gz("rgb-images.gz", images), lp = write_gz("rgb-labels.gz", labels);
  ImageSet set;
  const Status s = load_idx_pair(ip, lp, 10, &set);
  std::remove(ip.c_str());
  std::remove(lp.c_str());
  REQUIRE_MESSAGE(s.is_ok(), s.message());
  CHECK(set.count == n);
  CHECK(set.height == h);
  CHECK(set.width == w);
  CHECK(set.channels == c);
  CHECK(set.image_bytes() == size_t{h} * w * c);
  REQUIRE(set.pixels.size() == size_t{n} * h * w * c);
  // The file's payload order is NHWC already: pixel (i, y, x, ch) is byte ((i*h + y)*w + x)*c + ch.
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x)
        for (uint32_t ch = 0; ch < c; ++ch) {
          const uint32_t at = ((i * h + y) * w + x) * c + ch;
          CHECK(set.pixels[at] == static_cast<uint8_t>(at * 7 + 3));
        }
  CHECK(set.labels == std::vector<uint8_t>{4, 9});
  std::vector<uint8_t> second(set.image_bytes());
  set.copy_image(1, second.data());
  CHECK(second[0] == static_cast<uint8_t>(h * w * c * 7 + 3));

  // The 3-dimension form is still one channel.
  ImageSet gray;
  REQUIRE(parse_idx_pair("g", idx(0x803, {3, 2, 2}, 12), "l", idx(0x801, {3}, 3), 10, &gray).is_ok());
  CHECK(gray.channels == 1);
  CHECK(gray.pixels.size() == 12);
}

TEST_CASE("a 4-dimension IDX images file with 0 or more than 4 channels is refused, saying so") {
  const auto labels = idx(0x801, {2}, 2);
  for (uint32_t c : {0u, 5u}) {
    CAPTURE(c);
    const std::string e = load_error(idx(0x804, {2, 5, 7}, 0), labels);  // no channel field: no header
    CHECK(e.find("images.gz' is truncated: 16 bytes, no IDX header") != std::string::npos);
    auto images = idx(0x804, {2, 5, 7, c}, size_t{2} * 5 * 7 * c);
    const std::string err = load_error(images, labels);
    CHECK(err.find("images.gz' has " + std::to_string(c) + " channels per pixel") != std::string::npos);
    CHECK(err.find("not 1 to 4") != std::string::npos);
  }
  for (uint32_t c : {1u, 2u, 4u}) {
    CAPTURE(c);
    CHECK(load_error(idx(0x804, {2, 5, 7, c}, size_t{2} * 5 * 7 * c), labels) == "");
  }
  CHECK(load_error(idx(0x804, {2, 5, 7, 3}, 2 * 5 * 7 * 3 - 1), labels)
            .find("is truncated: 229 bytes, its IDX header promises 230") != std::string::npos);
  CHECK(load_error(idx(0x802, {2, 5, 7}, 70), labels)
            .find("has magic 0x00000802, expected 0x00000803 (IDX images) or 0x00000804") != std::string::npos);
}

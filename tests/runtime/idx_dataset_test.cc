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

// A gzip file in the test's temp directory.
std::string write_gz(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = "/tmp/edgetrain_idx_test_" + std::to_string(getpid()) + "_" + name;
  gzFile f = gzopen(path.c_str(), "wb");
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

// The CIFAR-10 binary reader, on small files written here: records of planes in, NHWC out.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cifar_dataset.h"

using namespace edgetrain;

namespace {

constexpr uint32_t kSide = 32;

// The value the test puts at channel `c`, pixel (y, x) of record `r` of batch `batch`: distinct
// per channel and position, so a swapped plane or transposed index shows.
uint8_t value(uint32_t batch, uint32_t r, uint32_t c, uint32_t y, uint32_t x) {
  return static_cast<uint8_t>(batch * 53 + r * 31 + c * 101 + y * 7 + x * 3);
}

// A CIFAR-10 file's bytes: per record the label, then the R, G and B planes, each row-major.
std::vector<uint8_t> records(uint32_t batch, const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> b;
  for (uint32_t r = 0; r < labels.size(); ++r) {
    b.push_back(labels[r]);
    for (uint32_t c = 0; c < 3; ++c)
      for (uint32_t y = 0; y < kSide; ++y)
        for (uint32_t x = 0; x < kSide; ++x) b.push_back(value(batch, r, c, y, x));
  }
  return b;
}

// Checks image `i` of `set` against record `r` of batch `batch`, pixel by pixel, with the NHWC
// index written out here rather than taken from the reader.
void check_image(const ImageSet& set, uint32_t i, uint32_t batch, uint32_t r) {
  CAPTURE(i);
  CAPTURE(batch);
  CAPTURE(r);
  REQUIRE(set.pixels.size() >= (size_t{i} + 1) * kSide * kSide * 3);
  int wrong = 0;
  for (uint32_t y = 0; y < kSide; ++y)
    for (uint32_t x = 0; x < kSide; ++x)
      for (uint32_t c = 0; c < 3; ++c) {
        const size_t at = ((size_t{i} * kSide + y) * kSide + x) * 3 + c;
        wrong += set.pixels[at] != value(batch, r, c, y, x);
      }
  CHECK(wrong == 0);
}

// A scratch folder in /tmp (the pid in its name), removed with its files at scope exit.
struct TempDir {
  std::string path;
  std::vector<std::string> files, dirs;
  explicit TempDir(const std::string& name)
      : path("/tmp/edgetrain_cifar_test_" + std::to_string(getpid()) + "_" + name) {
    REQUIRE(mkdir(path.c_str(), 0755) == 0);
    dirs.push_back(path);
  }
  ~TempDir() {
    for (const std::string& f : files) std::remove(f.c_str());
    for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) rmdir(d->c_str());
  }
  std::string subdir(const std::string& name) {
    const std::string d = path + "/" + name;
    REQUIRE(mkdir(d.c_str(), 0755) == 0);
    dirs.push_back(d);
    return d;
  }
  void write(const std::string& file, const std::vector<uint8_t>& bytes) {
    FILE* f = std::fopen(file.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
    files.push_back(file);
  }
};

std::string message(const Status& s) { return s.is_ok() ? "" : s.message(); }

}  // namespace

TEST_CASE("a CIFAR-10 file's planes become NHWC 32x32x3 images with their labels") {
  const std::vector<uint8_t> bytes = records(0, {3, 0, 9});
  REQUIRE(bytes.size() == 3u * 3073);
  ImageSet set;
  const Status s = parse_cifar10("batch", bytes.data(), bytes.size(), 10, &set);
  REQUIRE_MESSAGE(s.is_ok(), s.message());
  CHECK(set.count == 3);
  CHECK(set.height == 32);
  CHECK(set.width == 32);
  CHECK(set.channels == 3);
  CHECK(set.image_bytes() == 3072);
  CHECK(set.pixels.size() == 3u * 3072);
  CHECK(set.labels == std::vector<uint8_t>{3, 0, 9});
  for (uint32_t i = 0; i < 3; ++i) check_image(set, i, 0, i);
  // The first pixel is (R, G, B) of each plane's first byte; the second pixel follows it.
  CHECK(set.pixels[0] == bytes[1]);
  CHECK(set.pixels[1] == bytes[1 + 1024]);
  CHECK(set.pixels[2] == bytes[1 + 2048]);
  CHECK(set.pixels[3] == bytes[2]);

  // A second file appends after the first.
  const std::vector<uint8_t> more = records(1, {7});
  REQUIRE(parse_cifar10("more", more.data(), more.size(), 10, &set).is_ok());
  CHECK(set.count == 4);
  CHECK(set.labels == std::vector<uint8_t>{3, 0, 9, 7});
  check_image(set, 2, 0, 2);
  check_image(set, 3, 1, 0);
}

TEST_CASE("a CIFAR-10 file that is cut, has a bad label or meets another shape is refused, set unchanged") {
  std::vector<uint8_t> bytes = records(0, {1, 2, 3});
  ImageSet set;
  bytes.pop_back();
  CHECK(message(parse_cifar10("cut.bin", bytes.data(), bytes.size(), 10, &set)) ==
        "data file 'cut.bin' is truncated or not CIFAR-10 binary: 9218 bytes is not a multiple of "
        "3073-byte records: re-download and unpack cifar-10-binary.tar.gz");
  CHECK(message(parse_cifar10("empty.bin", bytes.data(), 0, 10, &set)).find("'empty.bin' is empty") !=
        std::string::npos);

  bytes = records(0, {1, 2, 10});
  const std::string bad = message(parse_cifar10("bad.bin", bytes.data(), bytes.size(), 10, &set));
  CHECK(bad.find("data file 'bad.bin': label 10 of record 2 is not below 10 classes") != std::string::npos);
  CHECK(set.count == 0);
  CHECK(set.pixels.empty());
  CHECK(set.labels.empty());
  // With more classes, the same label is fine.
  CHECK(parse_cifar10("bad.bin", bytes.data(), bytes.size(), 11, &set).is_ok());
  CHECK(set.count == 3);

  // Fashion-MNIST-shaped images do not mix with CIFAR-10's.
  ImageSet gray;
  gray.count = 1, gray.height = gray.width = 28, gray.channels = 1;
  gray.pixels.resize(784);
  gray.labels.resize(1);
  CHECK(message(parse_cifar10("x.bin", bytes.data(), bytes.size(), 11, &gray))
            .find("to a set of 28x28x1 images") != std::string::npos);
  CHECK(gray.count == 1);
  CHECK(gray.pixels.size() == 784);
}

TEST_CASE("load_cifar10 reads the training batches present in order, and the test batch") {
  TempDir dir("flat");
  dir.write(dir.path + "/data_batch_1.bin", records(1, {0, 1, 2}));
  dir.write(dir.path + "/data_batch_2.bin", records(2, {3, 4, 5}));
  // data_batch_3.bin missing: skipped, 4 still read after 2.
  dir.write(dir.path + "/data_batch_4.bin", records(4, {6, 7, 8}));
  dir.write(dir.path + "/test_batch.bin", records(9, {9, 8, 7}));
  CHECK(is_cifar10_dir(dir.path));

  ImageSet train, test;
  Status s = load_cifar10(dir.path, true, 10, &train);
  REQUIRE_MESSAGE(s.is_ok(), s.message());
  CHECK(train.count == 9);
  CHECK(train.height == 32);
  CHECK(train.width == 32);
  CHECK(train.channels == 3);
  CHECK(train.pixels.size() == 9u * 3072);
  CHECK(train.labels == std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  const uint32_t batch_of[3] = {1, 2, 4};
  for (uint32_t i = 0; i < 9; ++i) check_image(train, i, batch_of[i / 3], i % 3);

  s = load_cifar10(dir.path, false, 10, &test);
  REQUIRE_MESSAGE(s.is_ok(), s.message());
  CHECK(test.count == 3);
  CHECK(test.labels == std::vector<uint8_t>{9, 8, 7});
  for (uint32_t i = 0; i < 3; ++i) check_image(test, i, 9, i);
}

TEST_CASE("load_cifar10 finds the files in the tarball's cifar-10-batches-bin/ folder") {
  TempDir dir("tarball");
  CHECK_FALSE(is_cifar10_dir(dir.path));
  const std::string sub = dir.subdir("cifar-10-batches-bin");
  dir.write(sub + "/test_batch.bin", records(5, {2, 4, 6}));
  CHECK(is_cifar10_dir(dir.path));
  CHECK(is_cifar10_dir(sub));

  ImageSet test;
  const Status s = load_cifar10(dir.path, false, 10, &test);
  REQUIRE_MESSAGE(s.is_ok(), s.message());
  CHECK(test.count == 3);
  CHECK(test.labels == std::vector<uint8_t>{2, 4, 6});
  for (uint32_t i = 0; i < 3; ++i) check_image(test, i, 5, i);

  // No training batch there: the error names both places looked in.
  ImageSet train;
  const std::string e = message(load_cifar10(dir.path, true, 10, &train));
  CHECK(e.find("'" + dir.path + "/data_batch_1.bin'") != std::string::npos);
  CHECK(e.find("'" + sub + "/data_batch_1.bin'") != std::string::npos);
}

TEST_CASE("load_cifar10's errors name the file and leave the set as it was") {
  ImageSet set;
  set.count = 7;  // a marker: a failed load must not touch it
  const std::string missing = message(load_cifar10("/nonexistent", true, 10, &set));
  CHECK(missing == "no CIFAR-10 training data: neither '/nonexistent/data_batch_1.bin' nor "
                   "'/nonexistent/cifar-10-batches-bin/data_batch_1.bin' exists (unpack "
                   "cifar-10-binary.tar.gz there, or pass another --data DIR)");
  CHECK(message(load_cifar10("/nonexistent", false, 10, &set)).find("'/nonexistent/test_batch.bin'") !=
        std::string::npos);
  CHECK_FALSE(is_cifar10_dir("/nonexistent"));

  TempDir dir("bad");
  dir.write(dir.path + "/data_batch_1.bin", records(1, {0, 1, 2}));
  std::vector<uint8_t> cut = records(2, {3, 4, 5});
  cut.resize(cut.size() - 100);
  dir.write(dir.path + "/data_batch_2.bin", cut);
  const std::string truncated = message(load_cifar10(dir.path, true, 10, &set));
  CHECK(truncated.find("'" + dir.path + "/data_batch_2.bin' is truncated or not CIFAR-10 binary: 9119 bytes "
                       "is not a multiple of 3073-byte records") != std::string::npos);

  std::vector<uint8_t> labelled = records(2, {3, 4, 5});
  labelled[1 * 3073] = 200;
  dir.write(dir.path + "/data_batch_2.bin", labelled);
  const std::string label = message(load_cifar10(dir.path, true, 10, &set));
  CHECK(label.find("'" + dir.path + "/data_batch_2.bin': label 200 of record 1 is not below 10 classes") !=
        std::string::npos);
  CHECK(set.count == 7);
  CHECK(set.pixels.empty());
}

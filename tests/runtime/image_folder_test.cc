// Image folders end to end: files written here with libpng and libjpeg-turbo, listed, decoded,
// resized and cropped by the BatchLoader, and checked pixel by pixel against an independent
// computation (a direct two-dimensional triangle filter in double precision).
#include <doctest/doctest.h>
#include <png.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../test_random.h"
#include "test_images.h"
#include "batch_loader.h"
#include "image_folder.h"
#include "image_resample.h"

using namespace edgetrain;
using namespace edgetrain::test;

namespace {

Image gradient_image(uint32_t w, uint32_t h) {  // smooth: what JPEG keeps well
  Image im{w, h, 3, std::vector<uint8_t>(size_t{w} * h * 3)};
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      uint8_t* p = &im.px[(size_t{y} * w + x) * 3];
      p[0] = static_cast<uint8_t>(40 + 160 * x / w), p[1] = static_cast<uint8_t>(200 - 150 * y / h), p[2] = 90;
    }
  }
  return im;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
  std::fclose(f);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::vector<uint8_t> b;
  for (int ch; (ch = std::fgetc(f)) != EOF;) b.push_back(static_cast<uint8_t>(ch));
  std::fclose(f);
  return b;
}

// The independent computation: out(x, y) = sum over source pixels of tx * ty * src / (sum tx * ty),
// a triangle of half-width max(1, step) around each output pixel's centre in source pixels.
uint8_t reference_pixel(const Image& src, const CropWindow& w, uint32_t x, uint32_t y, uint32_t ch) {
  const double r = std::max(1.0, w.step);
  const double cx = w.x0 + (x + 0.5) * w.step, cy = w.y0 + (y + 0.5) * w.step;
  double acc = 0, norm = 0;
  for (int j = static_cast<int>(std::floor(cy - r)); j <= static_cast<int>(std::ceil(cy + r)); ++j) {
    for (int i = static_cast<int>(std::floor(cx - r)); i <= static_cast<int>(std::ceil(cx + r)); ++i) {
      const double t = std::max(0.0, 1 - std::fabs(i + 0.5 - cx) / r) * std::max(0.0, 1 - std::fabs(j + 0.5 - cy) / r);
      acc += t * src.at(i, j, ch);
      norm += t;
    }
  }
  return static_cast<uint8_t>(std::lround(acc / norm));
}

FolderOptions options(uint32_t w, uint32_t h, uint32_t c, uint32_t classes, FILE* warnings = stderr) {
  FolderOptions o;
  o.width = w, o.height = h, o.channels = c, o.classes = classes, o.warnings = warnings;
  return o;
}

// Lists a folder and decodes image `index` of the training set, with `key` when augmenting.
struct Loaded {
  ImageSet train, val;
  uint32_t skipped = 0;
  Status status;
};

Loaded list(const std::string& dir, const FolderOptions& o) {
  Loaded l;
  l.status = load_image_folder(dir, o, &l.train, &l.val, &l.skipped);
  return l;
}

std::vector<uint8_t> decode_one(const ImageSet& set, uint32_t index, bool augment = false, uint64_t key = 0,
                                int32_t* label = nullptr, FILE* warnings = stderr) {
  BatchLoader loader;
  REQUIRE(loader.init(set, 1, augment, warnings).is_ok());
  std::vector<uint8_t> out(set.image_bytes());
  int32_t y = -1;
  loader.submit(&index, key);
  REQUIRE(loader.take(out.data(), &y).is_ok());
  if (label) *label = y;
  return out;
}

std::string find_path(const ImageSet& set, const std::string& suffix) {
  for (const std::string& p : set.paths) {
    if (p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) return p;
  }
  return "";
}

// train/a, train/b and val/a, val/b with one small image each: every file put in train/ trains.
void make_split(const TempDir& t, std::mt19937& rng) {
  for (const char* c : {"train/a", "train/b", "val/a", "val/b"}) t.mkdir(c);
  write_png(t.path + "/val/a/v.png", random_image(rng, 8, 6, 3));
  write_png(t.path + "/val/b/v.png", random_image(rng, 8, 6, 3));
}

uint32_t index_of(const ImageSet& set, const std::string& suffix) {
  const std::string p = find_path(set, suffix);
  REQUIRE_MESSAGE(!p.empty(), suffix);
  return static_cast<uint32_t>(std::find(set.paths.begin(), set.paths.end(), p) - set.paths.begin());
}

}  // namespace

TEST_CASE("an image folder lists classes in sorted order and holds a tenth of each class out") {
  TempDir t;
  EDGETRAIN_SEEDED_RNG(rng);
  const char* classes[] = {"cats", "ants", "bees"};
  for (const char* c : classes) {
    t.mkdir(c);
    for (int i = 0; i < 12; ++i) write_png(t.path + "/" + c + "/" + std::to_string(i) + ".png", random_image(rng, 9, 6, 3));
  }
  t.mkdir("bees/more");  // nested folders belong to their class
  write_png(t.path + "/bees/more/x.PNG", random_image(rng, 9, 6, 3));
  write_bytes(t.path + "/ants/notes.txt", {1, 2, 3});  // not an image name: ignored
  const Loaded l = list(t.path, options(9, 6, 3, 3));
  REQUIRE_MESSAGE(l.status.is_ok(), l.status.message());
  CHECK(l.train.class_names == std::vector<std::string>{"ants", "bees", "cats"});
  CHECK(l.train.count + l.val.count == 37);
  CHECK(l.val.count == 3);  // 12 / 10 per class, 13 / 10 for bees
  std::vector<int> per_class(3, 0);
  for (uint32_t i = 0; i < l.val.count; ++i) ++per_class[l.val.labels[i]];
  CHECK(per_class == std::vector<int>{1, 1, 1});
  for (uint32_t i = 0; i < l.train.count; ++i) {
    const std::string& p = l.train.paths[i];
    const std::string cls = l.train.class_names[l.train.labels[i]];
    CHECK_MESSAGE(p.find("/" + cls + "/") != std::string::npos, p);
  }
  // The split is the same on every listing.
  const Loaded again = list(t.path, options(9, 6, 3, 3));
  CHECK(again.val.paths == l.val.paths);
}

TEST_CASE("an image folder with train/ and val/ uses them, its errors say what to fix") {
  TempDir t;
  EDGETRAIN_SEEDED_RNG(rng);
  for (const char* c : {"train/a", "train/b", "val/a", "val/b"}) {
    t.mkdir(c);
    write_png(t.path + "/" + c + "/1.png", random_image(rng, 4, 4, 1));
  }
  Loaded l = list(t.path, options(4, 4, 1, 2));
  REQUIRE_MESSAGE(l.status.is_ok(), l.status.message());
  CHECK(l.train.count == 2);
  CHECK(l.val.count == 2);
  CHECK(std::string(list(t.path, options(4, 4, 1, 10)).status.message()).find(
            "has 2 class folders (a, ...) but the plan has 10 classes: plan the model with --classes 2") !=
        std::string::npos);
  t.mkdir("val/c");
  CHECK(std::string(list(t.path, options(4, 4, 1, 2)).status.message()).find(
            "val/c' is a class that '" + t.path + "/train' does not have") != std::string::npos);
  TempDir empty;
  empty.mkdir("a");
  empty.mkdir("b");
  write_png(empty.path + "/b/1.png", random_image(rng, 4, 4, 1));
  CHECK(std::string(list(empty.path, options(4, 4, 1, 2)).status.message()).find(
            "class folder '" + empty.path + "/a' holds no .jpg, .jpeg or .png images") != std::string::npos);
  TempDir none;
  CHECK(std::string(list(none.path, options(4, 4, 1, 2)).status.message()).find("has no class folders") !=
        std::string::npos);
}

TEST_CASE("the loader resizes on the shorter side and center-crops, pixel for pixel") {
  TempDir t;
  EDGETRAIN_SEEDED_RNG(rng);
  make_split(t, rng);
  const Image same = random_image(rng, 7, 5, 3), wide = random_image(rng, 11, 5, 3);
  const Image big = random_image(rng, 23, 17, 3), tall = random_image(rng, 6, 9, 3);
  write_png(t.path + "/train/a/same.png", same);
  write_png(t.path + "/train/a/wide.png", wide);
  write_png(t.path + "/train/b/big.png", big);
  write_png(t.path + "/train/b/tall.png", tall);
  const Loaded l = list(t.path, options(7, 5, 3, 2));
  REQUIRE_MESSAGE(l.status.is_ok(), l.status.message());
  auto worst_diff = [&](const Image& src, const std::string& name, int32_t want_label) {
    int32_t label = -1;
    const std::vector<uint8_t> out = decode_one(l.train, index_of(l.train, name), false, 0, &label);
    CHECK(label == want_label);
    const CropWindow w = center_window(src.w, src.h, 7, 5);
    int worst = 0;
    for (uint32_t y = 0; y < 5; ++y) {
      for (uint32_t x = 0; x < 7; ++x) {
        for (uint32_t c = 0; c < 3; ++c) {
          worst = std::max(worst, std::abs(out[(y * 7 + x) * 3 + c] - reference_pixel(src, w, x, y, c)));
        }
      }
    }
    return worst;
  };
  CHECK(worst_diff(same, "same.png", 0) == 0);  // scale 1: the file's pixels
  CHECK(worst_diff(wide, "wide.png", 0) == 0);  // scale 1 on the shorter side: columns 2..8
  CHECK(worst_diff(big, "big.png", 1) <= 1);    // 17 -> 5 rows, antialiased: float vs double rounding
  CHECK(worst_diff(tall, "tall.png", 1) <= 1);  // narrower than tall: enlarged 7/6
  const std::vector<uint8_t> cropped = decode_one(l.train, index_of(l.train, "wide.png"));
  CHECK(cropped[0] == wide.at(2, 0, 0));
  CHECK(cropped[(4 * 7 + 6) * 3 + 2] == wide.at(8, 4, 2));
  CHECK(decode_one(l.train, index_of(l.train, "same.png")) == same.px);
}

TEST_CASE("gray, RGBA and JPEG files convert to the plan's channels") {
  TempDir t;
  EDGETRAIN_SEEDED_RNG(rng);
  make_split(t, rng);
  const Image gray = random_image(rng, 6, 4, 1);
  Image rgba = random_image(rng, 6, 4, 4);
  for (size_t i = 3; i < rgba.px.size(); i += 4) rgba.px[i] = 255;  // opaque
  const Image photo = gradient_image(96, 64);
  write_png(t.path + "/train/a/gray.png", gray);
  write_png(t.path + "/train/a/rgba.png", rgba);
  write_jpeg(t.path + "/train/b/photo.jpg", photo, 95);
  const Loaded l = list(t.path, options(6, 4, 3, 2));
  REQUIRE_MESSAGE(l.status.is_ok(), l.status.message());
  const std::vector<uint8_t> g = decode_one(l.train, index_of(l.train, "gray.png"));
  for (uint32_t i = 0; i < 24; ++i) {
    CHECK(g[3 * i] == gray.px[i]);
    CHECK(g[3 * i + 1] == gray.px[i]);
    CHECK(g[3 * i + 2] == gray.px[i]);
  }
  const std::vector<uint8_t> c = decode_one(l.train, index_of(l.train, "rgba.png"));
  for (uint32_t i = 0; i < 24; ++i) {
    for (uint32_t ch = 0; ch < 3; ++ch) CHECK(c[3 * i + ch] == rgba.px[4 * i + ch]);
  }
  // 96x64 -> 6x4: the JPEG decodes at 1/8 (12x8) and shrinks 2x; against the original pixels
  // shrunk 16x by the reference, within what JPEG's quantisation and DCT scaling change.
  const std::vector<uint8_t> j = decode_one(l.train, index_of(l.train, "photo.jpg"));
  const CropWindow w = center_window(96, 64, 6, 4);
  int worst = 0;
  for (uint32_t y = 0; y < 4; ++y) {
    for (uint32_t x = 0; x < 6; ++x) {
      for (uint32_t ch = 0; ch < 3; ++ch) {
        worst = std::max(worst, std::abs(j[(y * 6 + x) * 3 + ch] - reference_pixel(photo, w, x, y, ch)));
      }
    }
  }
  CHECK_MESSAGE(worst <= 6, "max |diff| " << worst);
  // A gray plan reads the RGB photo as one channel (luma).
  const Loaded one = list(t.path, options(6, 4, 1, 2));
  REQUIRE(one.status.is_ok());
  const std::vector<uint8_t> j1 = decode_one(one.train, index_of(one.train, "photo.jpg"));
  CHECK(j1.size() == 24);
  CHECK(std::abs(j1[0] - (0.299 * j[0] + 0.587 * j[1] + 0.114 * j[2])) <= 3);
}

TEST_CASE("unreadable files are skipped with one warning each, a damaged body gives its slot to the next image") {
  TempDir t;
  EDGETRAIN_SEEDED_RNG(rng);
  t.mkdir("train/a");
  t.mkdir("train/b");
  t.mkdir("val/a");
  t.mkdir("val/b");
  write_jpeg(t.path + "/train/a/1.jpg", random_image(rng, 64, 48, 3), 95);  // noise: ~10 KB of body
  write_png(t.path + "/train/a/2.png", random_image(rng, 8, 6, 3));
  write_png(t.path + "/train/b/3.png", random_image(rng, 8, 6, 3));
  write_bytes(t.path + "/train/b/junk.jpg", {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  write_png(t.path + "/val/a/v.png", random_image(rng, 8, 6, 3));
  write_png(t.path + "/val/b/v.png", random_image(rng, 8, 6, 3));
  // Header intact, body cut: found only when decoded.
  std::vector<uint8_t> cut = read_bytes(t.path + "/train/a/1.jpg");
  REQUIRE(cut.size() > 4000);
  cut.resize(cut.size() * 2 / 3);
  write_bytes(t.path + "/train/a/1.jpg", cut);
  FILE* warnings = std::tmpfile();
  REQUIRE(warnings != nullptr);
  const Loaded l = list(t.path, options(8, 6, 3, 2, warnings));
  REQUIRE_MESSAGE(l.status.is_ok(), l.status.message());
  CHECK(l.skipped == 1);
  CHECK(l.train.count == 3);
  BatchLoader loader;
  REQUIRE(loader.init(l.train, 2, false, warnings).is_ok());
  const uint32_t idx[2] = {0, 0};  // 1.jpg twice: warned once
  std::vector<uint8_t> out(2 * l.train.image_bytes());
  int32_t labels[2] = {-1, -1};
  loader.submit(idx, 0);
  REQUIRE(loader.take(out.data(), labels).is_ok());
  CHECK(loader.damaged() == 1);
  CHECK(labels[0] == 0);  // 2.png, the next image, with its label
  CHECK(std::equal(out.begin(), out.begin() + 144, decode_one(l.train, 1).begin()));
  std::rewind(warnings);
  char text[4096] = {};
  CHECK(std::fread(text, 1, sizeof text - 1, warnings) > 0);
  std::fclose(warnings);
  const std::string w = text;
  CHECK(std::count(w.begin(), w.end(), '\n') == 2);
  CHECK(w.find("junk.jpg' is neither JPEG nor PNG") != std::string::npos);
  CHECK(w.find("1.jpg' is a damaged JPEG") != std::string::npos);
}

TEST_CASE("augmented crops are a pure function of the key, the mirror is exact") {
  EDGETRAIN_SEEDED_RNG(rng);
  const Image src = random_image(rng, 21, 15, 3);
  std::vector<float> scratch(resample_scratch_floats(15, 7, 3));
  std::vector<uint8_t> a(7 * 5 * 3), b(a.size()), m(a.size());
  int differing = 0, flipped = 0;
  for (uint64_t key = 1; key <= 16; ++key) {
    const CropWindow w = random_window(21, 15, 7, 5, key);
    CHECK(w.x0 >= 0);
    CHECK(w.y0 >= 0);
    CHECK(w.x0 + 7 * w.step <= 21 + 1e-9);
    CHECK(w.y0 + 5 * w.step <= 15 + 1e-9);
    resample(src.px.data(), 21, 15, 3, w, a.data(), 7, 5, scratch.data());
    resample(src.px.data(), 21, 15, 3, random_window(21, 15, 7, 5, key), b.data(), 7, 5, scratch.data());
    CHECK(a == b);
    CropWindow other = w;
    other.flip = !w.flip;
    resample(src.px.data(), 21, 15, 3, other, m.data(), 7, 5, scratch.data());
    for (uint32_t y = 0; y < 5; ++y) {
      for (uint32_t x = 0; x < 7; ++x) {
        for (uint32_t c = 0; c < 3; ++c) CHECK(a[(y * 7 + x) * 3 + c] == m[(y * 7 + (6 - x)) * 3 + c]);
      }
    }
    resample(src.px.data(), 21, 15, 3, random_window(21, 15, 7, 5, key + 100), b.data(), 7, 5, scratch.data());
    differing += a != b ? 1 : 0;
    flipped += w.flip ? 1 : 0;
  }
  CHECK(differing >= 14);
  CHECK(flipped > 2);
  CHECK(flipped < 14);
}

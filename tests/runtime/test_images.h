// Image files for runtime tests, written with libpng and libjpeg-turbo into a scratch folder.
#pragma once

#include <doctest/doctest.h>
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace edgetrain::test {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/edgetrain_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { REQUIRE(std::system(("rm -rf '" + path + "'").c_str()) == 0); }
  std::string mkdir(const std::string& sub) const {
    const std::string p = path + "/" + sub;
    REQUIRE(std::system(("mkdir -p '" + p + "'").c_str()) == 0);
    return p;
  }
};

struct Image {
  uint32_t w = 0, h = 0, c = 0;
  std::vector<uint8_t> px;
  uint8_t at(int x, int y, uint32_t ch) const {
    x = std::min(std::max(x, 0), static_cast<int>(w) - 1);
    y = std::min(std::max(y, 0), static_cast<int>(h) - 1);
    return px[(size_t(y) * w + x) * c + ch];
  }
};

inline Image random_image(std::mt19937& rng, uint32_t w, uint32_t h, uint32_t c) {
  Image im{w, h, c, std::vector<uint8_t>(size_t{w} * h * c)};
  for (uint8_t& v : im.px) v = static_cast<uint8_t>(rng() >> 24);
  return im;
}

inline void write_png(const std::string& path, const Image& im) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = im.w, png.height = im.h;
  png.format = im.c == 1 ? PNG_FORMAT_GRAY : im.c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  REQUIRE(png_image_write_to_file(&png, path.c_str(), 0, im.px.data(), 0, nullptr) != 0);
}

inline void write_jpeg(const std::string& path, const Image& im, int quality) {
  tjhandle tj = tjInitCompress();
  REQUIRE(tj != nullptr);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  REQUIRE(tjCompress2(tj, im.px.data(), static_cast<int>(im.w), 0, static_cast<int>(im.h),
                      im.c == 1 ? TJPF_GRAY : TJPF_RGB, &out, &size, im.c == 1 ? TJSAMP_GRAY : TJSAMP_444,
                      quality, 0) == 0);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(out, 1, size, f) == size);
  std::fclose(f);
  tjFree(out);
  tjDestroy(tj);
}

}  // namespace edgetrain::test

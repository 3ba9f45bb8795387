// Reader of tests/golden/goldens.bin, the PyTorch goldens written by make_goldens.py (the format
// is documented there). The directory comes from the EDGETRAIN_GOLDEN_DIR compile definition, an
// absolute source path that the host build and qemu-aarch64 (which sees the host's files) share.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace edgetrain::test {

struct GoldenTensor {
  std::vector<uint32_t> shape;
  std::vector<float> data;
};

class Goldens {
 public:
  // Loaded once per process; a missing or malformed file fails every test that asks.
  static const Goldens& get() {
    static const Goldens g(std::string(EDGETRAIN_GOLDEN_DIR) + "/goldens.bin");
    return g;
  }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  // The case names under an op, e.g. cases("conv") -> {"1x1_s1_b2_bias", ...}.
  std::vector<std::string> cases(const std::string& op) const {
    std::set<std::string> names;
    const std::string prefix = op + "/";
    for (const auto& [key, t] : tensors_) {
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      names.insert(key.substr(prefix.size(), key.find('/', prefix.size()) - prefix.size()));
    }
    return {names.begin(), names.end()};
  }
  bool has(const std::string& key) const { return tensors_.count(key) != 0; }
  const std::vector<float>& at(const std::string& key) const {
    static const std::vector<float> empty;
    auto it = tensors_.find(key);
    if (it == tensors_.end()) {
      FAIL_CHECK("golden tensor " << key << " missing");
      return empty;
    }
    return it->second.data;
  }
  // Shape parameters stored as exact floats.
  std::vector<size_t> ints(const std::string& key) const {
    std::vector<size_t> v;
    for (float f : at(key)) v.push_back(static_cast<size_t>(f));
    return v;
  }

 private:
  explicit Goldens(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      error_ = "cannot open " + path;
      return;
    }
    ok_ = load(f);
    std::fclose(f);
    if (!ok_) error_ = "malformed " + path;
  }

  static bool read_u32(FILE* f, uint32_t& v) { return std::fread(&v, 4, 1, f) == 1; }

  bool load(FILE* f) {
    char magic[4];
    uint32_t version = 0, count = 0;
    if (std::fread(magic, 1, 4, f) != 4 || std::string(magic, 4) != "EGLD") return false;
    if (!read_u32(f, version) || version != 1 || !read_u32(f, count)) return false;
    for (uint32_t r = 0; r < count; r++) {
      uint32_t len = 0, rank = 0;
      if (!read_u32(f, len) || len > 256) return false;
      std::string name(len, '\0');
      if (std::fread(name.data(), 1, len, f) != len || !read_u32(f, rank) || rank > 8) return false;
      GoldenTensor t;
      t.shape.resize(rank);
      size_t n = 1;
      for (uint32_t& d : t.shape) {
        if (!read_u32(f, d)) return false;
        n *= d;
      }
      if (n > (1u << 24)) return false;
      t.data.resize(n);
      if (std::fread(t.data.data(), 4, n, f) != n) return false;
      tensors_[name] = std::move(t);
    }
    return true;
  }

  bool ok_ = false;
  std::string error_;
  std::map<std::string, GoldenTensor> tensors_;
};

}  // namespace edgetrain::test

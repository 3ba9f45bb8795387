// Reader of the PyTorch golden files (magic "EGLD": tests/golden/goldens.bin, written by
// make_goldens.py, which documents the format; the ONNX and torchvision goldens use it too). The
// directories come from compile definitions (EDGETRAIN_GOLDEN_DIR, ...): absolute source paths that
// the host build and qemu-aarch64 (which sees the host's files) share.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
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
#ifdef EDGETRAIN_GOLDEN_DIR
  static const Goldens& get() { return file(std::string(EDGETRAIN_GOLDEN_DIR) + "/goldens.bin"); }
#endif
  // Any golden file, loaded once per process.
  static const Goldens& file(const std::string& path) {
    static std::map<std::string, Goldens> loaded;
    auto it = loaded.find(path);
    if (it == loaded.end()) it = loaded.emplace(path, Goldens(path)).first;
    return it->second;
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

// Largest |ours - torch| relative to max|torch|; fails the check for any element outside
// rel * max|torch| + abs, by default 5e-5 * max|torch| + 1e-6. (A BatchNorm bias feeding a conv and
// another BatchNorm has a gradient of exactly zero, ~1e-17 in PyTorch's float64 and ~1e-8 in ours:
// only the absolute bound applies.)
inline double compare_to_pytorch(const std::string& what, const float* ours, const std::vector<float>& torch,
                                 double rel = 5e-5, double abs = 1e-6) {
  double max_ref = 0, worst = 0;
  for (float v : torch) max_ref = std::max(max_ref, std::fabs(static_cast<double>(v)));
  for (size_t i = 0; i < torch.size(); ++i) {
    const double err = std::fabs(static_cast<double>(ours[i]) - torch[i]);
    if (err > rel * max_ref + abs) {
      FAIL_CHECK(what << "[" << i << "]: ours " << ours[i] << ", PyTorch " << torch[i] << " (max |PyTorch| " << max_ref << ")");
      return err / max_ref;
    }
    if (max_ref > 1e-9) worst = std::max(worst, err / max_ref);
  }
  return worst;
}

}  // namespace edgetrain::test

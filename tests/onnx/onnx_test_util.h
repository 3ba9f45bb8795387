// Helpers of the ONNX tests: the committed files (EDGETRAIN_ONNX_DIR, tests/golden/onnx/), their
// PyTorch goldens, and a runtime Plan over an imported, planned Graph.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "../owned_plan.h"
#include "../runtime/session_test_util.h"
#include "executor.h"
#include "graph/graph.h"
#include "graph/training.h"
#include "import/onnx_import.h"
#include "memory/placement.h"
#include "state_file.h"
#include "xnn_context.h"

namespace edgetrain::test {

inline std::string onnx_path(const std::string& name) { return std::string(EDGETRAIN_ONNX_DIR) + "/" + name; }

// onnx_goldens.bin, written by make_onnx_goldens.py (format documented there).
class OnnxGoldens {
 public:
  static const OnnxGoldens& get() {
    static const OnnxGoldens g(onnx_path("onnx_goldens.bin"));
    return g;
  }
  // optimizer_goldens.bin, written by make_optimizer_goldens.py (N steps of Adam and AdamW).
  static const OnnxGoldens& optimizer() {
    static const OnnxGoldens g(onnx_path("optimizer_goldens.bin"));
    return g;
  }
  // torchvision/goldens.bin, written by tests/onnx/make_torchvision_goldens.py.
  static const OnnxGoldens& torchvision() {
    static const OnnxGoldens g(onnx_path("torchvision/goldens.bin"));
    return g;
  }
  bool has(const std::string& key) const { return tensors_.count(key) != 0; }
  const std::vector<float>& at(const std::string& key) const {
    static const std::vector<float> empty;
    const auto it = tensors_.find(key);
    if (it == tensors_.end()) FAIL_CHECK("golden tensor " << key << " missing");
    return it == tensors_.end() ? empty : it->second;
  }

 private:
  explicit OnnxGoldens(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE_MESSAGE(f != nullptr, "cannot open " << path);
    char magic[4];
    uint32_t version = 0, count = 0;
    bool ok = std::fread(magic, 1, 4, f) == 4 && std::string(magic, 4) == "EGLD" && read(f, version) &&
              version == 1 && read(f, count);
    for (uint32_t r = 0; ok && r < count; ++r) {
      uint32_t len = 0, rank = 0;
      ok = read(f, len) && len < 512;
      std::string name(len, '\0');
      ok = ok && std::fread(name.data(), 1, len, f) == len && read(f, rank) && rank <= 8;
      size_t n = 1;
      for (uint32_t i = 0, d = 0; ok && i < rank; ++i, n *= d) ok = read(f, d);
      std::vector<float> data(ok && n < (1u << 24) ? n : 0);
      ok = ok && data.size() == n && std::fread(data.data(), 4, n, f) == n;
      tensors_[name] = std::move(data);
    }
    std::fclose(f);
    REQUIRE_MESSAGE(ok, "malformed " << path);
  }
  static bool read(FILE* f, uint32_t& v) { return std::fread(&v, 4, 1, f) == 1; }
  std::map<std::string, std::vector<float>> tensors_;
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

// A planned graph ready to train: its runtime plan (checked by the executor's init) and a state
// file loaded through the runtime's own reader (the file format is the contract).
struct OnnxRunner {
  OwnedPlan owned;
  std::unique_ptr<Session> session;
  Executor& exec;
  TrainPosition position;
  explicit OnnxRunner(const planner::Graph& g)
      : owned(g), session(test_session(owned.plan, 1)), exec(SessionAccess::executor(*session)) {}
  Status load(const std::string& state) {
    return parse_state("state", reinterpret_cast<const uint8_t*>(state.data()), state.size(), owned.plan,
                       exec.params(), &position);
  }
  size_t input_bytes() const { return owned.tensors.at(static_cast<size_t>(owned.plan.input)).bytes; }
  std::vector<unsigned char> bytes(int32_t id) const {
    const TensorDesc& t = owned.tensors.at(static_cast<size_t>(id));
    return {exec.params() + t.offset, exec.params() + t.offset + t.bytes};
  }
};

// An imported model, planned store-all (the default) and placed; by default every update at the
// step's end, so the gradients can be read after a step.
struct PlannedOnnx {
  planner::OnnxModel model;
  planner::Graph graph;
  explicit PlannedOnnx(const std::string& file, uint32_t batch, OpKind optimizer = OpKind::SgdMomentum,
                       planner::Updates updates = planner::Updates::AtStepEnd)
      : model(planner::load_onnx(onnx_path(file), batch)) {
    graph = model.graph;
    planner::derive_schedules(graph, {}, updates, optimizer);
    planner::place(graph);
  }
  int32_t id(const std::string& name) const {
    for (size_t i = 0; i < graph.tensors.size(); ++i) {
      if (graph.tensors[i].name == name) return static_cast<int32_t>(i);
    }
    FAIL("no tensor " << name);
    return -1;
  }
};

}  // namespace edgetrain::test

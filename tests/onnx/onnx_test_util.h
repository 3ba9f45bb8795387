// Helpers of the ONNX tests: the committed files (EDGETRAIN_ONNX_DIR, tests/golden/onnx/), their
// PyTorch goldens, and a runtime Plan over an imported, planned Graph.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "executor.h"
#include "graph.h"
#include "onnx_import.h"
#include "placement.h"
#include "training.h"

namespace edgetrain::test {

inline std::string onnx_path(const std::string& name) { return std::string(EDGETRAIN_ONNX_DIR) + "/" + name; }

// onnx_goldens.bin, written by make_onnx_goldens.py (format documented there).
class OnnxGoldens {
 public:
  static const OnnxGoldens& get() {
    static const OnnxGoldens g(onnx_path("onnx_goldens.bin"));
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

// A runtime Plan over a placed planner Graph, owning its tables.
struct OwnedPlan {
  std::vector<TensorDesc> tensors;
  std::vector<OpDesc> train, eval;
  Plan plan{};

  explicit OwnedPlan(const planner::Graph& g) {
    for (const planner::Tensor& t : g.tensors) {
      TensorDesc d{t.name.c_str(), t.region(), t.dtype, t.init, static_cast<uint8_t>(t.shape.size()),
                   {1, 1, 1, 1}, t.fan_in, t.offset, t.bytes()};
      for (size_t i = 0; i < t.shape.size(); ++i) d.shape[i] = t.shape[i];
      tensors.push_back(d);
    }
    auto convert = [](const std::vector<planner::Op>& ops, std::vector<OpDesc>& out) {
      for (const planner::Op& op : ops) {
        OpDesc d{op.kind, {-1, -1, -1, -1, -1}, {-1, -1, -1}, op.workspace, op.params};
        for (size_t i = 0; i < op.in.size(); ++i) d.in[i] = op.in[i];
        for (size_t i = 0; i < op.out.size(); ++i) d.out[i] = op.out[i];
        out.push_back(d);
      }
    };
    convert(g.train, train);
    convert(g.eval, eval);
    plan.magic = kPlanMagic;
    plan.version = kPlanVersion;
    plan.model = g.model.c_str();
    plan.model_hash = planner::model_hash(g);
    plan.batch = g.batch;
    plan.arena_bytes = g.arena_bytes;
    plan.arena_lower_bound = g.arena_lower_bound;
    plan.params_bytes = g.params_bytes;
    plan.tensors = tensors.data();
    plan.tensor_count = static_cast<uint32_t>(tensors.size());
    plan.train_ops = train.data();
    plan.train_op_count = static_cast<uint32_t>(train.size());
    plan.eval_ops = eval.data();
    plan.eval_op_count = static_cast<uint32_t>(eval.size());
    plan.input = g.input;
    plan.labels = g.labels;
    plan.loss = g.loss;
    plan.logits = g.logits;
  }
};

// An imported model, planned store-all (the default) and placed.
struct PlannedOnnx {
  planner::OnnxModel model;
  planner::Graph graph;
  explicit PlannedOnnx(const std::string& file, uint32_t batch) : model(planner::load_onnx(onnx_path(file), batch)) {
    graph = model.graph;
    planner::derive_schedules(graph);
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

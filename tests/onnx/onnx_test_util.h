// Helpers of the ONNX tests: the committed files (EDGETRAIN_ONNX_DIR, tests/golden/onnx/), their
// PyTorch goldens, and a runtime Plan over an imported, planned Graph.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../kernels/golden.h"
#include "../owned_plan.h"
#include "../runtime/session_test_util.h"
#include "executor.h"
#include "graph/graph.h"
#include "graph/training.h"
#include "import/onnx_import.h"
#include "import/onnx_proto.h"
#include "memory/placement.h"
#include "state_file.h"
#include "xnn_context.h"

namespace edgetrain::test {

inline std::string onnx_path(const std::string& name) { return std::string(EDGETRAIN_ONNX_DIR) + "/" + name; }

// The error of importing the committed file `name` after `edit`, as "m.onnx" at batch 2; "" if it imports.
inline std::string import_error_after(const std::string& name, const std::function<void(onnx::GraphProto&)>& edit) {
  onnx::ModelProto m = planner::parse_model_proto(planner::read_binary_file(onnx_path(name)), name);
  edit(*m.mutable_graph());
  std::string bytes;
  REQUIRE(m.SerializeToString(&bytes));
  try {
    planner::parse_onnx(bytes, "m.onnx", 2);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// The graph's first node of type `op`.
inline onnx::NodeProto& first(onnx::GraphProto& g, const std::string& op) {
  for (auto& n : *g.mutable_node()) {
    if (n.op_type() == op) return n;
  }
  FAIL("no " << op << " node");
  return *g.mutable_node(0);
}

// The committed golden files (tests/kernels/golden.h reads them); a missing or malformed one
// stops the test that asks.
struct OnnxGoldens {
  static const Goldens& checked(const std::string& name) {
    const Goldens& g = Goldens::file(onnx_path(name));
    REQUIRE_MESSAGE(g.ok(), g.error());
    return g;
  }
  static const Goldens& get() { return checked("onnx_goldens.bin"); }  // make_onnx_goldens.py
  // make_optimizer_goldens.py: N steps of Adam and AdamW.
  static const Goldens& optimizer() { return checked("optimizer_goldens.bin"); }
};

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

// Finding tensors and ops of a planner Graph by name, for the planner tests.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::test {

inline planner::TensorId named(const planner::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    if (g.tensors[i].name == name) return static_cast<planner::TensorId>(i);
  }
  FAIL("no tensor " << name);
  return planner::kNoTensor;
}

// The op of `ops` whose output `slot` is the tensor named `out`.
inline const planner::Op& writing(const std::vector<planner::Op>& ops, const planner::Graph& g,
                                  const std::string& out, int slot = 0) {
  for (const planner::Op& op : ops) {
    if (static_cast<int>(op.out.size()) > slot && op.out[static_cast<size_t>(slot)] == named(g, out)) return op;
  }
  FAIL("no op writes " << out);
  return ops.front();
}

}  // namespace edgetrain::test

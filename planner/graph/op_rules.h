// The planner's row of each op kind (runtime/contract/op_kinds.h holds the plan format's row):
// how a forward op is differentiated and what it costs in FLOPs. `op_rule(kind)` is the one
// place the planner's passes look a kind up; kOpRules is checked at compile time to hold every
// kind in enum order.
#pragma once

#include "graph/graph.h"

namespace edgetrain::planner {

class Backward;

// How gradient reaches a forward op's backward rule.
enum class GradFlow : uint8_t {
  None,        // no backward at all (Normalize: the image needs no gradient)
  FromOutput,  // dy = the summed gradient of out[0]; skipped when the loss does not depend on it
  FromLoss,    // the loss op itself: dy is kNoTensor
};

struct OpRule {
  OpKind kind;
  GradFlow flow;
  // Emits the op's backward ops through `b` (backward.h); nullptr for backward and optimizer
  // kinds, which are never differentiated.
  void (*backward)(Backward& b, const Op& op, TensorId dy);
  // Floating-point operations (multiply-add = 2). Element-wise ops count one per element and
  // op, so memory-bound layers (BN, ReLU) are not free to recompute.
  double (*flops)(const Graph& g, const Op& op);
};

const OpRule& op_rule(OpKind kind);

inline double op_flops(const Graph& g, const Op& op) { return op_rule(op.kind).flops(g, op); }

}  // namespace edgetrain::planner

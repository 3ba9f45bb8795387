// Replays a schedule against a placement, byte range by byte range: every op's inputs must hold
// the value last written to them (written, and not overwritten since by another tensor sharing
// their bytes), and no op may write over its own inputs, except out[0] over in[k] exactly (same
// offset and bytes) where OpParams::in_place says so and op_allows_in_place allows that slot.
// Run on every plan the planner emits.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

// Empty string if the schedule is sound; otherwise the first problem, naming the op and tensors.
// Params tensors, the input and the labels count as written before the schedule starts;
// `read_after` must still hold its value when the schedule ends (the loss, the logits).
std::string simulate(const Graph& g, const std::vector<Op>& schedule, TensorId read_after);

// Both of a plan's schedules; throws std::logic_error with the problem if either is unsound.
void check_plan(const Graph& g);

}  // namespace edgetrain::planner

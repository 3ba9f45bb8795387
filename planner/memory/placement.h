// Static memory placement of one training step.
//
// Arena tensors get offsets from their lifetimes in the train schedule (first write .. last read,
// in op indices): greedy by size, each into the best-fitting gap among the tensors it overlaps in
// time. Params tensors are laid out back to back. The lower bound is the largest total of
// aligned bytes live at any op; placement never beats it and should stay close to it.
// Tensors an op writes over (OpParams::in_place, set by in_place.h) are one buffer, in both.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "memory/liveness.h"

namespace edgetrain::planner {

// Sets every tensor's offset, g.arena_bytes, g.arena_lower_bound and g.params_bytes.
void place(Graph& g);

}  // namespace edgetrain::planner

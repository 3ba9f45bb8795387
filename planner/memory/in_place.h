// In-place writes: out[0] of an op over one of its inputs, where the runtime's kernel allows it
// (op_allows_in_place) and the input dies at that op. Saves a whole activation per ReLU after
// BatchNorm (whose output only the ReLU reads), per residual add, and per gradient flowing
// through ReLU, BatchNorm and gradient sums backward.
//
// A separate stage between the schedule rewrite and placement: it reads the final train schedule
// (recompute clones included) and sets OpParams::in_place on train and eval ops. Placement then
// treats each chain of aliased tensors as one buffer (`alias_roots`, liveness.h).
#pragma once

#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

// Sets params.in_place on every train op whose in[k] (an allowed slot, an arena activation or
// gradient other than the image, labels, loss and logits) is read for the last time by that op
// and has out[0]'s bytes; on eval ops where the same pair is aliased. Clears any earlier choice.
void assign_in_place(Graph& g);

}  // namespace edgetrain::planner

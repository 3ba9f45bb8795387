// Drops tensors no op references any more, e.g. the ReLU masks and BatchNorm batch statistics of
// frozen layers (freeze.h): left in the table they would still be placed in the arena.
#pragma once

#include "graph/graph.h"

namespace edgetrain::planner {

// Keeps every params-block tensor (the state file's layout), the step's input, labels, loss and
// logits, and whatever an op of forward, train or eval reads, writes or uses as workspace; the
// rest are removed and ids renumbered in order, so the survivors keep their relative order.
void drop_unreferenced_tensors(Graph& g);

}  // namespace edgetrain::planner

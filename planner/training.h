// Derives the two schedules of a plan from the forward graph:
//   train: forward, reverse-mode backward (one backward op per gradient), SGD with momentum;
//   eval:  forward with BatchNorm on running statistics, ending at the logits.
// Store-all: every forward activation stays live until its backward use. Checkpointing policies
// will rewrite `train` after this step.
#pragma once

#include "graph.h"

namespace edgetrain::planner {

void derive_schedules(Graph& g);

}  // namespace edgetrain::planner

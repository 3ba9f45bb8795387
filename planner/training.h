// Derives the two schedules of a plan from the forward graph:
//   train: forward, reverse-mode backward (one backward op per gradient), SGD with momentum;
//   eval:  forward with BatchNorm on running statistics, ending at the logits.
// This is the store-all schedule; `rewrite.h` re-orders it for a checkpointing strategy. Every
// train op carries `source`, the forward op it runs or differentiates, so the rewrite can move
// each backward op together with its forward op's stage.
//
// Fan-out (a tensor read by several ops, as at residual joins) is supported: gradients are
// written, never accumulated, so each reader writes its own contribution and Add ops sum them,
// right after the last contribution is written, so only the sum crosses to earlier ops.
#pragma once

#include "graph.h"

namespace edgetrain::planner {

void derive_schedules(Graph& g);

}  // namespace edgetrain::planner

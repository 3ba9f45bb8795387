// Schedule rewrite: turns a strategy into the train op list of one step.
//
// The first forward run of an op is the op itself (writing the original tensors, BatchNorm
// updating its running statistics); every later run is a clone writing NEW tensors, so placement
// may put recomputed values anywhere, with update_running_stats = 0 so recomputation never
// touches the statistics twice (invariant 2). A recomputed training BatchNorm becomes a
// BatchNormEval on the first run's batch statistics: one pass instead of three, the same bits. Backward ops read whichever instance of a forward
// value was written last (for BatchNorm statistics, that may be a run long before: they are the
// same values bit for bit, recomputation being exact, so a BatchNorm or conv stage needs no
// forward re-run just before its backward). An optimizer update moves with the backward op it
// follows (training.h, Updates); updates without a `source` close the step.
#pragma once

#include "checkpoint/strategy.h"
#include "graph/graph.h"

namespace edgetrain::planner {

// `g` must come straight from derive_schedules (its store-all train list); throws
// std::logic_error if the strategy does not run every backward exactly once, in order.
void apply_strategy(Graph& g, const Chain& c, const Strategy& s);

}  // namespace edgetrain::planner

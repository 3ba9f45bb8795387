// Planning under a budget for the whole trainer process: its predicted peak RSS (off_arena.h),
// not just the arena and params block that `plan_with_policy`'s budget counts.
//
// What the process holds besides the plan (code, libraries, XNNPACK's region, the data) does not
// depend on the checkpointing strategy, so the step budget is the peak budget minus that; since
// placement and XNNPACK's region are computed for the real plan, the result is checked against
// the prediction and the step budget tightened by any excess until it fits.
#pragma once

#include <cstdint>

#include "checkpoint/solve.h"
#include "cost/off_arena.h"

namespace edgetrain::planner {

// Throws InfeasibleBudget (smallest_bytes: the least predicted peak of the policy) when nothing
// fits, including when reading the data set alone needs more than `peak_bytes`.
Planned plan_for_peak(const Graph& derived, const Chain& chain, Policy policy, uint64_t peak_bytes,
                      const OffArenaModel& model, const TrainerData& data, int slots = 1000,
                      bool in_place = true);

}  // namespace edgetrain::planner

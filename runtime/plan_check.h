// Validates a baked plan once, before anything runs: header, tensor bounds, op tensor ids.
// After this the executor trusts the plan. And picks which of a binary's baked plans runs.
#pragma once

#include "plan_format.h"
#include "edgetrain/status.h"

namespace edgetrain {

Status check_plan(const Plan& plan);

// The plan for `batch`; when batch == 0, the largest batch whose arena and params block fit in
// `available_bytes` (0: unknown, take the largest).
Status select_plan(const PlanSet& plans, uint32_t batch, uint64_t available_bytes, const Plan** out);

// The optimizer the plan's updates run, as `plan --optimizer` names it ("sgd", "adam", "adamw"),
// or "none" for a plan that trains no parameter.
const char* plan_optimizer(const Plan& plan);

}  // namespace edgetrain

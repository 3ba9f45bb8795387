// Validates a baked plan once, before anything runs: header, tensor bounds, op tensor ids.
// After this the executor trusts the plan.
#pragma once

#include "plan_format.h"
#include "status.h"

namespace edgetrain {

Status check_plan(const Plan& plan);

}  // namespace edgetrain

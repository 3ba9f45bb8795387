// Fills the params block before the first step, from each tensor's Init kind. Deterministic for
// a seed on every platform (no std::*_distribution, whose output is implementation-defined).
#pragma once

#include <cstdint>

#include "plan_format.h"

namespace edgetrain {

void init_params(const Plan& plan, unsigned char* params, uint64_t seed);

}  // namespace edgetrain

// Helpers for runtime tests: find a baked plan and its tensors by name.
#pragma once

#include <doctest/doctest.h>

#include <cstring>

#include "plan_format.h"

namespace edgetrain::test {

inline const Plan& baked_plan(uint32_t batch) {
  for (uint32_t i = 0; i < kBakedPlans.count; ++i) {
    if (kBakedPlans.plans[i]->batch == batch) return *kBakedPlans.plans[i];
  }
  FAIL("no baked plan for batch " << batch);
  return *kBakedPlans.plans[0];
}

inline int32_t tensor_id(const Plan& plan, const char* name) {
  for (uint32_t i = 0; i < plan.tensor_count; ++i) {
    if (std::strcmp(plan.tensors[i].name, name) == 0) return static_cast<int32_t>(i);
  }
  FAIL("plan has no tensor " << name);
  return -1;
}

}  // namespace edgetrain::test

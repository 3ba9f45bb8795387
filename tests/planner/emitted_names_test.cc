// Compiled with the plan nasty_plan wrote (tests/planner/CMakeLists.txt): that it builds at all
// shows no name escaped its literal; here the literals must hold the names byte for byte, and
// the runtime's plan check must refuse them.
#include <doctest/doctest.h>

#include <string>

#include "nasty_names.h"
#include "plan_check.h"

using namespace edgetrain;

TEST_CASE("generated code holds names from the graph only as data") {
  REQUIRE(kBakedPlans.count == 1);
  const Plan& p = *kBakedPlans.plans[0];
  CHECK(std::string(p.model) == test::kNastyModel);
  int found = 0;
  for (uint32_t i = 0; i < p.tensor_count; ++i) {
    const std::string name = p.tensors[i].name;
    found += name == test::kNastyConv || name == test::kNastyRelu;
  }
  CHECK(found == 2);
}

TEST_CASE("the runtime's plan check refuses names outside the plan character set") {
  const Status s = check_plan(*kBakedPlans.plans[0]);
  CHECK(s.code() == StatusCode::InvalidPlan);
  CHECK(std::string(s.message()).find("bad model name") != std::string::npos);
}

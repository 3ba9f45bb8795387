// The trainer's choices: which baked plan runs, and the learning-rate schedule.
#include <doctest/doctest.h>

#include <string>

#include "runtime_test_util.h"
#include "trainer.h"

using namespace edgetrain;
using namespace edgetrain::test;

TEST_CASE("plan selection: by batch, or the largest that fits the available memory") {
  const Plan* p = nullptr;
  REQUIRE(select_plan(kBakedPlans, 4, 0, &p).is_ok());
  CHECK(p->batch == 4);
  REQUIRE(select_plan(kBakedPlans, 0, 0, &p).is_ok());
  CHECK(p->batch == 8);
  const Plan& b4 = baked_plan(4);
  REQUIRE(select_plan(kBakedPlans, 0, b4.arena_bytes + b4.params_bytes, &p).is_ok());
  CHECK(p->batch == 4);
  const Status none = select_plan(kBakedPlans, 0, 1000, &p);
  CHECK(none.code() == StatusCode::OutOfMemory);
  CHECK(std::string(none.message()).find("the smallest, batch 4") != std::string::npos);
  CHECK(std::string(select_plan(kBakedPlans, 16, 0, &p).message()).find("batches: 4, 8") != std::string::npos);
}

TEST_CASE("cosine learning-rate schedule: full at the start, half midway, zero at the end") {
  CHECK(scheduled_lr(0.1f, LrSchedule::Constant, 70, 100) == 0.1f);
  CHECK(scheduled_lr(0.1f, LrSchedule::Cosine, 0, 100) == doctest::Approx(0.1));
  CHECK(scheduled_lr(0.1f, LrSchedule::Cosine, 50, 100) == doctest::Approx(0.05));
  CHECK(scheduled_lr(0.1f, LrSchedule::Cosine, 100, 100) == doctest::Approx(0.0));
}

// The trainer's choices: which baked plan runs, the learning-rate schedule, and which data fits.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "data_source.h"
#include "plan_check.h"
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

TEST_CASE("the data must fit the plan's input, a synthetic set's images are the same on every read") {
  const ImageSet set = synthetic_image_set(100, 28, 28, 1, 10, 5);
  const InputShape in = input_shape(baked_plan(4));
  REQUIRE(check_data_fits("fashion_cnn", in, set).is_ok());
  CHECK(std::string(check_data_fits("fashion_cnn", in, synthetic_image_set(100, 32, 32, 3, 10, 5)).message())
            .find("takes 28x28x1 images but the data has 32x32x3") != std::string::npos);
  const size_t bytes = set.image_bytes();
  std::vector<uint8_t> a(bytes), b(bytes), c(bytes);
  set.copy_image(42, a.data());
  set.copy_image(0, b.data());
  set.copy_image(42, c.data());
  CHECK(a == c);
  CHECK(a != b);
}

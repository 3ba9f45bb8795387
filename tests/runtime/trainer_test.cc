// The trainer's choices: which baked plan runs, the learning-rate schedule, and how batches are
// filled.
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

TEST_CASE("fill_batch generates a synthetic set's images and labels straight into the input tensor") {
  XnnContext xnn;
  REQUIRE(xnn.init(1).is_ok());
  Executor exec;
  REQUIRE(exec.init(baked_plan(4), xnn, 1).is_ok());
  const ImageSet set = synthetic_image_set(100, 28, 28, 1, 10, 5);
  REQUIRE(check_data_fits("fashion_cnn", input_shape(exec.plan()), set).is_ok());
  CHECK(std::string(check_data_fits("fashion_cnn", input_shape(exec.plan()), synthetic_image_set(100, 32, 32, 3, 10, 5)).message())
            .find("takes 28x28x1 images but the data has 32x32x3") != std::string::npos);

  const uint32_t indices[4] = {42, 0, 99, 42};
  fill_batch(set, indices, exec);
  const size_t bytes = set.image_bytes();
  std::vector<uint8_t> expected(bytes);
  for (uint32_t b = 0; b < 4; ++b) {
    set.copy_image(indices[b], expected.data());
    CHECK(std::memcmp(exec.input() + b * bytes, expected.data(), bytes) == 0);
    CHECK(exec.labels()[b] == static_cast<int32_t>(set.label(indices[b])));
  }
  CHECK(std::memcmp(exec.input(), exec.input() + bytes, bytes) != 0);
  CHECK(std::memcmp(exec.input(), exec.input() + 3 * bytes, bytes) == 0);
}

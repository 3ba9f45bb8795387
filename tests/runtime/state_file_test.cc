#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../test_random.h"
#include "runtime_test_util.h"
#include "state_file.h"
#include "trainer.h"

using namespace edgetrain;
using namespace edgetrain::test;

namespace {

std::string temp_path(const char* name) {
  return "/tmp/edgetrain_state_test_" + std::to_string(getpid()) + "_" + name;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

// A small random data set of 28x28 images.
ImageSet random_images(uint32_t count, std::mt19937& rng) {
  ImageSet set;
  set.count = count, set.height = 28, set.width = 28;
  for (uint32_t i = 0; i < count * 28 * 28; ++i) set.pixels.push_back(static_cast<uint8_t>(rng()));
  for (uint32_t i = 0; i < count; ++i) set.labels.push_back(static_cast<uint8_t>(rng() % 10));
  return set;
}

struct Trainer {
  XnnContext xnn;
  Executor exec;
  explicit Trainer(uint32_t seed) {
    REQUIRE(xnn.init(1).is_ok());
    REQUIRE(exec.init(baked_plan(4), xnn, seed).is_ok());
  }
  std::vector<uint8_t> params() const {
    return {exec.params(), exec.params() + exec.plan().params_bytes};
  }
};

// Only the saved tensors (weights, velocities, running statistics) must match after a resume.
bool same_state(const Plan& plan, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  for (uint32_t i = 0; i < plan.tensor_count; ++i) {
    const TensorDesc& t = plan.tensors[i];
    if (t.region == Region::Params && t.init != Init::None &&
        std::memcmp(a.data() + t.offset, b.data() + t.offset, t.bytes) != 0) {
      return false;
    }
  }
  return true;
}

// Trains 7 steps straight, and 3 steps, saved, then resumed to 7 in a fresh trainer: the two
// must end in the same state.
void check_resume_is_bit_identical(const ImageSet& data) {
  const std::string path = temp_path("resume");
  TrainOptions options;
  options.log_every = 100;
  options.optimizer = {0.05f, 0.9f, 1e-4f};
  FILE* null = std::fopen("/dev/null", "w");

  Trainer straight(5);
  TrainPosition p1;
  options.steps = 7;
  REQUIRE(train(straight.exec, data, options, &p1, null).is_ok());

  {
    Trainer first(5);
    TrainPosition p2;
    options.steps = 3;
    options.save_path = path.c_str();
    REQUIRE(train(first.exec, data, options, &p2, null).is_ok());
  }
  Trainer resumed(99);  // a different init: everything must come from the file
  TrainPosition p3;
  REQUIRE(load_state(path.c_str(), resumed.exec.plan(), resumed.exec.params(), &p3).is_ok());
  CHECK(p3.step == 3);
  options.steps = 7;
  REQUIRE(train(resumed.exec, data, options, &p3, null).is_ok());
  std::fclose(null);

  CHECK(p3.step == p1.step);
  CHECK(p3.epoch == p1.epoch);
  CHECK(p3.cursor == p1.cursor);
  CHECK(same_state(straight.exec.plan(), straight.params(), resumed.params()));
  std::remove(path.c_str());
}

}  // namespace

TEST_CASE("a resumed run gives the same weights, bit for bit, as an uninterrupted one") {
  EDGETRAIN_SEEDED_RNG(rng);
  // 10 images: 4-image batches cross epoch boundaries.
  SUBCASE("held images") { check_resume_is_bit_identical(random_images(10, rng)); }
  SUBCASE("generated images (--synthetic)") {
    check_resume_is_bit_identical(synthetic_image_set(10, 28, 28, 1, 10, static_cast<uint32_t>(rng())));
  }
}

TEST_CASE("damaged or foreign state files are refused and leave the parameters alone") {
  Trainer t(1);
  const Plan& plan = t.exec.plan();
  const std::string path = temp_path("damaged");
  REQUIRE(save_state(path.c_str(), plan, t.exec.params(), {12, 1, 8}).is_ok());
  const std::vector<uint8_t> good = read_file(path);
  CHECK(good.size() == 48 + state_payload_bytes(plan) + 4);
  CHECK(access((path + ".tmp").c_str(), F_OK) != 0);  // the temporary is renamed away

  Trainer other(2);
  const std::vector<uint8_t> before = other.params();
  TrainPosition pos;
  auto refused = [&](const std::vector<uint8_t>& bytes, const char* expect) {
    write_file(path, bytes);
    const Status s = load_state(path.c_str(), plan, other.exec.params(), &pos);
    CHECK_FALSE(s.is_ok());
    CHECK(std::string(s.message()).find(expect) != std::string::npos);
    CHECK(other.params() == before);
  };
  std::vector<uint8_t> bad = good;
  bad[100] ^= 1;
  refused(bad, "checksum mismatch");
  refused(std::vector<uint8_t>(good.begin(), good.begin() + 30), "truncated");
  refused(std::vector<uint8_t>(good.begin(), good.end() - 9), "checksum");
  bad = good;
  bad[0] = 'X';
  refused(bad, "not an edgetrain state file");

  Plan foreign = plan;
  foreign.model_hash ^= 1;
  write_file(path, good);
  const Status s = load_state(path.c_str(), foreign, other.exec.params(), &pos);
  CHECK(std::string(s.message()).find("saved for another model") != std::string::npos);
  CHECK(other.params() == before);

  REQUIRE(load_state(path.c_str(), plan, other.exec.params(), &pos).is_ok());
  CHECK(pos.step == 12);
  CHECK(same_state(plan, other.params(), t.params()));
  std::remove(path.c_str());
}

TEST_CASE("a save that cannot be written says so and leaves nothing behind") {
  Trainer t(1);
  const Status s = save_state("/nonexistent-dir/state.bin", t.exec.plan(), t.exec.params(), {});
  CHECK(s.code() == StatusCode::IoError);
  CHECK(std::string(s.message()).find("/nonexistent-dir/state.bin.tmp") != std::string::npos);
}

TEST_CASE("non-finite parameters are never saved and the last good state stays") {
  EDGETRAIN_SEEDED_RNG(rng);
  const ImageSet data = random_images(8, rng);
  const std::string path = temp_path("nonfinite");
  Trainer t(1);
  TrainOptions options;
  options.steps = 2;
  options.log_every = 100;
  options.save_path = path.c_str();
  options.save_every = 1;
  TrainPosition pos;
  FILE* null = std::fopen("/dev/null", "w");
  REQUIRE(train(t.exec, data, options, &pos, null).is_ok());
  const std::vector<uint8_t> good = read_file(path);

  // XNNPACK's clamps turn a NaN weight's outputs into infinities, so the loss may stay finite;
  // the check before each save still catches the weight itself.
  t.exec.context().f32(tensor_id(t.exec.plan(), "fc.weight"))[3] = std::numeric_limits<float>::quiet_NaN();
  options.steps = 4;
  const Status s = train(t.exec, data, options, &pos, null);
  std::fclose(null);
  CHECK(s.code() == StatusCode::NonFinite);
  CHECK(std::string(s.message()).find("state saved at step 2 is intact") != std::string::npos);
  CHECK(read_file(path) == good);
  std::remove(path.c_str());
}

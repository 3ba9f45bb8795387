#include <doctest/doctest.h>
#include <sys/stat.h>
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
#include "session_test_util.h"
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
  std::unique_ptr<Session> session;
  Executor& exec;
  explicit Trainer(uint32_t seed) : session(test_session(baked_plan(4), seed)), exec(SessionAccess::executor(*session)) {}
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
  REQUIRE(train_at(*straight.session, data, options, &p1, null).is_ok());

  {
    Trainer first(5);
    TrainPosition p2;
    options.steps = 3;
    options.save_path = path.c_str();
    REQUIRE(train_at(*first.session, data, options, &p2, null).is_ok());
  }
  Trainer resumed(99);  // a different init: everything must come from the file
  TrainPosition p3;
  REQUIRE(load_state(path.c_str(), resumed.exec.plan(), resumed.exec.params(), &p3).is_ok());
  CHECK(p3.step == 3);
  options.steps = 7;
  REQUIRE(train_at(*resumed.session, data, options, &p3, null).is_ok());
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

TEST_CASE("a save path that cannot be written is refused up front, saying why") {
  Trainer t(1);
  const Status s = save_state("/nonexistent-dir/state.bin", t.exec.plan(), t.exec.params(), {});
  CHECK(s.code() == StatusCode::InvalidArgument);
  CHECK(std::string(s.message()).find("directory '/nonexistent-dir' does not exist") != std::string::npos);
  CHECK(std::string(check_save_path("/nonexistent-dir/state.bin").message()) == s.message());
  CHECK(std::string(check_save_path("/tmp").message()).find("'/tmp': it is a directory") != std::string::npos);
  CHECK(std::string(check_save_path("/dev/null").message()).find("not a regular file") != std::string::npos);
  CHECK(check_save_path(temp_path("new.state").c_str()).is_ok());
  CHECK(check_save_path("relative-name.state").is_ok());  // the current directory
  if (geteuid() != 0) {  // root may write anywhere
    const std::string dir = temp_path("readonly");
    REQUIRE(mkdir(dir.c_str(), 0555) == 0);
    CHECK(std::string(check_save_path((dir + "/s.state").c_str()).message()).find("is not writable") !=
          std::string::npos);
    rmdir(dir.c_str());
  }
}

TEST_CASE("a save never writes through a file or symlink planted at a temporary's name") {
  Trainer t(1);
  const Plan& plan = t.exec.plan();
  const std::string path = temp_path("planted"), victim = temp_path("victim");
  const std::vector<uint8_t> victim_bytes = {'k', 'e', 'e', 'p'};
  write_file(victim, victim_bytes);
  const uint64_t nonce = 0x1234;
  // The old fixed name and the first two names this save will try.
  const std::vector<std::string> planted = {path + ".tmp", state_temp_name(path.c_str(), nonce),
                                            state_temp_name(path.c_str(), nonce + 1)};
  CHECK(planted[1] != planted[2]);
  CHECK(planted[1].rfind(path + ".tmp.", 0) == 0);
  CHECK(planted[1].size() == path.size() + 11);
  for (const std::string& p : planted) REQUIRE(symlink(victim.c_str(), p.c_str()) == 0);

  REQUIRE(save_state(path.c_str(), plan, t.exec.params(), {3, 0, 12}, nonce).is_ok());
  CHECK(read_file(victim) == victim_bytes);
  struct stat st {};
  for (const std::string& p : planted) {
    CHECK(lstat(p.c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
  }
  REQUIRE(lstat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK(access(state_temp_name(path.c_str(), nonce + 2).c_str(), F_OK) != 0);  // renamed away
  Trainer other(2);
  TrainPosition pos;
  REQUIRE(load_state(path.c_str(), plan, other.exec.params(), &pos).is_ok());
  CHECK(pos.step == 3);
  CHECK(same_state(plan, other.params(), t.params()));
  for (const std::string& p : planted) std::remove(p.c_str());
  std::remove(path.c_str());
  std::remove(victim.c_str());
}

TEST_CASE("--init-state takes the weights and BatchNorm statistics only: step 0, momentum zero") {
  EDGETRAIN_SEEDED_RNG(rng);
  const ImageSet data = random_images(8, rng);
  const std::string path = temp_path("init");
  TrainOptions options;
  options.steps = 5;
  options.log_every = 100;
  options.optimizer = {0.05f, 0.9f, 0.0f};
  options.save_path = path.c_str();
  FILE* null = std::fopen("/dev/null", "w");
  Trainer trained(1);
  TrainPosition p5;
  REQUIRE(train_at(*trained.session, data, options, &p5, null).is_ok());
  const Plan& plan = trained.exec.plan();

  Trainer fresh(7);
  REQUIRE(load_initial_state(path.c_str(), plan, fresh.exec.params()).is_ok());
  uint32_t velocities = 0;
  for (uint32_t i = 0; i < plan.train_op_count; ++i) {
    const OpDesc& op = plan.train_ops[i];
    if (op.kind != OpKind::SgdMomentum) continue;
    ++velocities;
    const TensorDesc& w = plan.tensors[op.in[0]];
    const TensorDesc& v = plan.tensors[op.in[2]];
    CHECK(std::memcmp(fresh.exec.params() + w.offset, trained.exec.params() + w.offset, w.bytes) == 0);
    const std::vector<uint8_t> zeros(v.bytes, 0);
    CHECK(std::memcmp(fresh.exec.params() + v.offset, zeros.data(), v.bytes) == 0);
    CHECK(std::memcmp(trained.exec.params() + v.offset, zeros.data(), v.bytes) != 0);  // it had momentum
  }
  CHECK(velocities > 0);
  for (const char* stat : {"bn1.running_mean", "bn1.running_var"}) {
    const TensorDesc& t = plan.tensors[tensor_id(plan, stat)];
    CHECK(std::memcmp(fresh.exec.params() + t.offset, trained.exec.params() + t.offset, t.bytes) == 0);
  }
  // Four steps from that state are four steps, not none (the saved step 5 is not resumed).
  TrainPosition from_zero;
  options.steps = 4;
  options.save_path = nullptr;
  REQUIRE(train_at(*fresh.session, data, options, &from_zero, null).is_ok());
  std::fclose(null);
  CHECK(from_zero.step == 4);
  std::remove(path.c_str());
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
  REQUIRE(train_at(*t.session, data, options, &pos, null).is_ok());
  const std::vector<uint8_t> good = read_file(path);

  // XNNPACK's clamps turn a NaN weight's outputs into infinities, so the loss may stay finite;
  // the check before each save still catches the weight itself.
  t.exec.context().f32(tensor_id(t.exec.plan(), "fc.weight"))[3] = std::numeric_limits<float>::quiet_NaN();
  options.steps = 4;
  options.resumed = true;  // the file holds the state at pos (step 2), as after --resume
  const Status s = train_at(*t.session, data, options, &pos, null);
  std::fclose(null);
  CHECK(s.code() == StatusCode::NonFinite);
  CHECK(std::string(s.message()).find("state saved at step 2 is intact") != std::string::npos);
  CHECK(read_file(path) == good);
  std::remove(path.c_str());
}

TEST_CASE("a stopped run's error says no state was saved when none was") {
  EDGETRAIN_SEEDED_RNG(rng);
  const ImageSet data = random_images(8, rng);
  const std::string path = temp_path("never_saved");
  TrainOptions options;
  options.steps = 3;
  options.log_every = 100;
  options.save_path = path.c_str();
  options.save_every = 1;
  FILE* null = std::fopen("/dev/null", "w");
  Trainer t(1);
  t.exec.context().f32(tensor_id(t.exec.plan(), "fc.weight"))[3] = std::numeric_limits<float>::quiet_NaN();
  TrainPosition pos;
  Status s = train_at(*t.session, data, options, &pos, null);
  CHECK(s.code() == StatusCode::NonFinite);
  // (The loss may or may not be NaN already: XNNPACK's clamps; either error ends the same way.)
  const std::string first = s.message();
  CHECK(first.find("at step 1: ") != std::string::npos);
  CHECK(first.substr(first.size() - 20) == "; no state was saved");
  CHECK(access(path.c_str(), F_OK) != 0);

  // Started from a state at step 2 that is not save_path's (--init-state): still none saved.
  TrainPosition later{2, 0, 0};
  s = train_at(*t.session, data, options, &later, null);
  CHECK(std::string(s.message()).find("at step 3: ") != std::string::npos);
  CHECK(std::string(s.message()).find("; no state was saved") != std::string::npos);
  // Resumed from save_path at step 2: that file is the state left intact.
  options.resumed = true;
  later = {2, 0, 0};
  s = train_at(*t.session, data, options, &later, null);
  CHECK(std::string(s.message()).find("the state saved at step 2 is intact") != std::string::npos);
  std::fclose(null);
}

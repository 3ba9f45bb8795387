// The C++ API (edgetrain/session.h, edgetrain/data_set.h) over a baked fashion_cnn plan at
// batch 4 with --keep-gradients: train, read gradients, save and resume, predict, data sets.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../test_random.h"
#include "edgetrain/data_set.h"
#include "edgetrain/session.h"
#include "test_images.h"

using namespace edgetrain;
using namespace edgetrain::test;

namespace {

std::unique_ptr<Session> open_session(uint32_t seed = 1) {
  SessionOptions options;
  options.batch = 4;
  options.threads = 1;
  options.seed = seed;
  std::unique_ptr<Session> s;
  const Status st = Session::open("fashion_cnn", options, &s);
  REQUIRE_MESSAGE(st.is_ok(), std::string(st.message()));
  return s;
}

std::vector<float> copy_of(const TensorView& v) { return std::vector<float>(v.data, v.data + v.elements); }

std::vector<float> param(const Session& s, const char* name) {
  TensorView v;
  const Status st = s.parameter(name, &v);
  REQUIRE_MESSAGE(st.is_ok(), std::string(st.message()));
  return copy_of(v);
}

}  // namespace

TEST_CASE("a session opens the baked plan by model name and says what it takes") {
  std::unique_ptr<Session> s = open_session();
  CHECK(std::string(s->model()) == "fashion_cnn");
  CHECK(std::string(s->optimizer()) == "sgd");
  CHECK(s->batch() == 4);
  CHECK(s->height() == 28);
  CHECK(s->width() == 28);
  CHECK(s->channels() == 1);
  CHECK(s->classes() == 10);
  CHECK(s->step() == 0);
  CHECK(s->image_bytes() == 784);

  std::unique_ptr<Session> none;
  Status st = Session::open("resnet18", SessionOptions{}, &none);
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(std::string(st.message()) ==
        "this program holds plans of fashion_cnn, not of 'resnet18': plan that model and compile its FILE.gen.cc in");
  SessionOptions b16;
  b16.batch = 16;
  st = Session::open("fashion_cnn", b16, &none);
  CHECK(std::string(st.message()) == "no plan for batch 16 in this binary (batches: 4)");
  CHECK(none == nullptr);
}

TEST_CASE("train_step: the gradient it leaves is what SGD without momentum subtracted") {
  EDGETRAIN_SEEDED_RNG(rng);
  std::unique_ptr<Session> s = open_session();
  const std::vector<uint8_t> images = random_bytes(rng, 4 * s->image_bytes());
  const std::vector<int32_t> labels = {3, 0, 9, 5};
  const std::vector<float> before = param(*s, "conv1.weight");
  const float lr = 0.125f;  // a power of two: lr * g and the division by lr are exact
  float loss = 0;
  REQUIRE(s->train_step(images.data(), labels.data(), StepSettings{lr, 0.0f, 0.0f}, &loss).is_ok());
  CHECK(std::isfinite(loss));
  CHECK(loss > 0.5f);  // ten classes, random weights: about ln 10
  CHECK(s->step() == 1);
  TensorView g;
  REQUIRE(s->gradient("conv1.weight", &g).is_ok());
  CHECK(g.rank == 4);
  const std::vector<float> after = param(*s, "conv1.weight");
  REQUIRE(g.elements == before.size());
  double norm = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    INFO("element " << i);
    // w' = fl(w - lr * g): (w - w') / lr is g up to the rounding of w', half an ulp of w.
    const float ulp = std::nextafter(std::fabs(before[i]), 1.0f) - std::fabs(before[i]);
    CHECK(std::fabs((before[i] - after[i]) / lr - g.data[i]) <= ulp / lr + 1e-6f * std::fabs(g.data[i]));
    norm += double{g.data[i]} * g.data[i];
  }
  CHECK(norm > 0);

  TensorView v;
  CHECK(std::string(s->gradient("bn1.running_mean", &v).message()) ==
        "parameter 'bn1.running_mean' of plan 'fashion_cnn' is not trained (frozen, or a statistic), so it has no "
        "gradient");
  CHECK(std::string(s->parameter("conv9.weight", &v).message()).find("has no parameter 'conv9.weight'") !=
        std::string::npos);
}

TEST_CASE("float input: the normalised floats train exactly as the bytes they stand for") {
  EDGETRAIN_SEEDED_RNG(rng);
  std::unique_ptr<Session> bytes = open_session(), floats = open_session();
  for (int step = 0; step < 3; ++step) {
    const std::vector<uint8_t> images = random_bytes(rng, 4 * bytes->image_bytes());
    std::vector<float> normalised(images.size());
    for (size_t i = 0; i < images.size(); ++i) {  // Fashion-MNIST's mean and std, as the plan bakes them
      normalised[i] = (static_cast<float>(images[i]) / 255.0f - 0.2860f) / 0.3530f;
    }
    const std::vector<int32_t> labels = {int32_t(rng() % 10), int32_t(rng() % 10), int32_t(rng() % 10), 1};
    float a = 0, b = 0;
    REQUIRE(bytes->train_step(images.data(), labels.data(), StepSettings{}, &a).is_ok());
    REQUIRE(floats->train_step(normalised.data(), labels.data(), StepSettings{}, &b).is_ok());
    CHECK(a == b);
  }
  CHECK(param(*bytes, "fc.weight") == param(*floats, "fc.weight"));
  const std::vector<uint8_t> images = random_bytes(rng, 4 * bytes->image_bytes());
  std::vector<float> normalised(images.size());
  for (size_t i = 0; i < images.size(); ++i) normalised[i] = (images[i] / 255.0f - 0.2860f) / 0.3530f;
  std::vector<float> la(40), lb(40);
  REQUIRE(bytes->predict(images.data(), la.data()).is_ok());
  REQUIRE(floats->predict(normalised.data(), lb.data()).is_ok());
  CHECK(la == lb);
}

TEST_CASE("save, reopen, load: the resumed session steps to the same bits") {
  EDGETRAIN_SEEDED_RNG(rng);
  TempDir dir;
  const std::string path = dir.path + "/api.state";
  std::unique_ptr<Session> a = open_session();
  std::vector<std::vector<uint8_t>> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(random_bytes(rng, 4 * a->image_bytes()));
  const std::vector<int32_t> labels = {1, 2, 3, 4};
  float loss = 0;
  for (int i = 0; i < 2; ++i) REQUIRE(a->train_step(batches[i].data(), labels.data(), StepSettings{}, &loss).is_ok());
  REQUIRE(a->save(path.c_str()).is_ok());
  std::unique_ptr<Session> b = open_session(7);  // other initial weights: load() must replace them all
  REQUIRE(b->load(path.c_str()).is_ok());
  CHECK(b->step() == 2);
  float la = 0, lb = 0;
  for (int i = 2; i < 4; ++i) {
    REQUIRE(a->train_step(batches[i].data(), labels.data(), StepSettings{}, &la).is_ok());
    REQUIRE(b->train_step(batches[i].data(), labels.data(), StepSettings{}, &lb).is_ok());
    CHECK(la == lb);
  }
  for (const char* name : {"conv1.weight", "bn2.running_var", "fc.bias", "conv2.weight.velocity"}) {
    INFO(name);
    CHECK(param(*a, name) == param(*b, name));
  }
  REQUIRE(b->load_weights(path.c_str()).is_ok());
  CHECK(b->step() == 0);
  for (float v : param(*b, "conv2.weight.velocity")) REQUIRE(v == 0.0f);
  CHECK(std::string(b->load((dir.path + "/missing.state").c_str()).message()).find("missing.state") !=
        std::string::npos);
}

TEST_CASE("predict and top_k, bad labels and null buffers are errors, not crashes") {
  EDGETRAIN_SEEDED_RNG(rng);
  std::unique_ptr<Session> s = open_session();
  const std::vector<uint8_t> images = random_bytes(rng, 4 * s->image_bytes());
  std::vector<float> logits(4 * 10);
  REQUIRE(s->predict(images.data(), logits.data()).is_ok());
  for (float v : logits) REQUIRE(std::isfinite(v));
  uint32_t best[3];
  top_k(logits.data(), 10, 3, best);
  for (uint32_t i = 0; i < 10; ++i) CHECK(logits[i] <= logits[best[0]]);
  CHECK(logits[best[0]] >= logits[best[1]]);
  CHECK(logits[best[1]] >= logits[best[2]]);
  const float row[5] = {0.5f, 2.0f, 2.0f, -1.0f, 0.5f};
  uint32_t order[5];
  top_k(row, 5, 5, order);
  CHECK(std::vector<uint32_t>(order, order + 5) == std::vector<uint32_t>{1, 2, 0, 4, 3});

  const int32_t bad[4] = {0, 1, 10, 2};
  float loss = 0;
  const Status st = s->train_step(images.data(), bad, StepSettings{}, &loss);
  CHECK(std::string(st.message()) == "label 10 of image 2 is not a class of fashion_cnn (0 to 9)");
  CHECK(s->step() == 0);
  CHECK(s->train_step(static_cast<const uint8_t*>(nullptr), bad, StepSettings{}, &loss).code() ==
        StatusCode::InvalidArgument);
  CHECK(s->predict(images.data(), nullptr).code() == StatusCode::InvalidArgument);
}

TEST_CASE("a data set of an image folder feeds a session, out-of-range indices are errors") {
  EDGETRAIN_SEEDED_RNG(rng);
  TempDir dir;
  for (int c = 0; c < 10; ++c) {  // the model's ten classes, two training images and one validation image each
    const std::string name = "class_" + std::to_string(c);
    dir.mkdir("train/" + name);
    dir.mkdir("val/" + name);
    for (int i = 0; i < 2; ++i) write_png(dir.path + "/train/" + name + "/" + std::to_string(i) + ".png", random_image(rng, 40, 32, 3));
    write_png(dir.path + "/val/" + name + "/v.png", random_image(rng, 28, 28, 1));
  }
  std::unique_ptr<Session> s = open_session();
  std::unique_ptr<DataSet> data;
  const Status st = DataSet::open(dir.path.c_str(), *s, true, &data);
  REQUIRE_MESSAGE(st.is_ok(), std::string(st.message()));
  CHECK(data->count(Split::Train) == 20);
  CHECK(data->count(Split::Test) == 10);
  CHECK(data->classes() == 10);
  CHECK(std::string(data->class_name(7)) == "class_7");
  std::vector<uint8_t> images(4 * s->image_bytes()), again(images.size());
  std::vector<int32_t> labels(4), labels_again(4);
  const uint32_t pick[4] = {0, 19, 10, 5};
  REQUIRE(data->read(Split::Train, pick, 11, images.data(), labels.data()).is_ok());
  CHECK(labels == std::vector<int32_t>{0, 9, 5, 2});
  REQUIRE(data->read(Split::Train, pick, 11, again.data(), labels_again.data()).is_ok());
  CHECK(images == again);  // the same key, the same crops
  float loss = 0;
  REQUIRE(s->train_step(images.data(), labels.data(), StepSettings{}, &loss).is_ok());
  const uint32_t past[4] = {0, 1, 2, 20};
  CHECK(std::string(data->read(Split::Train, past, 0, images.data(), labels.data()).message()) ==
        "index 20 (entry 3 of the batch) is past the 20 images of the training set");
  CHECK(data->skipped_files() == 0);
}

TEST_CASE("input() takes a batch in place, the data position and step travel with the state, no NaN is saved") {
  EDGETRAIN_SEEDED_RNG(rng);
  TempDir dir;
  const std::string path = dir.path + "/position.state";
  std::unique_ptr<Session> copied = open_session(), in_place = open_session();
  const std::vector<int32_t> labels = {4, 1, 7, 0};
  float a = 0, b = 0;
  for (int step = 0; step < 2; ++step) {
    const std::vector<uint8_t> images = random_bytes(rng, 4 * copied->image_bytes());
    std::memcpy(in_place->input(), images.data(), images.size());
    REQUIRE(copied->train_step(images.data(), labels.data(), StepSettings{}, &a).is_ok());
    REQUIRE(in_place->train_step(in_place->input(), labels.data(), StepSettings{}, &b).is_ok());
    CHECK(a == b);
  }
  CHECK(param(*copied, "conv1.weight") == param(*in_place, "conv1.weight"));

  in_place->set_data_position({3, 17});
  REQUIRE(in_place->save(path.c_str()).is_ok());
  std::unique_ptr<Session> back = open_session(9);
  CHECK(back->data_position().epoch == 0);
  REQUIRE(back->load(path.c_str()).is_ok());
  CHECK(back->step() == 2);
  CHECK(back->data_position().epoch == 3);
  CHECK(back->data_position().cursor == 17);

  // A NaN weight (injected: nothing else writes one without a step) is refused, and the file on
  // disk stays the last good state.
  TensorView w;
  REQUIRE(in_place->parameter("fc.weight", &w).is_ok());
  const_cast<float*>(w.data)[5] = std::nanf("");
  const Status st = in_place->save(path.c_str());
  CHECK(st.code() == StatusCode::NonFinite);
  CHECK(std::string(st.message()) == "parameters are not finite at step 2: not saved");
  REQUIRE(back->load(path.c_str()).is_ok());
  CHECK(param(*back, "fc.weight") == param(*copied, "fc.weight"));
}

TEST_CASE("find_plan says what open() would take, plan_summary and the op profile describe it") {
  PlanInput found;
  REQUIRE(Session::find_plan("fashion_cnn", {4, 1, 1}, &found).is_ok());
  CHECK(std::string(found.model) == "fashion_cnn");
  CHECK(std::string(found.optimizer) == "sgd");
  CHECK(found.batch == 4);
  CHECK(found.height == 28);
  CHECK(found.channels == 1);
  CHECK(found.classes == 10);
  REQUIRE(Session::find_plan(nullptr, {4, 1, 1}, &found).is_ok());  // the program's one model
  CHECK(std::string(found.model) == "fashion_cnn");
  CHECK(std::string(Session::find_plan("resnet18", {}, &found).message()).find("not of 'resnet18'") !=
        std::string::npos);

  EDGETRAIN_SEEDED_RNG(rng);
  std::unique_ptr<Session> s = open_session();
  const PlanSummary plan = s->plan_summary();
  CHECK(plan.arena_bytes > 0);
  CHECK(plan.arena_lower_bound_bytes <= plan.arena_bytes);
  CHECK(plan.params_bytes > 0);
  REQUIRE(plan.train_ops > 0);
  s->profile(true);
  const std::vector<uint8_t> images = random_bytes(rng, 4 * s->image_bytes());
  const std::vector<int32_t> labels = {1, 1, 2, 2};
  float loss = 0;
  REQUIRE(s->train_step(images.data(), labels.data(), StepSettings{}, &loss).is_ok());
  double total = 0;
  bool conv = false;
  for (uint32_t i = 0; i < plan.train_ops; ++i) {
    const OpTime t = s->op_time(i);
    CHECK(t.seconds >= 0);
    total += t.seconds;
    conv = conv || std::string(t.kind) == "Conv2d";
  }
  CHECK(total > 0);
  CHECK(conv);
  CHECK(std::string(s->op_time(0).kind) == "Normalize");
  CHECK(s->op_time(plan.train_ops).seconds == 0);  // past the end: an empty entry
  s->profile(false);
  CHECK(s->op_time(0).seconds == 0);
}

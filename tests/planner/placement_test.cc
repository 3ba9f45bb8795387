#include <doctest/doctest.h>

#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"
#include "memory/simulate.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

Graph planned(const std::string& model, uint32_t batch) {
  Graph g = build_zoo_model(model, batch);
  derive_schedules(g);
  place(g);
  return g;
}

}  // namespace

TEST_CASE("fashion_cnn store-all plans have the reviewed byte budgets") {
  // A change to these numbers is a reviewed change: say why in the commit.
  const Graph b32 = planned("fashion_cnn", 32);
  // 6924736 before byte images, ReLU masks and max-pool taps (reviewed).
  CHECK(b32.arena_bytes == 4967744);
  CHECK(b32.arena_lower_bound == 4967680);
  CHECK(b32.params_bytes == 41856);  // 62592 before gradients moved to the arena (training.h)
  const Graph b1 = planned("fashion_cnn", 1);
  CHECK(b1.params_bytes == b32.params_bytes);
}

TEST_CASE("placement stays within 2% of the lower bound and passes the simulator") {
  for (uint32_t batch : {1u, 3u, 8u, 32u, 100u}) {
    CAPTURE(batch);
    const Graph g = planned("fashion_cnn", batch);
    CHECK(g.arena_bytes >= g.arena_lower_bound);
    CHECK(static_cast<double>(g.arena_bytes) <= 1.02 * static_cast<double>(g.arena_lower_bound));
    CHECK_NOTHROW(check_plan(g));
  }
}

TEST_CASE("offsets are aligned and arena tensors fit in the arena") {
  const Graph g = planned("fashion_cnn", 7);
  for (const Tensor& t : g.tensors) {
    CAPTURE(t.name);
    CHECK(t.offset % kTensorAlignment == 0);
    const uint64_t region = t.region() == Region::Arena ? g.arena_bytes : g.params_bytes;
    CHECK(t.offset + t.bytes() <= region);
  }
}

TEST_CASE("the model hash ignores the batch size but not the structure") {
  Graph a = build_zoo_model("fashion_cnn", 4), b = build_zoo_model("fashion_cnn", 64);
  CHECK(model_hash(a) == model_hash(b));
  b.forward[0].params.stride_h = 2;
  CHECK(model_hash(a) != model_hash(b));
}

TEST_CASE("the train schedule has one backward op per gradient and an SGD step per parameter") {
  const Graph g = planned("fashion_cnn", 2);
  int params = 0, sgd = 0, bn_running_updates = 0;
  for (const Tensor& t : g.tensors) params += t.role == Role::Param;
  for (const Op& op : g.train) {
    sgd += op.kind == OpKind::SgdMomentum;
    bn_running_updates += op.kind == OpKind::BatchNormTrain && op.params.update_running_stats;
  }
  CHECK(sgd == params);
  CHECK(bn_running_updates == 2);
  // The first conv's input is the image: no gradient for it is computed.
  for (const Op& op : g.train) CHECK(!(op.kind == OpKind::Conv2dBwdData && op.out[0] == g.input));
  CHECK(g.eval.back().out[0] == g.logits);
}

TEST_CASE("unknown models are refused with the list of known ones") {
  CHECK_THROWS_WITH(build_zoo_model("resnet1000", 1), doctest::Contains("known: fashion_cnn, fashion_net, mobilenet_v1"));
}

// Dropout through the whole runtime, on a small model built with the planner's ModelBuilder
// (host only: it links the planner): the masks are drawn afresh each step and differ between
// dropouts; checkpointed plans, which recompute dropouts' forwards, train bit for bit as the
// store-all plan over several steps; a run saved and resumed (same seed) continues bit for bit;
// evaluation runs dropout as the identity. (Gradients by finite differences:
// micro_model_gradient_test.cc.)
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../owned_plan.h"
#include "../test_random.h"
#include "checkpoint/chain.h"
#include "checkpoint/policies.h"
#include "checkpoint/solve.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "memory/placement.h"
#include "session_test_util.h"
#include "test_images.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

constexpr uint32_t kBatch = 4, kImage = 8, kClasses = 5;

// Dropouts in the features (after a ReLU, over a BatchNorm) and in the classifier head, with
// `p` (0: the same model with every dropout the identity).
Graph dropout_net(float p) {
  ModelBuilder b("dropout_net", kBatch, kImage, kImage, 3, kClasses);
  TensorId x = b.relu("stem.relu", b.batchnorm("stem.bn", b.conv("stem", b.input(), 6, 3, 1, 1)));
  x = b.dropout("drop1", x, p);
  x = b.relu("c2.relu", b.conv("c2", x, 8, 3, 2, 1, 1, true));
  x = b.dropout("drop2", x, p);
  x = b.relu("c3.relu", b.conv("c3", x, 8, 3, 1, 1, 1, true));
  x = b.dropout("head.drop", b.global_avgpool("gap", x), p);
  Graph g = b.finish(b.fc("fc", x, kClasses));
  derive_schedules(g);
  return g;
}

// The losses of `steps` steps of a placed plan from `seed`, and every parameter after them.
struct Run {
  std::vector<float> losses;
  std::vector<std::vector<float>> weights;  // every param, after the last step
};

std::vector<std::vector<float>> all_params(const Session& s, const Graph& g) {
  std::vector<std::vector<float>> out;
  for (const Tensor& t : g.tensors) {
    if (t.region() != Region::Params || t.dtype != DType::F32) continue;
    TensorView v;
    REQUIRE(s.parameter(t.name.c_str(), &v).is_ok());
    out.emplace_back(v.data, v.data + v.elements);
  }
  return out;
}

struct Batches {
  std::vector<std::vector<uint8_t>> images;
  std::vector<int32_t> labels;
};

Batches batches(int steps) {
  std::mt19937 rng(11);
  Batches b;
  for (int i = 0; i < steps; ++i) b.images.push_back(random_bytes(rng, size_t{kBatch} * kImage * kImage * 3));
  for (uint32_t i = 0; i < kBatch; ++i) b.labels.push_back(static_cast<int32_t>(i % kClasses));
  return b;
}

void step(Session& s, const Batches& data, int i, std::vector<float>* losses) {
  float loss = 0;
  const Status st = s.train_step(data.images[i].data(), data.labels.data(), StepSettings{0.1f, 0.9f}, &loss);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  losses->push_back(loss);
}

Run train_plan(const Graph& placed, int steps, uint32_t seed = 3) {
  const OwnedPlan owned(placed);
  std::unique_ptr<Session> s = test_session(owned.plan, seed, 2);
  const Batches data = batches(steps);
  Run r;
  for (int i = 0; i < steps; ++i) step(*s, data, i, &r.losses);
  r.weights = all_params(*s, placed);
  return r;
}

int count_kind(const std::vector<Op>& ops, OpKind kind) {
  int n = 0;
  for (const Op& op : ops) n += op.kind == kind;
  return n;
}

}  // namespace

TEST_CASE("dropout trains: the seed keys the masks, p = 0 trains otherwise, evaluation keeps no mask") {
  Graph g = dropout_net(0.5f);
  const Chain chain = build_chain(g);
  const Planned all = realise(g, chain, store_all(chain));
  const Run a = train_plan(all.graph, 3);
  CHECK(a.weights == train_plan(all.graph, 3).weights);  // deterministic
  CHECK(a.weights != train_plan(all.graph, 3, 4).weights);  // the seed keys the masks (and the weights)
  // The same model with p = 0 trains otherwise: the masks drop something.
  Graph id = dropout_net(0.0f);
  const Chain id_chain = build_chain(id);
  const Run b = train_plan(realise(id, id_chain, store_all(id_chain)).graph, 3);
  CHECK(a.losses != b.losses);
  // Evaluation keeps no mask and runs every Dropout at ratio 0.
  REQUIRE(count_kind(all.graph.eval, OpKind::Dropout) == 3);
  for (const Op& op : all.graph.eval) {
    if (op.kind != OpKind::Dropout) continue;
    CHECK(dropout_ratio(op.params) == 0.0f);
    CHECK(op.out.size() == 1);
  }
}

TEST_CASE("dropout in evaluation is the identity: predict equals the p = 0 model's") {
  const Batches data = batches(1);
  std::vector<float> logits[2];
  int k = 0;
  for (float p : {0.5f, 0.0f}) {
    Graph g = dropout_net(p);
    place(g);
    const OwnedPlan owned(g);
    std::unique_ptr<Session> s = test_session(owned.plan, 3);  // the same initial weights
    logits[k].resize(kBatch * kClasses);
    REQUIRE(s->predict(data.images[0].data(), logits[k].data()).is_ok());
    ++k;
  }
  CHECK(logits[0] == logits[1]);
}

TEST_CASE("recomputed dropouts draw the same masks: checkpointed plans equal store-all over 3 steps") {
  Graph g = dropout_net(0.5f);
  const Chain chain = build_chain(g);
  const Planned all = realise(g, chain, store_all(chain));
  const Run want = train_plan(all.graph, 3);
  int recomputed = 0;  // dropout forwards run twice (a clone before the backward), over the plans
  for (const Planned& p : {realise(g, chain, chen_sqrt(chain)), least_memory_plan(g, chain)}) {
    CAPTURE(p.strategy.policy);
    recomputed += count_kind(p.graph.train, OpKind::Dropout) - count_kind(g.forward, OpKind::Dropout);
    const Run got = train_plan(p.graph, 3);
    CHECK(got.losses == want.losses);
    CHECK(got.weights == want.weights);
  }
  CHECK(recomputed > 0);
}

TEST_CASE("a saved and resumed dropout run continues bit for bit") {
  Graph g = dropout_net(0.5f);
  place(g);
  const OwnedPlan owned(g);
  const Batches data = batches(4);
  TempDir dir;
  const std::string path = dir.path + "/dropout.state";
  std::vector<float> la, lb;
  std::unique_ptr<Session> a = test_session(owned.plan, 3);
  for (int i = 0; i < 2; ++i) step(*a, data, i, &la);
  REQUIRE(a->save(path.c_str()).is_ok());
  // The resumed run opens with the run's seed (edgetrain-train's --seed, which the epoch order
  // needs too); its initial weights are replaced by the state's.
  std::unique_ptr<Session> b = test_session(owned.plan, 3);
  for (int i = 0; i < 3; ++i) step(*b, data, 3, &lb);  // wander off first: load() restores all
  REQUIRE(b->load(path.c_str()).is_ok());
  REQUIRE(b->step() == 2);
  lb.clear();
  for (int i = 2; i < 4; ++i) {
    step(*a, data, i, &la);
    step(*b, data, i, &lb);
  }
  CHECK(std::vector<float>(la.begin() + 2, la.end()) == lb);
  CHECK(all_params(*a, g) == all_params(*b, g));
}

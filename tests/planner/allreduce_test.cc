// Data-parallel plans (graph/allreduce.h): buckets, where their Start and Wait go, the updates
// after the Wait, the bytes in flight in the arena, and the simulator guarding them.
#include <doctest/doctest.h>

#include <map>

#include "checkpoint/chain.h"
#include "checkpoint/solve.h"
#include "graph/allreduce.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/simulate.h"
#include "graph_lookup.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

// Store-all, or (least) the optimal policy's least-memory plan, which recomputes.
Planned data_parallel(const char* model, uint32_t batch, uint64_t bucket_bytes, bool least = false) {
  Graph g = build_zoo_model(model, batch);
  derive_schedules(g);
  g.allreduce_bucket_bytes = bucket_bytes;
  const Chain chain = build_chain(g);
  return least ? least_memory_plan(g, chain) : plan_with_policy(g, chain, Policy::StoreAll, 0);
}

// Per gradient: where its writer, Start, Wait and update are in the schedule.
struct Places {
  size_t writer = SIZE_MAX, start = SIZE_MAX, wait = SIZE_MAX, update = SIZE_MAX, last_param_use = 0;
  int starts = 0, waits = 0;
};

std::map<TensorId, Places> places(const Graph& g) {
  std::map<TensorId, Places> p;
  std::map<TensorId, TensorId> grad_of;  // param -> grad
  for (size_t i = 0; i < g.train.size(); ++i) {
    const Op& op = g.train[i];
    if (op_info(op.kind).phase == OpPhase::Optimizer) {
      p[op.in[slot::SgdMomentum::dw]].update = i;
      grad_of[op.in[slot::SgdMomentum::w]] = op.in[slot::SgdMomentum::dw];
    }
  }
  for (size_t i = 0; i < g.train.size(); ++i) {
    const Op& op = g.train[i];
    const bool start = op.kind == OpKind::GradAllReduceStart, wait = op.kind == OpKind::GradAllReduceWait;
    for (TensorId id : op.in) {
      if (id == kNoTensor) continue;
      if (start) ++p[id].starts, p[id].start = i;
      if (wait) ++p[id].waits, p[id].wait = i;
      if (!start && !wait && op_info(op.kind).phase != OpPhase::Optimizer && grad_of.count(id)) {
        p[grad_of[id]].last_param_use = i;
      }
    }
    for (TensorId id : op.out) {
      if (id != kNoTensor && g.at(id).role == Role::ParamGrad) p[id].writer = i;
    }
  }
  return p;
}

}  // namespace

TEST_CASE("data parallel: every gradient goes out once, after its writer, and is updated after its wait") {
  for (const char* model : {"fashion_cnn", "mobilenet_v1", "resnet18"}) {
    for (const bool least : {false, true}) {
      CAPTURE(model);
      CAPTURE(least);
      const Planned p = data_parallel(model, 2, 256 << 10, least);
      if (least) CHECK(p.extra_forward_fraction() > 0);
      const Graph& g = p.graph;
      size_t grads = 0;
      for (const auto& [id, at] : places(g)) {
        if (g.at(id).role != Role::ParamGrad) continue;
        ++grads;
        CHECK(at.starts == 1);
        CHECK(at.waits == 1);
        CHECK(at.writer < at.start);
        CHECK(at.start < at.wait);
        CHECK(at.wait < at.update);
        CHECK(at.last_param_use < at.update);
      }
      CHECK(grads > 0);
      CHECK(simulate(g, g.train, g.loss) == "");
      // A bucket waits only after the next one started (one in flight behind backward).
      int in_flight = 0, most = 0;
      for (const Op& op : g.train) {
        in_flight += op.kind == OpKind::GradAllReduceStart ? 1 : op.kind == OpKind::GradAllReduceWait ? -1 : 0;
        most = std::max(most, in_flight);
      }
      CHECK(in_flight == 0);
      CHECK(most == 2);
    }
  }
}

TEST_CASE("data parallel: buckets hold at most bucket_bytes (or one larger gradient) and five tensors") {
  const Graph& g = data_parallel("resnet18", 2, 1 << 20).graph;
  size_t buckets = 0;
  for (const Op& op : g.train) {
    if (op.kind != OpKind::GradAllReduceStart) continue;
    ++buckets;
    uint64_t bytes = 0;
    for (TensorId id : op.in) bytes += g.at(id).bytes();
    CHECK(op.in.size() <= static_cast<size_t>(kMaxOpInputs));
    CHECK((bytes <= (1u << 20) || op.in.size() == 1));
    CHECK(op.params.groups == buckets - 1);  // numbered in order
  }
  CHECK(describe_buckets(g).find("data parallel: " + std::to_string(buckets) + " gradient buckets") == 0);
}

TEST_CASE("data parallel: pinned arena bytes of a bucketed plan, and the bytes in flight it adds") {
  // fashion_net at batch 8 (plan --model fashion_net --batch 8 [--data-parallel]): the gradients
  // held from their writer to their bucket's wait cost 397312 bytes over the one-process plan.
  Graph one = build_zoo_model("fashion_net", 8);
  derive_schedules(one);
  const Planned single = plan_with_policy(one, build_chain(one), Policy::StoreAll, 0);
  const Planned dp = data_parallel("fashion_net", 8, 1 << 20);
  CHECK(single.graph.arena_bytes == 3254336);
  CHECK(dp.graph.arena_bytes == 3651648);
  CHECK(dp.graph.params_bytes == single.graph.params_bytes);
}

TEST_CASE("the simulator catches a bucket overwritten while its allreduce is in flight") {
  Graph g = data_parallel("fashion_cnn", 4, 1 << 20).graph;
  // The first bucket's first gradient, and an arena tensor written between its Start and Wait.
  size_t start = 0;
  while (g.train[start].kind != OpKind::GradAllReduceStart) ++start;
  const TensorId grad = g.train[start].in[0];
  TensorId victim = kNoTensor;
  for (size_t i = start + 1; g.train[i].kind != OpKind::GradAllReduceWait && victim == kNoTensor; ++i) {
    for (TensorId id : g.train[i].out) {
      if (id != kNoTensor && g.at(id).region() == Region::Arena && g.at(id).bytes() <= g.at(grad).bytes()) victim = id;
    }
  }
  REQUIRE(victim != kNoTensor);
  g.at(victim).offset = g.at(grad).offset;
  CHECK(simulate(g, g.train, g.loss).find("reads '" + g.at(grad).name + "'") != std::string::npos);
}

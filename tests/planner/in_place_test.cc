#include <doctest/doctest.h>

#include "checkpoint/policies.h"
#include "checkpoint/solve.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/in_place.h"
#include "memory/placement.h"
#include "memory/simulate.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

Planned store_all_plan(const std::string& model, uint32_t batch, ZooOptions options = {}) {
  Graph g = build_zoo_model(model, batch, options);
  derive_schedules(g);
  const Chain c = build_chain(g);
  return realise(g, c, store_all(c));
}

const Op* find_op(const std::vector<Op>& ops, const Graph& g, OpKind kind, const std::string& out) {
  for (const Op& op : ops) {
    if (op.kind == kind && !op.out.empty() && op.out[0] != kNoTensor && g.at(op.out[0]).name == out) return &op;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("ReLU writes over its BatchNorm's output, gradients over dy, in train and eval") {
  const Planned p = store_all_plan("fashion_cnn", 4);
  const Graph& g = p.graph;
  const Op* relu = find_op(g.train, g, OpKind::Relu, "relu1");
  REQUIRE(relu);
  CHECK(relu->params.in_place == 1);
  CHECK(g.at(relu->out[0]).offset == g.at(relu->in[0]).offset);
  const Op* eval_relu = find_op(g.eval, g, OpKind::Relu, "relu1");
  REQUIRE(eval_relu);
  CHECK(eval_relu->params.in_place == 1);
  const Op* relu_bwd = find_op(g.train, g, OpKind::ReluBwd, "d.bn1");
  REQUIRE(relu_bwd);
  CHECK(relu_bwd->params.in_place == 2);  // dx over dy
  const Op* bn_bwd = find_op(g.train, g, OpKind::BatchNormBwd, "d.conv1");
  REQUIRE(bn_bwd);
  CHECK(bn_bwd->params.in_place == 5);
  // Only slots the runtime allows.
  for (const Op& op : g.train) {
    if (op.params.in_place) CHECK(op_allows_in_place(op.kind, op.params.in_place - 1));
  }
}

TEST_CASE("an input read later is never written over") {
  const Planned p = store_all_plan("resnet18", 1, {32, 10});
  const Graph& g = p.graph;
  const std::vector<Lifetime> life = lifetimes(g);
  int aliased = 0;
  for (size_t i = 0; i < g.train.size(); ++i) {
    const Op& op = g.train[i];
    if (!op.params.in_place) continue;
    ++aliased;
    CHECK(life[op.in[op.params.in_place - 1]].last == static_cast<int>(i));
  }
  CHECK(aliased > 0);
  // ResNet adds write over the residual branch and their ReLU over the sum.
  const Op* add = find_op(g.train, g, OpKind::Add, "layer1.0.add");
  REQUIRE(add);
  CHECK(add->params.in_place != 0);
  const Op* relu = find_op(g.train, g, OpKind::Relu, "layer1.0.relu2");
  REQUIRE(relu);
  CHECK(relu->params.in_place == 1);
}

TEST_CASE("placement counts an aliased pair once, and the lower bound too") {
  Graph g = build_zoo_model("fashion_cnn", 8);
  derive_schedules(g);
  place(g);
  const uint64_t without = g.arena_lower_bound;
  assign_in_place(g);
  place(g);
  CHECK(g.arena_lower_bound < without);
  CHECK(static_cast<double>(g.arena_bytes) <= 1.02 * static_cast<double>(g.arena_lower_bound));
  CHECK_NOTHROW(check_plan(g));
  const std::vector<TensorId> root = alias_roots(g);
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    CHECK(g.tensors[id].offset == g.at(root[id]).offset);
  }
}

TEST_CASE("the simulator accepts exactly the allowed in-place writes") {
  Planned p = store_all_plan("fashion_cnn", 2);
  Graph& g = p.graph;
  REQUIRE(simulate(g, g.train, g.loss) == "");
  size_t relu = 0, conv = 0;
  for (size_t i = 0; i < g.train.size(); ++i) {
    if (g.train[i].kind == OpKind::Relu && !relu) relu = i;
    if (g.train[i].kind == OpKind::Conv2d && i > 0 && !conv) conv = i;
  }
  SUBCASE("an op whose kernel does not allow it") {
    g.train[conv].params.in_place = 1;
    CHECK(simulate(g, g.train, g.loss).find("does not allow") != std::string::npos);
  }
  SUBCASE("a slot the kernel does not allow") {
    Op& op = g.train[relu];
    op.params.in_place = 2;  // Relu has one input
    CHECK(simulate(g, g.train, g.loss).find("does not allow") != std::string::npos);
  }
  SUBCASE("in place, but at another offset") {
    Op& op = g.train[relu];
    g.at(op.out[0]).offset = g.arena_bytes;  // past everything
    CHECK(simulate(g, g.train, g.loss).find("at another offset") != std::string::npos);
  }
  SUBCASE("the same write without in_place is writing over an input") {
    g.train[relu].params.in_place = 0;
    CHECK(simulate(g, g.train, g.loss).find("over its own input") != std::string::npos);
  }
}

TEST_CASE("conv and BatchNorm stages need no forward re-run right before their backward") {
  Graph g = build_zoo_model("mobilenet_v1", 2, {32, 10});
  derive_schedules(g);
  const Chain c = build_chain(g);
  CHECK_FALSE(c.costs[0].backward_reads_forward);  // Normalize: no backward at all
  CHECK_FALSE(c.costs[1].backward_reads_forward);  // conv: reads its input
  CHECK_FALSE(c.costs[2].backward_reads_forward);  // BN: its input and statistics
  CHECK(c.costs[3].backward_reads_forward);        // ReLU: the mask its forward writes
  const Planned least = least_memory_plan(g, c, 60);
  bool skipped = false;  // some backward whose stage was not the forward just before
  const auto& a = least.strategy.actions;
  for (size_t i = 1; i < a.size(); ++i) {
    skipped |= a[i].kind == Action::Backward && a[i - 1].kind == Action::Backward &&
               a[i].stage + 1 == a[i - 1].stage && a[i].stage > 0 && !c.costs[static_cast<size_t>(a[i].stage)].backward_reads_forward;
  }
  CHECK(skipped);
}

// plan --optimizer (training.h): Adam and AdamW plans hold one update per trained parameter where
// the SGD plan holds its SgdMomentum, with two zeroed moments in place of the velocity, and the
// params block and the predicted peak count exactly those bytes more.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "checkpoint/chain.h"
#include "checkpoint/solve.h"
#include "cost/off_arena.h"
#include "graph/freeze.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"
#include "memory/simulate.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

Graph store_all(const std::string& model, OpKind optimizer, const FreezeSpec& freeze = {}) {
  Graph g = build_zoo_model(model, 2, {model.rfind("fashion", 0) == 0 ? 0u : 64u, 10});
  const Frozen frozen = freeze_layers(g, freeze);
  derive_schedules(g, frozen.params, Updates::AfterLastUse, optimizer);
  place(g);
  check_plan(g);  // the simulator
  return g;
}

uint64_t run_peak(const Graph& g) {
  return predict_peak(g, off_arena_model("host"), default_trainer_data(g)).run_peak;
}

uint64_t page_rounded_params(const Graph& g) {  // as off_arena.cc counts the params block
  const uint64_t page = off_arena_model("host").page_bytes;
  return (g.params_bytes + 16 + page - 1) / page * page;
}

}  // namespace

TEST_CASE("optimizer: Adam and AdamW updates stand where SGD's do, each with two zeroed moments") {
  for (const char* model : {"fashion_cnn", "mobilenet_v2", "resnet18"}) {
    const Graph sgd = store_all(model, OpKind::SgdMomentum);
    for (OpKind kind : {OpKind::Adam, OpKind::AdamW}) {
      CAPTURE(model);
      CAPTURE(op_name(kind));
      const Graph g = store_all(model, kind);
      REQUIRE(g.train.size() == sgd.train.size());
      uint64_t moment_bytes = 0;
      size_t updates = 0;
      for (size_t k = 0; k < g.train.size(); ++k) {
        const Op &op = g.train[k], &was = sgd.train[k];
        CHECK((op.kind == kind) == (was.kind == OpKind::SgdMomentum));
        if (op.kind != kind) continue;
        ++updates;
        const Tensor& w = g.at(op.in[slot::Adam::w]);
        CHECK(w.name == sgd.at(was.in[slot::SgdMomentum::w]).name);
        CHECK(g.at(op.in[slot::Adam::dw]).name == sgd.at(was.in[slot::SgdMomentum::dw]).name);
        REQUIRE(op.in.size() == 4);
        for (const auto& [s, suffix] : std::map<int, std::string>{{slot::Adam::exp_avg, ".exp_avg"},
                                                                 {slot::Adam::exp_avg_sq, ".exp_avg_sq"}}) {
          const Tensor& m = g.at(op.in[static_cast<size_t>(s)]);
          CHECK(m.name == w.name + suffix);
          CHECK(m.role == Role::OptState);
          CHECK(m.init == Init::Zeros);
          CHECK(m.region() == Region::Params);
          CHECK(m.shape == w.shape);
          moment_bytes += aligned_bytes(m.bytes());
        }
        moment_bytes -= aligned_bytes(w.bytes());  // one of them stands where the velocity did
      }
      CHECK(updates > 0);
      // The optimizer's state is all the two plans differ in: not one arena byte, the params
      // block by a second buffer per trained parameter, the peak by those bytes as paged.
      CHECK(g.arena_bytes == sgd.arena_bytes);
      CHECK(g.params_bytes == sgd.params_bytes + moment_bytes);
      CHECK(run_peak(g) - run_peak(sgd) == page_rounded_params(g) - page_rounded_params(sgd));
    }
  }
}

TEST_CASE("optimizer: frozen layers get no Adam moments") {
  const FreezeSpec freeze{{"conv1", "bn1", "layer1"}, 0};
  const Graph all = store_all("resnet18", OpKind::Adam);
  const Graph frozen = store_all("resnet18", OpKind::Adam, freeze);
  uint64_t frozen_bytes = 0;
  size_t frozen_params = 0;
  for (const Tensor& t : frozen.tensors) {
    if (t.role != Role::Param || (t.name.rfind("conv1.", 0) != 0 && t.name.rfind("bn1.", 0) != 0 && t.name.rfind("layer1.", 0) != 0)) continue;
    ++frozen_params;
    frozen_bytes += aligned_bytes(t.bytes());
    for (const Tensor& s : frozen.tensors) CHECK(s.name.rfind(t.name + ".exp_avg", 0) != 0);
  }
  CHECK(frozen_params == 3 + 12);  // stem conv and BatchNorm; layer1's two blocks of 6
  CHECK(frozen.params_bytes == all.params_bytes - 2 * frozen_bytes);
}

TEST_CASE("optimizer: a checkpointed Adam plan keeps every update and passes the simulator") {
  Graph g = build_zoo_model("fashion_net", 8);
  derive_schedules(g, {}, Updates::AfterLastUse, OpKind::Adam);
  size_t params = 0;
  for (const Tensor& t : g.tensors) params += t.role == Role::Param;
  const Planned p = least_memory_plan(g, build_chain(g));
  CHECK(p.extra_forward_fraction() > 0);  // it recomputes
  CHECK_NOTHROW(check_plan(p.graph));
  size_t updates = 0, moments = 0;
  for (const Op& op : p.graph.train) updates += op.kind == OpKind::Adam;
  for (const Tensor& t : p.graph.tensors) moments += t.role == Role::OptState;
  CHECK(params > 0);
  CHECK(updates == params);
  CHECK(moments == 2 * params);
}

TEST_CASE("optimizer: --optimizer names sgd, adam or adamw") {
  CHECK(parse_optimizer("sgd") == OpKind::SgdMomentum);
  CHECK(parse_optimizer("adam") == OpKind::Adam);
  CHECK(parse_optimizer("adamw") == OpKind::AdamW);
  CHECK_THROWS_WITH_AS(parse_optimizer("Adam"), "--optimizer is sgd|adam|adamw, got 'Adam'", std::invalid_argument);
  Graph g = build_zoo_model("fashion_cnn", 1);
  CHECK_THROWS_AS(derive_schedules(g, {}, Updates::AfterLastUse, OpKind::Relu), std::logic_error);
}

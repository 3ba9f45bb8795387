// Fine-tuning with frozen layers (planner/freeze.h): what the planner derives for a frozen
// plan, and the reviewed bytes it saves on the zoo's MobileNet v2 and ResNet-18.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "checkpoint/chain.h"
#include "checkpoint/solve.h"
#include "graph/freeze.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"
#include "memory/simulate.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

struct FrozenPlan {
  Graph derived;
  Frozen frozen;
  std::set<std::string> frozen_names;
  uint64_t frozen_bytes = 0;  // aligned, of the frozen parameters
  Planned store_all;
};

FrozenPlan plan_frozen(const std::string& model, uint32_t batch, const FreezeSpec& spec, ZooOptions zoo = {}) {
  FrozenPlan p;
  p.derived = build_zoo_model(model, batch, zoo);
  p.frozen = freeze_layers(p.derived, spec);
  for (size_t id = 0; id < p.frozen.params.size(); ++id) {  // ids before derive_schedules renumbers
    if (!p.frozen.params[id]) continue;
    p.frozen_names.insert(p.derived.tensors[id].name);
    p.frozen_bytes += aligned_bytes(p.derived.tensors[id].bytes());
  }
  derive_schedules(p.derived, p.frozen.params);
  p.store_all = plan_with_policy(p.derived, build_chain(p.derived), Policy::StoreAll, 0);
  return p;
}

std::string error_of(const std::string& model, const FreezeSpec& spec) {
  Graph g = build_zoo_model(model, 1, {64, 0});
  try {
    freeze_layers(g, spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("frozen zoo plans at batch 32 have the reviewed byte budgets") {
  // A change to these numbers is a reviewed change: say why in the commit. Store-all, in place,
  // 224x224. Frozen layers keep nothing for a backward, so the arena is the forward's peak
  // through the frozen stem (conv output + in-place BatchNorm and ReLU) plus what the trained
  // layers keep; params lose the frozen layers' momentum (reviewed). Parameter gradients live in
  // the arena, each updated right after its last use (training.h): params -33%, ResNet-18's
  // store-all arena +1.1% (the fc and layer4 gradients live at its peak) (reviewed).
  struct Pinned { const char* model; uint32_t train_last; uint64_t arena, params; };
  const Pinned pinned[] = {{"resnet18", 0, 580574784, 93554560},       // all trained
                           {"resnet18", 11, 128450688, 82423424},      // layer4 + fc
                           {"resnet18", 1, 128450688, 48848512},       // fc
                           {"mobilenet_v2", 0, 1753588032, 28175872},  // all trained
                           {"mobilenet_v2", 9, 192675968, 22824576},   // features.17 on
                           {"mobilenet_v2", 1, 192675968, 19280256}};  // classifier
  for (const Pinned& p : pinned) {
    CAPTURE(std::string(p.model));
    CAPTURE(p.train_last);
    const FrozenPlan f = plan_frozen(p.model, 32, {{}, p.train_last});
    CHECK(f.store_all.graph.arena_bytes == p.arena);
    CHECK(f.store_all.graph.params_bytes == p.params);
  }
}

TEST_CASE("frozen layers lose their gradients and momentum, and nothing else does") {
  const FrozenPlan all = plan_frozen("resnet18", 2, {}, {64, 10});
  const FrozenPlan f = plan_frozen("resnet18", 2, {{"conv1", "bn1", "layer1", "layer2"}, 0}, {64, 10});
  CHECK(f.frozen.layers == 2 + 8 + 10);  // stem, layer1 (2 blocks x 4), layer2 (8 + downsample 2)
  CHECK(f.frozen.first_trainable == "layer3.0.conv1");
  // The params block shrinks by exactly a momentum buffer per frozen parameter (gradients live in
  // the arena).
  CHECK(f.frozen_names.size() == 3 + 12 + 15);  // stem, layer1 (2 x 6), layer2 (9 + 6): weights, BN gamma and beta
  CHECK(f.store_all.graph.params_bytes == all.store_all.graph.params_bytes - f.frozen_bytes);
  CHECK(model_hash(f.derived) == model_hash(all.derived));  // the same model: its states fit

  std::set<std::string> names;
  for (const Tensor& t : f.store_all.graph.tensors) names.insert(t.name);
  for (const Tensor& t : f.derived.tensors) {
    if (t.role != Role::Param) continue;
    const bool frozen = f.frozen_names.count(t.name) != 0;
    CHECK(frozen == (t.name.rfind("layer3", 0) != 0 && t.name.rfind("layer4", 0) != 0 && t.name.rfind("fc", 0) != 0));
    CAPTURE(t.name);
    CHECK(names.count("d." + t.name) == !frozen);
    CHECK(names.count(t.name + ".velocity") == !frozen);
  }
  // Below the first trainable layer: BatchNorm in eval mode, no ReLU masks or max-pool taps,
  // and no backward op at all.
  const Graph& g = f.store_all.graph;
  int first_trainable = -1;
  for (size_t i = 0; i < g.forward.size() && first_trainable < 0; ++i) {
    if (g.forward[i].kind == OpKind::Conv2d && g.at(g.forward[i].in[1]).name == "layer3.0.conv1.weight") first_trainable = static_cast<int>(i);
  }
  REQUIRE(first_trainable > 0);
  int eval_bn = 0;
  for (int i = 0; i < first_trainable; ++i) {
    const Op& op = g.forward[static_cast<size_t>(i)];
    CHECK(op.kind != OpKind::BatchNormTrain);
    eval_bn += op.kind == OpKind::BatchNormEval;
    if (op.kind == OpKind::Relu || op.kind == OpKind::MaxPool2d || op.kind == OpKind::BatchNormEval) {
      CHECK(op.out.size() == 1);
    }
  }
  CHECK(eval_bn == 1 + 4 + 5);
  for (size_t k = g.forward.size(); k < g.train.size(); ++k) {
    CHECK((g.train[k].source < 0 || g.train[k].source >= first_trainable));  // the skip's downsample too
  }
  int sgd = 0;
  for (const Op& op : g.train) sgd += op.kind == OpKind::SgdMomentum;
  CHECK(sgd == 2 * 15 + 2);  // layer3 and layer4: 15 parameters each (9 in the downsampling block); fc 2
}

TEST_CASE("frozen plans pass the simulator under a memory budget too") {
  FrozenPlan f = plan_frozen("mobilenet_v2", 4, {{}, 20}, {96, 10});
  const Chain chain = build_chain(f.derived);
  const uint64_t store_all = f.store_all.total_bytes();
  // plan_with_policy checks every plan it returns with the simulator (throws otherwise).
  const Planned tight = least_memory_plan(f.derived, chain);
  CHECK_NOTHROW(check_plan(tight.graph));
  CHECK(tight.total_bytes() <= store_all);
  const Planned budget = plan_with_policy(f.derived, chain, Policy::Optimal, (tight.total_bytes() + store_all) / 2);
  CHECK(budget.total_bytes() <= (tight.total_bytes() + store_all) / 2);
  CHECK_NOTHROW(check_plan(budget.graph));
}

TEST_CASE("bad freeze specs are one-line errors") {
  CHECK(error_of("resnet18", {{"layer5"}, 0}) ==
        "--freeze 'layer5' matches no layer of resnet18 (close: layer1, layer2, layer3, layer4, layer1.0; "
        "plan --list-layers lists all 41)");
  // Prefixes end at a '.': layer4.0.conv is no layer's prefix, layer4.0.conv1 is its neighbour.
  CHECK(error_of("resnet18", {{"layer4.0.conv"}, 0}).find("close: layer4.0.conv1, layer4.0.conv2") != std::string::npos);
  CHECK(error_of("resnet18", {{}, 42}) == "--train-last 42: resnet18 has 41 layers with parameters");
  CHECK(error_of("resnet18", {{"conv1", "bn1", "layer", "fc"}, 0}).find("layer") != std::string::npos);
  CHECK(error_of("mobilenet_v2", {{"features", "classifier"}, 0}) ==
        "nothing left to train: every layer of mobilenet_v2 is frozen");
  CHECK(error_of("resnet18", {{"layer4"}, 0}).rfind("frozen BatchNorm 'layer4.0.bn1' lies above trainable layer 'conv1'", 0) == 0);
  CHECK(error_of("resnet18", {{"fc"}, 0}).empty());  // frozen on top of trained layers: fine
}

// Gradient checks of small models built op by op with the planner's ModelBuilder and executed by
// the runtime (host only: it links the planner). Each model isolates one kind of op so that a
// wrong gradient points at its op: strided/padded convs, depthwise convs, ReLU6, residual adds
// with fan-out, overlapping max pooling, squeeze-and-excitation gates and SiLU, ShuffleNetV2's
// channel slices and shuffles, dropout, SqueezeNet's Fire concat and ceil-mode pooling (max and
// average). Whole zoo models are too stiff for float32 finite
// differences at test sizes (their early-layer gradients differ from a float64 PyTorch run by
// ~1% in ours and ~3% in PyTorch's own float32), so they are checked for placement invariance.
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "../owned_plan.h"
#include "../test_random.h"
#include "checkpoint/chain.h"
#include "checkpoint/optimal.h"
#include "checkpoint/policies.h"
#include "checkpoint/solve.h"
#include "executor.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

// float32 forward, h = 1e-3: up to ~5e-3 absolute where a probe crosses a ReLU6 kink (BatchNorm
// over small batches is stiff); 0 failures in 150 random seeds at 8e-3.
constexpr double kGradientTolerance = 8e-3;

// Builds the model (body: input -> features), adds GAP + FC + loss, checks every weight's
// gradient at a few elements against central differences, within `tolerance` absolute and 2%.
void check_graph(Graph g, uint32_t classes, double tolerance = kGradientTolerance);

void check_model(const char* what, uint32_t image, uint32_t channels,
                 const std::function<TensorId(ModelBuilder&, TensorId)>& body,
                 double tolerance = kGradientTolerance) {
  CAPTURE(std::string(what));
  ModelBuilder b(what, 4, image, image, channels, 5);
  TensorId x = body(b, b.input());
  check_graph(b.finish(b.fc("fc", b.global_avgpool("gap", x), 5)), 5, tolerance);
}

void check_graph(Graph g, uint32_t classes, double tolerance) {
  derive_schedules(g, {}, Updates::AtStepEnd);  // gradients read after a step
  place(g);
  const OwnedPlan owned(g);

  XnnContext xnn;
  REQUIRE(xnn.init(1).is_ok());
  Executor exec;
  REQUIRE(exec.init(owned.plan, xnn, 3).is_ok());
  EDGETRAIN_SEEDED_RNG(rng);
  const std::vector<uint8_t> input = random_bytes(rng, owned.tensors[g.input].bytes);
  std::vector<int32_t> labels(g.batch);
  for (int32_t& l : labels) l = static_cast<int32_t>(rng() % classes);
  auto loss = [&] {
    std::memcpy(exec.input(), input.data(), input.size());
    std::memcpy(exec.labels(), labels.data(), labels.size() * 4);
    REQUIRE(exec.train_step({0.0f, 0.0f, 0.0f}).is_ok());
    return static_cast<double>(exec.loss());
  };
  loss();
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const Tensor& w = g.tensors[id];
    if (w.role != Role::Param) continue;
    int32_t grad = -1;
    for (size_t j = 0; j < g.tensors.size(); ++j) {
      if (g.tensors[j].name == "d." + w.name) grad = static_cast<int32_t>(j);
    }
    REQUIRE(grad >= 0);
    const std::vector<float> analytic(exec.context().f32(grad), exec.context().f32(grad) + w.bytes() / 4);
    float* v = exec.context().f32(static_cast<int32_t>(id));
    for (size_t i : {size_t{0}, analytic.size() / 2, analytic.size() - 1}) {
      const float saved = v[i], h = 1e-3f;
      v[i] = saved + h;
      const double up = loss();
      v[i] = saved - h;
      const double down = loss();
      v[i] = saved;
      const double numeric = (up - down) / (2.0 * h);
      CAPTURE(w.name);
      CAPTURE(i);
      CAPTURE(numeric);
      CHECK(std::fabs(analytic[i] - numeric) <= tolerance + 2e-2 * std::fabs(numeric));
    }
  }
}

}  // namespace

TEST_CASE("micro models: strided and padded convolutions") {
  check_model("conv_s2", 9, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("c1", x, 6, 3, 2, 1, 1, true);
    return b.conv("c2", x, 5, 1, 2, 0, 1, true);
  });
  check_model("conv_7x7_s2_p3", 12, 3, [](ModelBuilder& b, TensorId x) { return b.conv("c1", x, 4, 7, 2, 3, 1, true); });
}

TEST_CASE("micro models: depthwise convolutions") {
  check_model("depthwise_s1", 7, 6, [](ModelBuilder& b, TensorId x) { return b.conv("dw", x, 6, 3, 1, 1, 6, true); });
  check_model("depthwise_s2", 8, 6, [](ModelBuilder& b, TensorId x) { return b.conv("dw", x, 6, 3, 2, 1, 6, true); });
}

TEST_CASE("micro models: batchnorm with relu and relu6") {
  check_model("bn_relu6", 6, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("c1", x, 5, 3, 1, 1, 1, false);
    return b.relu6("r", b.batchnorm("bn", x));
  });
  check_model("bn_relu", 6, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("c1", x, 5, 3, 1, 1, 1, false);
    return b.relu("r", b.batchnorm("bn", x));
  });
}

TEST_CASE("micro models: residual add with fan-out") {
  check_model("residual", 6, 4, [](ModelBuilder& b, TensorId x) {
    const TensorId a = b.conv("c1", x, 4, 3, 1, 1, 1, true);
    const TensorId c = b.conv("c2", a, 4, 3, 1, 1, 1, true);
    return b.add("sum", a, c);  // `a` feeds c2 and the add
  });
}

TEST_CASE("micro models: overlapping max pooling") {
  check_model("maxpool_3x3_s2", 9, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("c1", x, 4, 3, 1, 1, 1, true);
    return b.maxpool("pool", x, 3, 2, 1);
  });
}

TEST_CASE("micro models: inverted residual block") {
  check_model("inverted_residual", 8, 3, [](ModelBuilder& b, TensorId x) {
    x = b.relu6("stem.relu", b.batchnorm("stem.bn", b.conv("stem", x, 4, 3, 1, 1)));
    TensorId y = b.relu6("e.relu", b.batchnorm("e.bn", b.conv("expand", x, 12, 1, 1, 0)));
    y = b.relu6("d.relu", b.batchnorm("d.bn", b.conv("dw", y, 12, 3, 1, 1, 12)));
    y = b.batchnorm("p.bn", b.conv("project", y, 4, 1, 1, 0));
    return b.add("sum", x, y);
  });
}

TEST_CASE("micro models: residual add of two branches without convs between") {
  check_model("add_after_bn", 6, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("stem", x, 4, 3, 1, 1);
    const TensorId y = b.batchnorm("bn", b.conv("c", x, 4, 3, 1, 1));
    return b.relu("r", b.add("sum", x, y));
  });
}

namespace {
// MobileNetV3's block: conv, BatchNorm, hard swish, then a squeeze-and-excitation gate (global
// average pool, 1x1 convs on the [N,1,1,C] pool as the fully connected layers, ReLU, hard
// sigmoid) multiplying the block's activation, and SiLU (exported as Sigmoid and Mul: x feeds
// both).
TensorId squeeze_excite_block(ModelBuilder& b, TensorId x) {
  x = b.hard_swish("hs", b.batchnorm("bn", b.conv("stem", x, 7, 3, 1, 1)));
  TensorId s = b.global_avgpool("se.pool", x);
  s = b.relu("se.relu", b.conv("se.fc1", s, 3, 1, 1, 0, 1, true));
  s = b.hard_sigmoid("se.gate", b.conv("se.fc2", s, 7, 1, 1, 0, 1, true), 1.0f / 6.0f, 0.5f);
  x = b.conv("c2", b.mul("se.mul", x, s), 5, 3, 1, 1, 1, true);
  return b.mul("silu", x, b.sigmoid("silu.sigmoid", x));
}

// EfficientNet's gate instead: sigmoid, and ONNX's default hard sigmoid on a same-shape product.
TensorId sigmoid_gate_block(ModelBuilder& b, TensorId x) {
  x = b.conv("stem", x, 5, 3, 1, 1, 1, true);
  const TensorId gate = b.sigmoid("se.gate", b.conv("se.fc", b.global_avgpool("se.pool", x), 5, 1, 1, 0, 1, true));
  x = b.mul("se.mul", gate, x);  // torchvision's order: scale * input
  return b.mul("hmul", b.hard_sigmoid("hs", b.conv("c2", x, 5, 1, 1, 0, 1, true), 0.2f, 0.5f), x);
}

}  // namespace

TEST_CASE("micro models: squeeze-and-excitation with hard swish, hard sigmoid and SiLU") {
  // Their gradients are ~1e-3, under the default tolerance: 3e-4 is 5 steps of the finite
  // differences' resolution (the loss's ulp / 2h = 6e-5); probes of BatchNorm's gamma across a
  // hard swish kink miss by up to 2.2e-4 (3 of 500 seeds at 1.5e-4; 0 of 1000 at 3e-4).
  check_model("squeeze_excite", 7, 3, squeeze_excite_block, 3e-4);
  check_model("sigmoid_gate", 5, 3, sigmoid_gate_block, 3e-4);
}

namespace {
// A ShuffleNetV2 unit without its concat: both halves of x sliced, each convolved to the same
// channels (BN, ReLU on one), summed; then shuffled and convolved.
TensorId split_shuffle(ModelBuilder& b, TensorId x, uint32_t groups, const std::string& unit = "") {
  x = b.relu(unit + "stem.relu", b.conv(unit + "stem", x, 8, 3, 1, 1, 1, true));
  const TensorId lo = b.conv(unit + "lo.conv", b.channel_slice(unit + "lo", x, 0, 4), 6, 3, 1, 1, 1, true);
  TensorId hi = b.conv(unit + "hi.conv", b.channel_slice(unit + "hi", x, 4, 8), 6, 1, 1, 0, 1, false);
  hi = b.relu(unit + "hi.relu", b.batchnorm(unit + "hi.bn", hi));
  const TensorId y = b.channel_shuffle(unit + "shuffle", b.add(unit + "sum", lo, hi), groups);
  return b.conv(unit + "post", y, 5, 3, 1, 1, 1, true);
}
}  // namespace

TEST_CASE("micro models: channel slices and shuffles (ShuffleNetV2's split unit)") {
  check_model("split_shuffle_g2", 7, 3, [](ModelBuilder& b, TensorId x) { return split_shuffle(b, x, 2); });
  check_model("split_shuffle_g3", 5, 3, [](ModelBuilder& b, TensorId x) { return split_shuffle(b, x, 3); });
  // One half passed on as is (the unit's identity branch), a shuffle straight after a conv, and a
  // slice of a shuffle's output off the halves.
  check_model("identity_half", 5, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("stem", x, 12, 3, 1, 1, 1, true);
    const TensorId hi = b.conv("hi.conv", b.channel_slice("hi", x, 6, 12), 6, 3, 1, 1, 1, true);
    const TensorId y = b.channel_shuffle("shuffle", b.add("sum", b.channel_slice("lo", x, 0, 6), hi), 3);
    return b.conv("post", b.channel_slice("mid", y, 1, 6), 4, 1, 1, 0, 1, true);
  });
}

TEST_CASE("micro models: dropout in the features and in the classifier head") {
  // The mask is fixed within a step (it depends on the seed, the step and the op, not on the
  // weights), so the loss is smooth in every weight and finite differences hold; each train_step
  // here is step 1. Dropped elements get no gradient, kept ones 1 / (1 - p).
  check_model("dropout_features", 6, 3, [](ModelBuilder& b, TensorId x) {
    x = b.relu("r", b.conv("c1", x, 6, 3, 1, 1, 1, true));
    return b.conv("c2", b.dropout("drop", x, 0.5f), 5, 3, 1, 1, 1, true);
  });
  // torchvision's classifier, dropout, fc, dropout, fc, on [N, features], without ReLUs: with no
  // pooling between them, a probe of c1 or fc1 crossing a ReLU's kink missed by up to 3e-2 in
  // about one seed in 30.
  ModelBuilder b("dropout_head", 4, 5, 5, 3, 5);
  TensorId x = b.conv("c1", b.input(), 4, 3, 1, 1, 1, true);
  x = b.fc("fc1", b.dropout("drop1", x, 0.3f), 12);
  check_graph(b.finish(b.fc("fc2", b.dropout("drop2", x, 0.5f), 5)), 5);
}

namespace {
// SqueezeNet's Fire module (torchvision's): a 1x1 squeeze conv and ReLU, then two expand convs
// (1x1 and 3x3, each with a ReLU) concatenated along channels.
TensorId fire(ModelBuilder& b, TensorId x, uint32_t squeeze, uint32_t expand, const std::string& name) {
  x = b.relu(name + ".squeeze.relu", b.conv(name + ".squeeze", x, squeeze, 1, 1, 0, 1, true));
  const TensorId e1 = b.relu(name + ".e1.relu", b.conv(name + ".e1", x, expand, 1, 1, 0, 1, true));
  const TensorId e3 = b.relu(name + ".e3.relu", b.conv(name + ".e3", x, expand, 3, 1, 1, 1, true));
  return b.concat(name + ".cat", {e1, e3});
}
}  // namespace

TEST_CASE("micro models: SqueezeNet's Fire concat, ceil-mode max pooling, concat of many inputs") {
  check_model("fire", 7, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("stem", x, 6, 3, 1, 1, 1, true);
    x = b.maxpool("pool", x, 3, 2, 0, true);  // 7 -> 3 (floor: 3); 6 -> 3 below (floor: 2)
    return b.conv("post", fire(b, x, 3, 4, "fire"), 5, 1, 1, 0, 1, true);
  });
  check_model("maxpool_ceil", 6, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("c1", x, 4, 3, 1, 1, 1, true);
    return b.conv("c2", b.maxpool("pool", x, 3, 2, 1, true), 4, 1, 1, 0, 1, true);  // 6 -> 4: a clipped window
  });
  // GoogLeNet-like: four branches of different widths, one of them the block's input itself, and
  // a tensor given twice (two contributions to one gradient).
  check_model("concat_many", 5, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("stem", x, 4, 3, 1, 1, 1, true);
    const TensorId a = b.conv("a", x, 3, 1, 1, 0, 1, true), c = b.conv("c", x, 2, 3, 1, 1, 1, true);
    const TensorId d = b.conv("d", b.maxpool("d.pool", x, 3, 1, 1), 1, 1, 1, 0, 1, true);
    return b.conv("post", b.concat("cat", {a, x, c, d, a}), 4, 1, 1, 0, 1, true);
  });
}

TEST_CASE("micro models: average pooling, ceil mode and count_include_pad") {
  for (const bool include_pad : {false, true}) {
    CAPTURE(include_pad);
    check_model(include_pad ? "avgpool_with_pad" : "avgpool", 7, 3, [&](ModelBuilder& b, TensorId x) {
      x = b.conv("c1", x, 4, 3, 1, 1, 1, true);
      x = b.avgpool("pool", x, 3, 2, 1, true, include_pad);  // 7 -> 4; its last windows clipped
      x = b.conv("c2", x, 5, 3, 1, 1, 1, true);
      return b.avgpool("pool2", x, 2, 2, 0, true, include_pad);  // 4 -> 2
    });
  }
  check_model("avgpool_floor", 8, 3, [](ModelBuilder& b, TensorId x) {
    x = b.conv("c1", x, 4, 3, 1, 1, 1, true);
    return b.conv("c2", b.avgpool("pool", x, 3, 2, 1, false, false), 5, 1, 1, 0, 1, true);
  });
}

namespace {
// All parameter gradients after one step of a placed plan, by name.
std::vector<std::pair<std::string, std::vector<float>>> gradients_after_one_step(const Graph& g) {
  const OwnedPlan owned(g);
  XnnContext xnn;
  REQUIRE(xnn.init(1).is_ok());
  Executor exec;
  REQUIRE(exec.init(owned.plan, xnn, 3).is_ok());
  std::mt19937 rng(1);
  const std::vector<uint8_t> input = random_bytes(rng, owned.tensors[g.input].bytes);
  std::memcpy(exec.input(), input.data(), input.size());
  for (uint32_t b = 0; b < g.batch; ++b) exec.labels()[b] = static_cast<int32_t>(b % 10);
  REQUIRE(exec.train_step({0.0f, 0.0f, 0.0f}).is_ok());
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (g.tensors[id].role != Role::ParamGrad) continue;
    const float* v = exec.context().f32(static_cast<int32_t>(id));
    out.emplace_back(g.tensors[id].name, std::vector<float>(v, v + g.tensors[id].bytes() / 4));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The same, of `g` as placed, or with every tensor on its own bytes.
std::vector<std::pair<std::string, std::vector<float>>> gradients_after_one_step(Graph g, bool no_reuse) {
  derive_schedules(g, {}, Updates::AtStepEnd);
  place(g);
  if (no_reuse) {
    uint64_t off = 0;
    for (Tensor& t : g.tensors) {
      if (t.region() != Region::Arena) continue;
      t.offset = off;
      off += aligned_bytes(t.bytes());
    }
    g.arena_bytes = off;
  }
  return gradients_after_one_step(g);
}

// Chen's sqrt(n) plan and the least-memory plan (optimal solver, `slots`) of `g` against its
// store-all plan: the same gradients after one step, bit for bit, and the least-memory plan in
// less arena. Returns how many forwards of `kinds` each of the two runs again (its '~' clones).
std::vector<int> recomputation_is_exact(Graph g, std::initializer_list<OpKind> kinds, int slots = 1000) {
  derive_schedules(g, {}, Updates::AtStepEnd);
  const Chain chain = build_chain(g);
  const Planned all = realise(g, chain, store_all(chain));
  const auto want = gradients_after_one_step(all.graph);
  REQUIRE(want.size() > 10);
  const Planned least = least_memory_plan(g, chain, slots);
  CHECK(least.graph.arena_bytes < all.graph.arena_bytes);
  std::vector<int> recomputed;
  for (const Planned& p : {realise(g, chain, chen_sqrt(chain)), least}) {
    CAPTURE(p.strategy.policy);
    CHECK(gradients_after_one_step(p.graph) == want);
    int n = 0;
    for (const Op& op : p.graph.train) {
      n += std::find(kinds.begin(), kinds.end(), op.kind) != kinds.end() &&
           p.graph.at(op.out[0]).name.find('~') != std::string::npos;
    }
    recomputed.push_back(n);
  }
  return recomputed;
}
}  // namespace

TEST_CASE("placement never changes results: reused bytes give the same gradients as private ones") {
  for (const char* m : {"mobilenet_v2", "resnet18", "mobilenet_v1"}) {
    ZooOptions o;
    o.image = 32;
    o.classes = 10;
    const auto a = gradients_after_one_step(build_zoo_model(m, 4, o), false);
    const auto b = gradients_after_one_step(build_zoo_model(m, 4, o), true);
    CAPTURE(std::string(m));
    CHECK(a == b);
  }
}

TEST_CASE("recomputation never changes results: checkpointed squeeze-and-excitation plans equal store-all bit for bit") {
  ModelBuilder b("squeeze_excite", 4, 9, 9, 3, 5);
  TensorId x = squeeze_excite_block(b, b.input());
  x = b.hard_swish("hs2", b.conv("c3", x, 6, 3, 2, 1, 1, true));
  x = sigmoid_gate_block(b, x);
  // Both plans recompute the new kinds' forwards (their clones run before the backward).
  const std::vector<int> recomputed = recomputation_is_exact(
      b.finish(b.fc("fc", b.global_avgpool("gap", x), 5)),
      {OpKind::HardSwish, OpKind::Mul, OpKind::Sigmoid, OpKind::HardSigmoid}, 40);
  CHECK(recomputed[0] > 0);
  CHECK(recomputed[1] > 0);
}

TEST_CASE("recomputation is exact: the least-memory plan of a split unit gives store-all's gradients") {
  ModelBuilder b("split_shuffle", 4, 12, 12, 3, 10);
  TensorId x = b.input();
  for (const char* unit : {"u1.", "u2.", "u3."}) x = split_shuffle(b, x, 2, unit);
  const std::vector<int> recomputed = recomputation_is_exact(b.finish(b.fc("fc", b.global_avgpool("gap", x), 10)),
                                                             {OpKind::ChannelSlice, OpKind::ChannelShuffle});
  CHECK(recomputed[1] > 0);  // channel ops run again in the least-memory plan
}

TEST_CASE("recomputation is exact: checkpointed Fire and average-pooling plans give store-all's gradients") {
  ModelBuilder b("squeeze", 4, 24, 24, 3, 10);
  TensorId x = b.relu("stem.relu", b.conv("stem", b.input(), 8, 3, 1, 1, 1, true));
  x = b.maxpool("pool1", x, 3, 2, 0, true);  // 24 -> 12 (floor: 11)
  x = fire(b, x, 4, 8, "fire2");
  x = fire(b, x, 4, 8, "fire3");
  x = b.avgpool("pool2", x, 3, 2, 1, true, false);  // 12 -> 7 (floor: 6)
  x = fire(b, x, 4, 8, "fire4");
  x = fire(b, x, 4, 8, "fire5");
  const std::vector<int> recomputed = recomputation_is_exact(b.finish(b.fc("fc", b.global_avgpool("gap", x), 10)),
                                                             {OpKind::Concat, OpKind::AvgPool2d, OpKind::MaxPool2d});
  CHECK(recomputed[1] > 0);  // concats and pools run again in the least-memory plan
}

// Gradient checks of small models built op by op with the planner's ModelBuilder and executed by
// the runtime (host only: it links the planner). Each model isolates one kind of op so that a
// wrong gradient points at its op: strided/padded convs, depthwise convs, ReLU6, residual adds
// with fan-out, overlapping max pooling, ShuffleNetV2's channel slices and shuffles. Whole zoo models are too stiff for float32 finite
// differences at test sizes (their early-layer gradients differ from a float64 PyTorch run by
// ~1% in ours and ~3% in PyTorch's own float32), so they are checked for placement invariance.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../owned_plan.h"
#include "checkpoint/chain.h"
#include "checkpoint/policies.h"
#include "checkpoint/solve.h"
#include "../test_random.h"
#include "executor.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

// Builds the model (body: input -> features), adds GAP + FC + loss, checks every weight's
// gradient at a few elements against central differences.
void check_graph(Graph g, uint32_t classes);

void check_model(const char* what, uint32_t image, uint32_t channels,
                 const std::function<TensorId(ModelBuilder&, TensorId)>& body) {
  CAPTURE(std::string(what));
  ModelBuilder b(what, 4, image, image, channels, 5);
  TensorId x = body(b, b.input());
  check_graph(b.finish(b.fc("fc", b.global_avgpool("gap", x), 5)), 5);
}

void check_graph(Graph g, uint32_t classes) {
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
      // float32 forward, h = 1e-3: up to ~5e-3 absolute where a probe crosses a ReLU6 kink
      // (BatchNorm over small batches is stiff); 0 failures in 150 random seeds at 8e-3.
      CHECK(std::fabs(analytic[i] - numeric) <= 8e-3 + 2e-2 * std::fabs(numeric));
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

namespace {
// All parameter gradients after one step of a placed `g`.
std::vector<float> gradients_of(const Graph& g) {
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
  std::vector<float> out;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (g.tensors[id].role != Role::ParamGrad) continue;
    const float* v = exec.context().f32(static_cast<int32_t>(id));
    out.insert(out.end(), v, v + g.tensors[id].bytes() / 4);
  }
  return out;
}

// ... of `g` as placed, or with every tensor on its own bytes.
std::vector<float> gradients_after_one_step(Graph g, bool no_reuse) {
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
  return gradients_of(g);
}

size_t differing(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  size_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
  return diff;
}
}  // namespace

TEST_CASE("recomputation is exact: the least-memory plan of a split unit gives store-all's gradients") {
  ModelBuilder b("split_shuffle", 4, 12, 12, 3, 10);
  TensorId x = b.input();
  for (const char* unit : {"u1.", "u2.", "u3."}) x = split_shuffle(b, x, 2, unit);
  Graph g = b.finish(b.fc("fc", b.global_avgpool("gap", x), 10));
  derive_schedules(g, {}, Updates::AtStepEnd);
  const Chain chain = build_chain(g);
  const Planned all = realise(g, chain, store_all(chain));
  const Planned least = least_memory_plan(g, chain);
  size_t recomputed = 0;  // channel ops run again in the least-memory plan
  for (const Op& op : least.graph.train) recomputed += op.kind == OpKind::ChannelSlice || op.kind == OpKind::ChannelShuffle;
  for (const Op& op : g.forward) recomputed -= op.kind == OpKind::ChannelSlice || op.kind == OpKind::ChannelShuffle;
  REQUIRE(recomputed > 0);
  CHECK(least.graph.arena_bytes < all.graph.arena_bytes);
  CHECK(differing(gradients_of(least.graph), gradients_of(all.graph)) == 0);
}

TEST_CASE("placement never changes results: reused bytes give the same gradients as private ones") {
  for (const char* m : {"mobilenet_v2", "resnet18", "mobilenet_v1"}) {
    ZooOptions o;
    o.image = 32;
    o.classes = 10;
    const auto a = gradients_after_one_step(build_zoo_model(m, 4, o), false);
    const auto b = gradients_after_one_step(build_zoo_model(m, 4, o), true);
    CAPTURE(std::string(m));
    CHECK(differing(a, b) == 0);
  }
}

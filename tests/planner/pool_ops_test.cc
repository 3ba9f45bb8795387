// Planning SqueezeNet's and GoogLeNet's ops (Concat, AvgPool2d, MaxPool2d in ceil mode): the
// builder's shapes and checks, what each backward reads (dy alone: a plan keeps nothing for
// them), that nothing is written in place, FLOPs, and model hashes: floor-mode pools keep theirs,
// each flag hashes apart.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "checkpoint/policies.h"
#include "checkpoint/solve.h"
#include "graph/model_builder.h"
#include "graph/op_rules.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "graph_lookup.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

// conv -> ceil-mode max pool -> Fire (squeeze, two expands, concat) -> ceil-mode average pool
// -> concat of the pool and a conv of it -> fc.
Graph fire_model(bool avg_ceil = true, bool include_pad = false) {
  ModelBuilder b("fire", 2, 12, 12, 3, 4);
  TensorId x = b.maxpool("pool1", b.relu("stem.relu", b.conv("stem", b.input(), 8, 3, 1, 1)), 3, 2, 0, true);
  x = b.relu("sq.relu", b.conv("sq", x, 4, 1, 1, 0));
  x = b.concat("cat", {b.conv("e1", x, 6, 1, 1, 0), b.conv("e3", x, 5, 3, 1, 1)});
  x = b.avgpool("pool2", x, 3, 2, 1, avg_ceil, include_pad);
  x = b.concat("cat2", {x, b.conv("side", x, 2, 1, 1, 0)});
  return b.finish(b.fc("fc", x, 4));
}

}  // namespace

TEST_CASE("pool and concat shapes and params as built: ceil mode, flags, channel sums") {
  ModelBuilder b("m", 2, 12, 11, 3, 4);
  const TensorId x = b.conv("c", b.input(), 6, 3, 1, 1);
  CHECK(b.shape(b.maxpool("floor", x, 3, 2, 0)) == std::vector<uint32_t>{2, 5, 5, 6});
  CHECK(b.shape(b.maxpool("ceil", x, 3, 2, 0, true)) == std::vector<uint32_t>{2, 6, 5, 6});
  CHECK(b.shape(b.avgpool("avg", x, 3, 2, 1, true, true)) == std::vector<uint32_t>{2, 7, 6, 6});
  CHECK(b.shape(b.avgpool("avg_floor", x, 3, 2, 1, false, false)) == std::vector<uint32_t>{2, 6, 6, 6});
  CHECK(b.shape(b.avgpool("avg_edge", x, 2, 2, 1, true, false)) == std::vector<uint32_t>{2, 7, 6, 6});
  const TensorId y = b.conv("c2", x, 5, 1, 1, 0);
  CHECK(b.shape(b.concat("cat", {x, y, x})) == std::vector<uint32_t>{2, 12, 11, 17});
  const Graph g = b.finish(b.fc("fc", x, 4));
  CHECK(writing(g.forward, g, "floor").params.groups == 0);  // what every plan had before the flags
  CHECK(pool_ceil_mode(writing(g.forward, g, "ceil").params));
  CHECK(!pool_count_include_pad(writing(g.forward, g, "ceil").params));
  const OpParams& avg = writing(g.forward, g, "avg").params;
  CHECK(writing(g.forward, g, "avg").kind == OpKind::AvgPool2d);
  CHECK((pool_ceil_mode(avg) && pool_count_include_pad(avg)));
  CHECK((avg.kernel_h == 3 && avg.stride_w == 2 && avg.pad_bottom == 1 && avg.pad_right == 1));
  CHECK(writing(g.forward, g, "avg").out.size() == 1);  // no taps, no mask
  const Op& cat = writing(g.forward, g, "cat");
  CHECK(cat.kind == OpKind::Concat);
  CHECK(cat.in == std::vector<TensorId>{x, y, x});
}

TEST_CASE("pool and concat arguments are refused naming the layer") {
  ModelBuilder b("m", 2, 8, 8, 3, 4);
  const TensorId x = b.conv("c", b.input(), 6, 3, 1, 1), small = b.conv("s", x, 2, 3, 2, 1);
  CHECK_THROWS_WITH(b.concat("one", {x}), "one: concat takes 2 to 5 inputs, got 1");
  CHECK_THROWS_WITH(b.concat("six", {x, x, x, x, x, x}), "six: concat takes 2 to 5 inputs, got 6");
  CHECK_THROWS_WITH(b.concat("hw", {x, small}), doctest::Contains("hw: concat's inputs must share N, H and W"));
  CHECK_THROWS_WITH(b.concat("flat", {x, b.fc("f", x, 3)}), doctest::Contains("4-D input"));
  CHECK_THROWS_WITH(b.avgpool("pad", x, 3, 2, 2, true, true), doctest::Contains("pad: padding must be at most half"));
  CHECK_THROWS_WITH(b.avgpool("big", x, 11, 1, 1, false, false), doctest::Contains("big: window larger"));
  CHECK_THROWS_WITH(b.maxpool("zero", x, 2, 0, 0, true), doctest::Contains("zero: kernel and stride"));
}

TEST_CASE("Concat's and AvgPool2d's backwards read dy alone, one ConcatBwd per input with its range") {
  Graph g = fire_model();
  derive_schedules(g);
  const TensorId dy = named(g, "d.cat");
  const Op& e1 = writing(g.train, g, "d.e1");
  const Op& e3 = writing(g.train, g, "d.e3");
  for (const Op* op : {&e1, &e3}) {
    CHECK(op->kind == OpKind::ConcatBwd);
    CHECK(op->in == std::vector<TensorId>{dy});
  }
  CHECK((channel_slice_begin(e1.params) == 0 && channel_slice_end(e1.params) == 6));
  CHECK((channel_slice_begin(e3.params) == 6 && channel_slice_end(e3.params) == 11));
  // pool2 feeds the concat and the side conv: two contributions, summed.
  const Op& pool_part = writing(g.train, g, "d.pool2@0");
  CHECK(pool_part.kind == OpKind::ConcatBwd);
  CHECK(writing(g.train, g, "d.pool2").kind == OpKind::Add);
  const Op& avg_bwd = writing(g.train, g, "d.cat");
  CHECK(avg_bwd.kind == OpKind::AvgPool2dBwd);
  CHECK(avg_bwd.in == std::vector<TensorId>{named(g, "d.pool2")});
  CHECK(avg_bwd.params.groups == writing(g.forward, g, "pool2").params.groups);
  const Op& max_bwd = writing(g.train, g, "d.stem.relu");
  CHECK(max_bwd.kind == OpKind::MaxPool2dBwd);
  CHECK(pool_ceil_mode(max_bwd.params));
  for (const Op& op : g.train) CHECK(op_flops(g, op) > 0);
  CHECK(op_flops(g, writing(g.forward, g, "pool2")) == 2.0 * 4 * 4 * 11 * 9);  // 6x6 -> 4x4 (floor: 3x3)
}

TEST_CASE("the new kinds write nothing in place, and their plans pass the simulator, checkpointed too") {
  Graph g = fire_model();
  derive_schedules(g);
  const Chain c = build_chain(g);
  for (const Strategy& s : {store_all(c), chen_sqrt(c)}) {
    const Graph p = realise(g, c, s).graph;  // in place, placed, simulated
    for (const Op& op : p.train) {
      const bool kind = op.kind == OpKind::Concat || op.kind == OpKind::ConcatBwd || op.kind == OpKind::AvgPool2d ||
                        op.kind == OpKind::AvgPool2dBwd;
      if (kind) CHECK(op.params.in_place == 0);
    }
  }
  CHECK(least_memory_plan(g, c).graph.arena_bytes > 0);
}

TEST_CASE("model hashes: floor-mode pools keep theirs, ceil mode, the divisor and concat order are structure") {
  // Of plans made before ceil mode and the new kinds: weights files saved then still fit.
  ZooOptions o;
  o.image = 32;
  o.classes = 10;
  CHECK(model_hash(build_zoo_model("resnet18", 2, o)) == 0xf90fb2409ad1f69bull);
  CHECK(model_hash(build_zoo_model("fashion_cnn", 2)) == 0xb0457022696a299bull);
  CHECK(model_hash(fire_model()) == model_hash(fire_model()));
  CHECK(model_hash(fire_model(true, false)) != model_hash(fire_model(false, false)));
  CHECK(model_hash(fire_model(true, false)) != model_hash(fire_model(true, true)));
  Graph max_as_avg = fire_model();
  for (Op& op : max_as_avg.forward) {
    if (op.kind == OpKind::MaxPool2d) op.kind = OpKind::AvgPool2d;
  }
  CHECK(model_hash(max_as_avg) != model_hash(fire_model()));
  std::vector<uint64_t> hashes;
  for (bool ceil : {false, true}) {
    ModelBuilder b("m", 1, 6, 6, 1, 2);
    Graph g = b.finish(b.fc("fc", b.maxpool("p", b.input(), 2, 2, 0, ceil), 2));
    hashes.push_back(model_hash(g));
  }
  CHECK(hashes[0] != hashes[1]);
}

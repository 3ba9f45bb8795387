// The channel ops in the planner: ModelBuilder's checks, their backward (two slices of one tensor
// write whole gradients that one Add sums), plans that pass the simulator, and the model hash,
// which spells op kinds independently of their enum position.
#include <doctest/doctest.h>

#include <string>

#include "graph/model_builder.h"
#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"
#include "memory/simulate.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

// conv -> both halves sliced (`lo` and `hi` say where each starts), each convolved to 6 channels
// -> add -> shuffle in 3 groups -> fc.
Graph split_unit(uint32_t lo_begin = 0, uint32_t hi_begin = 4) {
  ModelBuilder b("split_unit", 2, 5, 7, 3, 4);
  const TensorId x = b.conv("c1", b.input(), 8, 3, 1, 1);
  const TensorId lo = b.conv("lo.conv", b.channel_slice("lo", x, lo_begin, lo_begin + 4), 6, 1, 1, 0);
  const TensorId hi = b.conv("hi.conv", b.channel_slice("hi", x, hi_begin, hi_begin + 4), 6, 1, 1, 0);
  const TensorId y = b.channel_shuffle("shuffle", b.add("sum", lo, hi), 3);
  return b.finish(b.fc("fc", y, 4));
}

TensorId tensor_named(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    if (g.tensors[i].name == name) return static_cast<TensorId>(i);
  }
  return kNoTensor;
}

}  // namespace

TEST_CASE("channel ops: shapes and params as built") {
  ModelBuilder b("m", 2, 5, 7, 3, 4);
  const TensorId x = b.conv("c1", b.input(), 12, 3, 1, 1);
  CHECK(b.shape(b.channel_slice("s", x, 5, 12)) == std::vector<uint32_t>{2, 5, 7, 7});
  CHECK(b.shape(b.channel_shuffle("sh", x, 3)) == std::vector<uint32_t>{2, 5, 7, 12});
  const Graph g = b.finish(b.fc("fc", x, 4));
  const OpParams& slice = g.forward[2].params;
  CHECK(g.forward[2].kind == OpKind::ChannelSlice);
  CHECK(channel_slice_begin(slice) == 5);
  CHECK(channel_slice_end(slice) == 12);
  CHECK(g.forward[3].kind == OpKind::ChannelShuffle);
  CHECK(g.forward[3].params.groups == 3);
  OpParams wide{};
  set_channel_slice(wide, 70000, 4000000000u);  // past 16 bits: both halves of each field
  CHECK(channel_slice_begin(wide) == 70000);
  CHECK(channel_slice_end(wide) == 4000000000u);
}

TEST_CASE("channel ops: bad groups, ranges and ranks are refused naming the layer") {
  ModelBuilder b("m", 2, 5, 7, 3, 4);
  const TensorId x = b.conv("c1", b.input(), 12, 3, 1, 1);
  CHECK_THROWS_WITH(b.channel_shuffle("sh", x, 5), doctest::Contains("sh: groups (5) must divide the channels (12)"));
  CHECK_THROWS_WITH(b.channel_shuffle("sh", x, 0), doctest::Contains("sh: groups"));
  CHECK_THROWS_WITH(b.channel_slice("s", x, 4, 13), doctest::Contains("s: channels [4, 13)"));
  CHECK_THROWS_WITH(b.channel_slice("s", x, 4, 4), doctest::Contains("s: channels [4, 4)"));
  const TensorId flat = b.fc("fc", x, 6);
  CHECK_THROWS_WITH(b.channel_slice("s2", flat, 0, 3), doctest::Contains("4-D input"));
  CHECK_THROWS_WITH(b.channel_shuffle("sh2", flat, 3), doctest::Contains("4-D input"));
}

TEST_CASE("channel ops: two slices of one tensor write whole gradients, which one Add sums") {
  Graph g = split_unit();
  derive_schedules(g);
  const TensorId dx = tensor_named(g, "d.c1");
  REQUIRE(dx != kNoTensor);
  int slice_bwd = 0, shuffle_bwd = 0, sums_into_dx = 0;
  for (size_t k = g.forward.size(); k < g.train.size(); ++k) {
    const Op& op = g.train[k];
    if (op.kind == OpKind::ChannelSliceBwd) {
      ++slice_bwd;
      CHECK(g.at(op.out[0]).shape == g.at(tensor_named(g, "c1")).shape);  // the whole of x
      CHECK(g.at(op.in[0]).shape[3] == 4);
      CHECK(channel_slice_end(op.params) - channel_slice_begin(op.params) == 4);
    }
    if (op.kind == OpKind::ChannelShuffleBwd) {
      ++shuffle_bwd;
      CHECK(op.params.groups == 3);
    }
    if (op.kind == OpKind::Add && op.out[0] == dx) {
      ++sums_into_dx;
      for (TensorId part : op.in) CHECK(g.at(part).name.rfind("d.c1@", 0) == 0);
    }
  }
  CHECK(slice_bwd == 2);
  CHECK(shuffle_bwd == 1);
  CHECK(sums_into_dx == 1);
  place(g);
  CHECK_NOTHROW(check_plan(g));
}

TEST_CASE("the model hash: existing models keep theirs, slice ranges and shuffle groups are structure") {
  // Of plans made before the channel kinds moved Add and SoftmaxCrossEntropy in the enum: weights
  // files saved then still fit.
  ZooOptions o;
  o.image = 32;
  o.classes = 10;
  CHECK(model_hash(build_zoo_model("resnet18", 2, o)) == 0xf90fb2409ad1f69bull);
  CHECK(model_hash(build_zoo_model("mobilenet_v2", 2, o)) == 0x0c2dc68b6d6bbc6bull);
  CHECK(model_hash(build_zoo_model("fashion_cnn", 2)) == 0xb0457022696a299bull);
  CHECK(model_hash(split_unit()) == model_hash(split_unit(0, 4)));
  CHECK(model_hash(split_unit()) != model_hash(split_unit(4, 0)));
  Graph other_groups = split_unit();
  for (Op& op : other_groups.forward) {
    if (op.kind == OpKind::ChannelShuffle) op.params.groups = 2;
  }
  CHECK(model_hash(split_unit()) != model_hash(other_groups));
}

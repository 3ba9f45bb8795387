// Planning MobileNetV3's ops (Sigmoid, HardSigmoid, HardSwish, Mul): what each backward reads
// (so what a plan keeps), which writes go in place, the builder's checks, and the model hash of
// models without them unchanged since before they existed.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

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

// conv -> hard swish -> squeeze-and-excitation (pool, 1x1 conv, hard sigmoid) -> product ->
// SiLU (sigmoid and product) -> fc; and the image times a gate of its own pool, whose product's
// backward wants only the gate's gradient.
Graph se_model() {
  ModelBuilder b("se", 2, 5, 7, 3, 4);
  const TensorId image_gate = b.sigmoid("ig", b.conv("igc", b.global_avgpool("ip", b.input()), 3, 1, 1, 0, 1, true));
  TensorId x = b.mul("im", b.input(), image_gate);
  x = b.hard_swish("hs", b.conv("c1", x, 6, 3, 1, 1));
  const TensorId gate = b.hard_sigmoid("gate", b.conv("fc1", b.global_avgpool("pool", x), 6, 1, 1, 0, 1, true), 0.2f, 0.5f);
  x = b.conv("c2", b.mul("se", x, gate), 5, 1, 1, 0);
  x = b.mul("silu", x, b.sigmoid("silu.s", x));
  Graph g = b.finish(b.fc("fc", x, 4));
  derive_schedules(g);
  return g;
}


}  // namespace

TEST_CASE("the activations' backward reads y (Sigmoid, HardSigmoid) or x (HardSwish), Mul's each side only for the other") {
  const Graph g = se_model();
  const Op& sigmoid_bwd = writing(g.train, g, "d.c2@1");  // SiLU's second contribution to d.c2
  CHECK(sigmoid_bwd.kind == OpKind::SigmoidBwd);
  CHECK(sigmoid_bwd.in[slot::SigmoidBwd::y] == named(g, "silu.s"));
  CHECK(sigmoid_bwd.in[slot::SigmoidBwd::dy] == named(g, "d.silu.s"));
  const Op& gate_bwd = writing(g.train, g, "d.fc1");
  CHECK(gate_bwd.kind == OpKind::HardSigmoidBwd);
  CHECK(gate_bwd.in[slot::HardSigmoidBwd::y] == named(g, "gate"));
  CHECK(hard_sigmoid_alpha(gate_bwd.params) == 0.2f);
  CHECK(hard_sigmoid_beta(writing(g.forward, g, "gate").params) == 0.5f);
  const Op& hs_bwd = writing(g.train, g, "d.c1");
  CHECK(hs_bwd.kind == OpKind::HardSwishBwd);
  CHECK(hs_bwd.in[slot::HardSwishBwd::x] == named(g, "c1"));
  // SiLU: x feeds the sigmoid and the product; its gradient sums both.
  const Op& silu_bwd = writing(g.train, g, "d.silu.s", slot::MulBwd::db);
  CHECK(silu_bwd.kind == OpKind::MulBwd);
  CHECK(g.at(silu_bwd.out[slot::MulBwd::da]).name == "d.c2@0");
  CHECK(writing(g.train, g, "d.c2").kind == OpKind::Add);
  // The gate's product: both gradients, db summed over pixels into the gate's shape.
  const Op& se_bwd = writing(g.train, g, "d.gate", slot::MulBwd::db);
  CHECK(se_bwd.in[slot::MulBwd::a] == named(g, "hs"));
  CHECK(se_bwd.in[slot::MulBwd::b] == named(g, "gate"));
  CHECK(g.at(se_bwd.out[slot::MulBwd::db]).shape == std::vector<uint32_t>{2, 1, 1, 6});
  // The image needs no gradient: its product's backward reads the image for db only.
  const Op& image_bwd = writing(g.train, g, "d.ig", slot::MulBwd::db);
  CHECK(image_bwd.out[slot::MulBwd::da] == kNoTensor);
  CHECK(image_bwd.in[slot::MulBwd::a] == named(g, "input.normalized"));
  CHECK(image_bwd.in[slot::MulBwd::b] == kNoTensor);
  for (const Op& op : g.train) CHECK(op_flops(g, op) > 0);
}

TEST_CASE("sigmoids write over their input and their gradients over dy, hard swish and Mul never") {
  Graph g = se_model();
  const Chain c = build_chain(g);
  const Graph p = realise(g, c, store_all(c)).graph;  // in place, placed, simulated
  CHECK(writing(p.train, p, "gate").params.in_place == 1);  // over fc1, which nothing else reads
  CHECK(writing(p.eval, p, "gate").params.in_place == 1);
  CHECK(writing(p.train, p, "silu.s").params.in_place == 0);  // c2 is read by the product after it
  CHECK(writing(p.train, p, "d.fc1").params.in_place == 2);   // dx over dy
  CHECK(writing(p.train, p, "d.c2@1").params.in_place == 2);
  for (const Op& op : p.train) {
    if (op.kind == OpKind::HardSwish || op.kind == OpKind::Mul || op.kind == OpKind::MulBwd) CHECK(op.params.in_place == 0);
  }
}

TEST_CASE("model hashes: models of the first kinds keep theirs, each new kind hashes apart") {
  // fashion_cnn's hash from before Sigmoid, HardSigmoid, HardSwish and Mul were inserted into
  // OpKind (renumbering SoftmaxCrossEntropy): its weights and state files still fit.
  CHECK(model_hash(build_zoo_model("fashion_cnn", 4)) == 0xb0457022696a299bull);
  std::vector<uint64_t> hashes;
  for (OpKind kind : {OpKind::Relu, OpKind::Sigmoid, OpKind::HardSigmoid, OpKind::HardSwish}) {
    ModelBuilder b("m", 1, 4, 4, 1, 2);
    Graph g = b.finish(b.fc("fc", b.relu("a", b.input()), 2));
    g.forward[1].kind = kind;
    hashes.push_back(model_hash(g));
  }
  for (size_t i = 0; i < hashes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) CHECK(hashes[i] != hashes[j]);
  }
}

TEST_CASE("mul takes same shapes or a [N,1,1,C] gate in either order, hard_sigmoid finite alpha and beta") {
  ModelBuilder b("m", 2, 5, 7, 3, 2);
  const TensorId x = b.input(), pooled = b.global_avgpool("p", x);
  CHECK_NOTHROW(b.mul("same", x, x));
  CHECK(b.shape(b.mul("gated", x, pooled)) == std::vector<uint32_t>{2, 5, 7, 3});
  CHECK(b.shape(b.mul("scale_first", pooled, x)) == std::vector<uint32_t>{2, 5, 7, 3});
  const Graph g = b.finish(b.fc("fc", b.mul("sum", b.mul("g1", x, pooled), b.mul("g2", pooled, x)), 2));
  CHECK(writing(g.forward, g, "scale_first").in == std::vector<TensorId>{x, pooled});  // slot a: the full tensor
  ModelBuilder e("m", 2, 5, 7, 3, 2);
  const TensorId p = e.global_avgpool("p", e.input());
  CHECK_THROWS_WITH(e.mul("wide", e.input(), e.conv("c", p, 4, 1, 1, 0)),
                    "wide: mul takes two inputs of one shape, or [N, H, W, C] and [N, 1, 1, C], got [2, 5, 7, 3] and "
                    "[2, 1, 1, 4]");
  CHECK_THROWS_WITH(e.mul("rows", e.fc("f", p, 3), p),
                    "rows: mul takes two inputs of one shape, or [N, H, W, C] and [N, 1, 1, C], got [2, 3] and [2, 1, 1, 3]");
  CHECK_THROWS_WITH(e.hard_sigmoid("h", p, NAN, 0.5f), "h: hard_sigmoid's alpha and beta must be finite");
  CHECK_THROWS_WITH(e.hard_sigmoid("h", p, 0.2f, INFINITY), "h: hard_sigmoid's alpha and beta must be finite");
  CHECK_THROWS_WITH(e.sigmoid("s", 99), doctest::Contains("does not exist"));
}

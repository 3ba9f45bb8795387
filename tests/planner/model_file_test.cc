#include <doctest/doctest.h>

#include <string>

#include "checkpoint/solve.h"
#include "graph/training.h"
#include "graph_lookup.h"
#include "import/model_file.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using edgetrain::test::named;
using edgetrain::test::writing;

namespace {

const char* kTiny = R"({
  "name": "tiny",
  "input": [8, 8, 1],
  "classes": 3,
  "layers": [
    {"name": "c1", "type": "conv", "out": 4, "kernel": 3},
    {"name": "bn", "type": "batchnorm"},
    {"name": "r", "type": "relu"},
    {"name": "c2", "type": "conv", "out": 4, "kernel": 3},
    {"name": "sum", "type": "add", "inputs": ["c2", "r"]},
    {"name": "pool", "type": "maxpool", "kernel": 2},
    {"name": "fc", "type": "fc", "out": 3}
  ]
})";

std::string error_of(const std::string& text) {
  try {
    parse_model_file(text, "m.json", 2);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a hand-written JSON model with a residual edge plans and checks") {
  Graph g = parse_model_file(kTiny, "m.json", 2);
  CHECK(g.model == "tiny");
  CHECK(g.forward.size() == 9);  // the input's Normalize, 7 layers and the loss
  CHECK(g.at(g.logits).shape == std::vector<uint32_t>{2, 3});
  derive_schedules(g);
  const Chain c = build_chain(g);
  CHECK_NOTHROW(plan_with_policy(g, c, Policy::Optimal, 0));
}

TEST_CASE("model file errors name the line and the problem") {
  std::string bad = kTiny;
  bad.replace(bad.find("\"maxpool\""), 9, "\"conv3d\"");
  CHECK(error_of(bad) == "m.json:11: unknown layer type 'conv3d' (known: conv, batchnorm, relu, "
                         "relu6, add, maxpool, sigmoid, hard_sigmoid, hard_swish, mul, channel_shuffle, "
                         "channel_slice, avgpool, concat, dropout, global_avgpool, fc)");
  bad = kTiny;
  bad.replace(bad.find("[\"c2\", \"r\"]"), 11, "[\"c2\", \"zz\"]");
  CHECK(error_of(bad) == "m.json:10: layer 'sum' reads 'zz', which no earlier layer is");
  CHECK(error_of("{\"name\": \"x\",\n\"input\": [8, 8],\n\"classes\": 2, \"layers\": []}") ==
        "m.json:2: \"input\" must be [height, width, channels]");
  CHECK(error_of("{\"name\": \"x\",\n\"input\": [8, 8, 1]\n\"classes\": 2}") == "m.json:3: expected ',' or '}'");
  CHECK(error_of("") == "m.json:1: unexpected end of file");
  bad = kTiny;
  bad.replace(bad.find("\"out\": 3"), 8, "\"out\": 5");
  CHECK(error_of(bad).find("m.json:12: the last layer must output [batch, classes]") == 0);
  bad = kTiny;
  bad.replace(bad.find("\"out\": 4, \"kernel\": 3"), 21, "\"out\": 4, \"kernel\": 31, \"pad\": 0");
  CHECK(error_of(bad) == "m.json:6: c1: kernel larger than the padded input");
}

TEST_CASE("JSON layers for MobileNetV3 and ShuffleNetV2 blocks: gates, hard activations, channel ops") {
  const char* kBlocks = R"({
    "name": "blocks",
    "input": [8, 8, 3],
    "classes": 3,
    "layers": [
      {"name": "c1", "type": "conv", "out": 8, "kernel": 3},
      {"name": "bn", "type": "batchnorm", "eps": 0.001, "momentum": 0.01},
      {"name": "hs", "type": "hard_swish"},
      {"name": "se_pool", "type": "global_avgpool"},
      {"name": "se_gate", "type": "hard_sigmoid", "alpha": 0.1666667, "beta": 0.5},
      {"name": "se", "type": "mul", "inputs": ["hs", "se_gate"]},
      {"name": "left", "type": "channel_slice", "begin": 0, "end": 4, "inputs": ["se"]},
      {"name": "right", "type": "channel_slice", "begin": 4, "end": 8, "inputs": ["se"]},
      {"name": "sig", "type": "sigmoid", "inputs": ["right"]},
      {"name": "silu", "type": "mul", "inputs": ["right", "sig"]},
      {"name": "join", "type": "add", "inputs": ["left", "silu"]},
      {"name": "shuffle", "type": "channel_shuffle", "groups": 2},
      {"name": "fc", "type": "fc", "out": 3}
    ]
  })";
  Graph g = parse_model_file(kBlocks, "m.json", 2);
  CHECK(g.forward.size() == 15);
  const auto kind_of = [&](const std::string& name) { return writing(g.forward, g, name).kind; };
  CHECK(kind_of("hs") == OpKind::HardSwish);
  CHECK(kind_of("se_gate") == OpKind::HardSigmoid);
  CHECK(kind_of("se") == OpKind::Mul);
  CHECK(kind_of("left") == OpKind::ChannelSlice);
  CHECK(kind_of("sig") == OpKind::Sigmoid);
  CHECK(kind_of("shuffle") == OpKind::ChannelShuffle);
  for (const Op& op : g.forward) {
    if (op.kind == OpKind::BatchNormTrain) {
      CHECK(op.params.eps == 0.001f);
      CHECK(op.params.momentum == 0.01f);
    }
  }
  derive_schedules(g);
  CHECK_NOTHROW(plan_with_policy(g, build_chain(g), Policy::Optimal, 0));

  std::string bad = kBlocks;
  bad.replace(bad.find("\"groups\": 2"), 11, "\"groups\": 3");
  CHECK(error_of(bad) == "m.json:17: shuffle: groups (3) must divide the channels (4)");
  bad = kBlocks;
  bad.replace(bad.find("\"alpha\": 0.1666667"), 18, "\"alpha\": \"x\"");
  CHECK(error_of(bad) == "m.json:10: layer 'se_gate': \"alpha\" must be a finite number");
}

TEST_CASE("JSON layers for SqueezeNet and GoogLeNet blocks: concat, average and ceil-mode pooling, dropout") {
  const char* kFire = R"({
    "name": "fire",
    "input": [9, 9, 3],
    "classes": 3,
    "layers": [
      {"name": "stem", "type": "conv", "out": 4, "kernel": 3, "bias": true},
      {"name": "pool", "type": "maxpool", "kernel": 3, "stride": 2, "ceil_mode": true},
      {"name": "e1", "type": "conv", "out": 3, "kernel": 1},
      {"name": "e3", "type": "conv", "out": 5, "kernel": 3, "inputs": ["pool"]},
      {"name": "avg", "type": "avgpool", "kernel": 3, "stride": 1, "pad": 1, "count_include_pad": true, "inputs": ["pool"]},
      {"name": "cat", "type": "concat", "inputs": ["e1", "e3", "avg"]},
      {"name": "drop", "type": "dropout", "p": 0.25},
      {"name": "avg2", "type": "avgpool", "kernel": 2, "ceil_mode": true},
      {"name": "fc", "type": "fc", "out": 3}
    ]
  })";
  Graph g = parse_model_file(kFire, "m.json", 2);
  CHECK(g.at(named(g, "pool")).shape == std::vector<uint32_t>{2, 4, 4, 4});  // ceil((9 - 3) / 2) + 1
  CHECK(g.at(named(g, "cat")).shape == std::vector<uint32_t>{2, 4, 4, 12});
  CHECK(g.at(named(g, "avg2")).shape == std::vector<uint32_t>{2, 2, 2, 12});
  const Op& avg = writing(g.forward, g, "avg");
  CHECK(avg.kind == OpKind::AvgPool2d);
  CHECK(pool_count_include_pad(avg.params));
  CHECK_FALSE(pool_ceil_mode(avg.params));
  CHECK(pool_ceil_mode(writing(g.forward, g, "avg2").params));
  CHECK_FALSE(pool_count_include_pad(writing(g.forward, g, "avg2").params));
  CHECK(writing(g.forward, g, "cat").in.size() == 3);
  CHECK(writing(g.forward, g, "drop").kind == OpKind::Dropout);
  CHECK(dropout_ratio(writing(g.forward, g, "drop").params) == 0.25f);
  derive_schedules(g);
  CHECK_NOTHROW(plan_with_policy(g, build_chain(g), Policy::Optimal, 0));

  std::string bad = kFire;
  const std::string three = "[\"e1\", \"e3\", \"avg\"]";
  bad.replace(bad.find(three), three.size(), "[\"e1\"]");
  CHECK(error_of(bad) == "m.json:11: layer 'cat' (concat) takes 2 to 5 inputs, got 1");
  bad = kFire;
  bad.replace(bad.find("\"ceil_mode\": true"), 17, "\"ceil_mode\": 1");
  CHECK(error_of(bad) == "m.json:7: layer 'pool': \"ceil_mode\" must be true or false");
  bad = kFire;
  bad.replace(bad.find("\"p\": 0.25"), 9, "\"p\": 1");
  CHECK(error_of(bad).find("m.json:12: drop: ") == 0);
}

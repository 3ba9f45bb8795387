// Round trip: import -> train N steps through the runtime -> save the state (runtime writer) ->
// export into the ONNX file -> read the export back with our importer: the initializers must
// equal the trained state bit for bit, the graph must be the same model (same hash). The onnx
// package's checker is not a test-time dependency; make_onnx_goldens.py runs it on its exports.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <stdexcept>

#include "../test_random.h"
#include "import/onnx_weights.h"
#include "onnx_test_util.h"
#include "state_file.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

std::string temp_path(const std::string& name) {
  return "/tmp/edgetrain-onnx-test-" + std::to_string(::getpid()) + "-" + name;
}

void round_trip(const std::string& model, uint32_t steps) {
  CAPTURE(model);
  const PlannedOnnx p(model + ".onnx", 2);
  OnnxRunner r(p.graph);
  REQUIRE(r.load(make_state_file(p.graph, p.model)).is_ok());
  Executor& exec = r.exec;
  const OwnedPlan& owned = r.owned;
  TrainPosition& pos = r.position;
  EDGETRAIN_SEEDED_RNG(rng);
  for (uint32_t s = 0; s < steps; ++s) {
    const std::vector<uint8_t> image = random_bytes(rng, r.input_bytes());
    std::memcpy(exec.input(), image.data(), image.size());
    for (uint32_t b = 0; b < p.graph.batch; ++b) exec.labels()[b] = static_cast<int32_t>(rng() % 10);
    REQUIRE(exec.train_step({0.05f, 0.9f, 5e-4f}).is_ok());
  }
  pos.step = steps;
  const std::string state_path = temp_path(model + ".state"), out_path = temp_path(model + ".onnx");
  REQUIRE(save_state(state_path.c_str(), owned.plan, exec.params(), pos).is_ok());
  export_onnx_weights(onnx_path(model + ".onnx"), state_path, out_path);

  const OnnxModel back = load_onnx(out_path, 2);
  std::remove(state_path.c_str());
  std::remove(out_path.c_str());
  CHECK(model_hash(back.graph) == model_hash(p.graph));
  REQUIRE(back.bindings.size() == p.model.bindings.size());
  size_t changed = 0;
  for (const OnnxBinding& b : back.bindings) {
    CAPTURE(b.tensor);
    CHECK(!b.initializer.empty());  // a trained bias the source lacked is now in the file
    const std::vector<float>& exported = back.weights.at(b.tensor);
    const float* trained = exec.context().f32(p.id(b.tensor));
    REQUIRE(exported.size() * 4 == owned.tensors[static_cast<size_t>(p.id(b.tensor))].bytes);
    CHECK(std::memcmp(exported.data(), trained, exported.size() * 4) == 0);
    changed += exported != p.model.weights.at(b.tensor);
  }
  CHECK(changed == back.bindings.size());  // training moved every weight and statistic
}

}  // namespace

TEST_CASE("onnx round trip: ResNet-style model, 3 steps, exported initializers equal the state") {
  round_trip("resnet_tiny", 3);
}
TEST_CASE("onnx round trip: MobileNetV2-style model, 3 steps") { round_trip("mobilenet_v2_tiny", 3); }
TEST_CASE("onnx round trip: a MatMul without bias becomes a Gemm with the trained bias") { round_trip("plain_cnn", 2); }

TEST_CASE("onnx round trip: the planner's state reader refuses another model's state") {
  const PlannedOnnx a("resnet_tiny.onnx", 2), b("mobilenet_v2_tiny.onnx", 2);
  const std::string state = make_state_file(a.graph, a.model);
  CHECK(parse_state_file(state, "s", a.graph).size() > 0);
  CHECK_THROWS_WITH_AS(parse_state_file(state, "s", b.graph), doctest::Contains("saved for another model"), std::invalid_argument);
  std::string damaged = state;
  damaged[100] ^= 1;
  CHECK_THROWS_WITH_AS(parse_state_file(damaged, "s", a.graph), doctest::Contains("checksum"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_state_file(state.substr(0, 20), "s", a.graph), doctest::Contains("truncated"), std::invalid_argument);
}

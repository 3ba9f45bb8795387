// The C++ API over the runtime tests' default plans (fashion_cnn at batches 4 and 8, each update
// right after its gradient's last use): which gradients a caller can read after a step.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "edgetrain/session.h"

using namespace edgetrain;

TEST_CASE("session: a gradient whose memory the step reuses is an error naming --keep-gradients") {
  SessionOptions options;
  options.threads = 1;
  std::unique_ptr<Session> s;
  REQUIRE(Session::open("fashion_cnn", options, &s).is_ok());
  CHECK(s->batch() == 8);  // batch 0: the largest baked plan that fits
  const std::vector<uint8_t> images(8 * s->image_bytes(), 77);
  const std::vector<int32_t> labels(8, 2);
  float loss = 0;
  REQUIRE(s->train_step(images.data(), labels.data(), StepSettings{}, &loss).is_ok());
  uint32_t readable = 0, reused = 0;
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
                           "fc.weight", "fc.bias"}) {
    TensorView g;
    const Status st = s->gradient(name, &g);
    if (st.is_ok()) {
      ++readable;
    } else {
      ++reused;
      CHECK(std::string(st.message()) == std::string("the gradient of '") + name +
                                             "' is overwritten later in plan 'fashion_cnn''s step (its memory is "
                                             "reused after the update): plan with --keep-gradients to read gradients");
    }
  }
  CHECK(reused > 0);
  CHECK(readable + reused == 8);
}

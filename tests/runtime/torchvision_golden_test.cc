// One training step of a torchvision model, imported from its ONNX training export
// (tests/golden/onnx/torchvision/, export_torchvision.py) and baked into this binary by the
// planner, against PyTorch's float64 step (make_torchvision_goldens.py): the loss, every
// parameter's gradient, every parameter after SGD with momentum and weight decay, and every
// BatchNorm running statistic within 1e-4 of PyTorch's, relative to the tensor's largest value.
// Built once per model, in both builds (under QEMU in the pi3 build: the NEON kernels), through
// the C++ API only: Session::load_weights of the planner's initial state, train_step,
// gradient(), parameter().
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "../kernels/golden.h"
#include "edgetrain/session.h"

using namespace edgetrain;
using namespace edgetrain::test;

TEST_CASE("torchvision " EDGETRAIN_TV_MODEL ": one SGD step from the ONNX file's weights equals PyTorch's") {
  const std::string model = EDGETRAIN_TV_MODEL;
  const Goldens& gold = Goldens::file(EDGETRAIN_TV_GOLDENS);
  REQUIRE_MESSAGE(gold.ok(), gold.error());
  const std::vector<float>& labels_f = gold.at(model + "/labels");
  std::unique_ptr<Session> s;
  SessionOptions options;
  options.batch = static_cast<uint32_t>(labels_f.size());
  options.threads = 2;
  Status st = Session::open(nullptr, options, &s);
  REQUIRE_MESSAGE(st.is_ok(), std::string(st.message()));
  CHECK(s->classes() == 10);  // also where the logits are a global pool's [N, 1, 1, 10] (SqueezeNet)
  st = s->load_weights(EDGETRAIN_TV_STATE);
  REQUIRE_MESSAGE(st.is_ok(), std::string(st.message()));

  const std::vector<float>& bytes = gold.at(model + "/input_u8");
  REQUIRE(bytes.size() == s->batch() * s->image_bytes());
  std::vector<uint8_t> images(bytes.begin(), bytes.end());
  std::vector<int32_t> labels(labels_f.begin(), labels_f.end());
  StepSettings settings;
  settings.lr = 0.05f;
  settings.momentum = 0.9f;
  settings.weight_decay = 1e-4f;
  float loss = 0;
  st = s->train_step(images.data(), labels.data(), settings, &loss);
  REQUIRE_MESSAGE(st.is_ok(), std::string(st.message()));
  const double loss_err = std::fabs(loss - gold.at(model + "/loss")[0]);
  CHECK(loss_err <= 1e-5);

  double worst[3] = {0, 0, 0};
  size_t counts[3] = {0, 0, 0};
  const char* kinds[3] = {"grad", "after", "running"};
  for (int k = 0; k < 3; ++k) {
    for (const std::string& name : gold.cases(model + "/" + kinds[k])) {
      const std::vector<float>& ref = gold.at(model + "/" + kinds[k] + "/" + name);
      TensorView v;
      st = k == 0 ? s->gradient(name.c_str(), &v) : s->parameter(name.c_str(), &v);
      REQUIRE_MESSAGE(st.is_ok(), name << ": " << std::string(st.message()));
      REQUIRE_MESSAGE(v.elements == ref.size(), name);
      const double w = compare_to_pytorch(std::string(kinds[k]) + " " + name, v.data, ref, 1e-4);
      if (w > 1e-4) {  // passed on compare_to_pytorch's 1e-6 absolute floor: say so
        double max_ref = 0;
        for (float r : ref) max_ref = std::max(max_ref, static_cast<double>(std::fabs(r)));
        MESSAGE(kinds[k] << " " << name << ": relative " << w << " of max |PyTorch| " << max_ref << ", within 1e-6 absolute");
      }
      worst[k] = std::max(worst[k], w);
      ++counts[k];
    }
  }
  CHECK(counts[0] > 0);
  CHECK(counts[0] == counts[1]);
  MESSAGE(model << ": loss |err| " << loss_err << "; " << counts[0] << " gradients (worst " << worst[0]
                << "), parameters after the step (worst " << worst[1] << "), " << counts[2]
                << " running statistics (worst " << worst[2] << ")");
}

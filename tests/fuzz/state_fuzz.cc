// Fuzz target for the training-state parser, against a small two-tensor plan defined here.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "state_file.h"

namespace {

using namespace edgetrain;

// A weight [2,3] (saved) and its gradient (not saved), then a velocity [4] (saved).
const TensorDesc kTensors[] = {
    {"w", Region::Params, DType::F32, Init::UniformFanIn, 2, {2, 3, 1, 1}, 3, 0, 24},
    {"dw", Region::Params, DType::F32, Init::None, 2, {2, 3, 1, 1}, 0, 64, 24},
    {"v", Region::Params, DType::F32, Init::Zeros, 1, {4, 1, 1, 1}, 0, 128, 16},
};
const Plan kPlan = {kPlanMagic, kPlanVersion, "fuzz", 0x1234, 1, 0, 0, 192, kTensors, 3,
                    nullptr, 0, nullptr, 0, -1, -1, -1, -1, 0};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<unsigned char> params(kPlan.params_bytes, 0xAA);
  const std::vector<unsigned char> before = params;
  TrainPosition position;
  const Status s = parse_state("fuzz", data, size, kPlan, params.data(), &position);
  // A refused file leaves the parameters untouched; an accepted one writes only saved tensors.
  if (!s.is_ok() && params != before) __builtin_trap();
  for (size_t i = 64; i < 88; ++i) {
    if (params[i] != 0xAA) __builtin_trap();
  }
  return 0;
}

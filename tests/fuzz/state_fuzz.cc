// Fuzz target for the training-state parser, against a small two-tensor plan defined here.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <zlib.h>

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

void check(const uint8_t* data, size_t size) {
  std::vector<unsigned char> params(kPlan.params_bytes, 0xAA);
  const std::vector<unsigned char> before = params;
  TrainPosition position;
  const Status s = parse_state("fuzz", data, size, kPlan, params.data(), &position);
  // A refused file leaves the parameters untouched; an accepted one writes only saved tensors.
  if (!s.is_ok() && params != before) __builtin_trap();
  for (size_t i = 64; i < 88; ++i) {
    if (params[i] != 0xAA) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  // A mutation almost never keeps the trailing CRC-32 right, so every input would stop at the
  // checksum: each one runs again with its CRC recomputed, to fuzz what the parser does after it.
  if (size >= sizeof(uint32_t)) {
    std::vector<uint8_t> fixed(data, data + size);
    const size_t body = size - sizeof(uint32_t);
    const auto crc = static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), fixed.data(), body));
    std::memcpy(fixed.data() + body, &crc, sizeof crc);
    check(fixed.data(), fixed.size());
  }
  return 0;
}

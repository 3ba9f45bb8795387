// The training state file's on-disk layout: written and read by the runtime (state_file.h) and
// by the planner's ONNX weight import/export (planner/onnx_weights.h), so it is a contract like
// plan_format.h. Little-endian: header, payload (the persistent params tensors in id order),
// u32 CRC-32 of everything before it.
#pragma once

#include <cstdint>

#include "plan_format.h"

namespace edgetrain {

inline constexpr char kStateMagic[8] = {'E', 'T', 'S', 'T', 'A', 'T', 'E', '1'};
inline constexpr uint32_t kStateVersion = 1;

struct StateHeader {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t model_hash;
  uint64_t step;
  uint32_t epoch;
  uint32_t cursor;
  uint64_t payload_bytes;
};
static_assert(sizeof(StateHeader) == 48, "the on-disk header has no padding");

// Which params tensors the payload holds: those with an Init (weights, momentum, BatchNorm
// running statistics), not the gradients, which every step rewrites.
inline constexpr bool saved_in_state(Region region, Init init) {
  return region == Region::Params && init != Init::None;
}

}  // namespace edgetrain

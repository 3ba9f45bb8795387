// Training state on disk: the persistent part of the params block (weights, optimizer state,
// BatchNorm running statistics: the Params tensors that have an Init) plus the position in
// training, so a resumed run continues bit for bit.
//
// Layout (little-endian): "ETSTATE1", u32 version, u32 0, u64 model hash, u64 step, u32 epoch,
// u32 cursor, u64 payload bytes, payload (tensors in id order), u32 CRC-32 of all before it.
// Saves are atomic: a temporary file is written and fsync'ed, then renamed over the old one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "plan_format.h"
#include "status.h"

namespace edgetrain {

struct TrainPosition {
  uint64_t step = 0;    // steps completed
  uint32_t epoch = 0;   // of the shuffled training order
  uint32_t cursor = 0;  // next image within the epoch's order
};

// Bytes of the persistent params tensors, as saved.
uint64_t state_payload_bytes(const Plan& plan);

// Refuses a path the atomic save cannot replace: one that exists and is not a regular file
// (/dev/null, a pipe), which the rename would swap for a file. save_state checks it too.
Status check_save_path(const char* path);

Status save_state(const char* path, const Plan& plan, const unsigned char* params,
                  const TrainPosition& position);

// Verifies everything before touching `params`: on any error they are unchanged.
Status load_state(const char* path, const Plan& plan, unsigned char* params, TrainPosition* position);

// The same check and restore from bytes in memory (`name` is for messages).
Status parse_state(const char* name, const uint8_t* data, size_t size, const Plan& plan,
                   unsigned char* params, TrainPosition* position);

}  // namespace edgetrain

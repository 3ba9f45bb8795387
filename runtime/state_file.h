// Training state on disk: the persistent part of the params block (weights, optimizer state,
// BatchNorm running statistics: the Params tensors that have an Init) plus the position in
// training, so a resumed run continues bit for bit.
//
// Layout (little-endian): "ETSTATE1", u32 version, u32 0, u64 model hash, u64 step, u32 epoch,
// u32 cursor, u64 payload bytes, payload (tensors in id order), u32 CRC-32 of all before it.
// Saves are atomic: a temporary file of a fresh name (<path>.tmp.XXXXXX, created with O_EXCL and
// O_NOFOLLOW, so a planted file or symlink is never written through) is written and fsync'ed,
// then renamed over the old one, and the directory fsync'ed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "plan_format.h"
#include "edgetrain/status.h"

namespace edgetrain {

struct TrainPosition {
  uint64_t step = 0;    // steps completed
  uint32_t epoch = 0;   // of the shuffled training order
  uint32_t cursor = 0;  // next image within the epoch's order
};

// Bytes of the persistent params tensors, as saved.
uint64_t state_payload_bytes(const Plan& plan);

// Refuses a path the atomic save cannot replace: one that exists and is not a regular file
// (a directory, /dev/null, a pipe: the rename would fail or swap it for a file), or one whose
// directory does not exist or is not writable. The trainer checks it before any work;
// save_state checks it too.
Status check_save_path(const char* path);

// The temporary's name for `nonce`: <path>.tmp.XXXXXX (six characters [A-Za-z0-9]).
std::string state_temp_name(const char* path, uint64_t nonce);

// temp_nonce picks the first temporary name tried (each taken name moves to the next nonce);
// 0: a random one. Tests pass their own to plant files where the save will look.
Status save_state(const char* path, const Plan& plan, const unsigned char* params,
                  const TrainPosition& position, uint64_t temp_nonce = 0);

// Verifies everything (reading the file once for its checksum, then once more into `params`,
// so no buffer of the state's size is needed) before touching `params`: on any error they are
// unchanged, unless the file is rewritten in place between the two reads (saves never do: they
// rename a new file over it) and the second read fails.
Status load_state(const char* path, const Plan& plan, unsigned char* params, TrainPosition* position);

// For --init-state: load_state's checks, then only the weights and BatchNorm running statistics
// are kept; the optimizer state (SGD's velocities, Adam's moments) is zeroed and the saved
// position ignored, so training starts at step 0 as from fresh weights.
Status load_initial_state(const char* path, const Plan& plan, unsigned char* params);

// The same check and restore from bytes in memory (`name` is for messages).
Status parse_state(const char* name, const uint8_t* data, size_t size, const Plan& plan,
                   unsigned char* params, TrainPosition* position);

}  // namespace edgetrain

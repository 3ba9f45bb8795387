// The batch one step ahead: a loader thread fills the next batch (copied, generated, or read and
// decoded from image files, resized and cropped) into a staging buffer while the current step
// runs; take() copies it into the executor's input. Every buffer is sized once in init() from the
// set (ImageSet::max_file_bytes, ...), so steady-state steps allocate nothing, and
// buffer_bytes() tells the trainer what to add to the plan's predicted peak.
//
// A file that fails to read or decode is reported once (one warning line naming it) and its slot
// takes the next readable image of the set, with that image's label: a pure function of the
// files, so runs and resumed runs stay bit-identical.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "image_decode.h"
#include "image_set.h"
#include "edgetrain/status.h"

namespace edgetrain {

class BatchLoader {
 public:
  BatchLoader() = default;
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // `augment`: random crops and mirrors of image files (image_resample.h), drawn from the key
  // passed to submit(); otherwise center crops.
  Status init(const ImageSet& data, uint32_t batch, bool augment, FILE* warnings = stderr);

  // Starts filling the next batch with the images at `indices` (batch of them, copied).
  void submit(const uint32_t* indices, uint64_t key);
  // Waits for the submitted batch, then writes its pixels to `input` and labels to `labels`.
  Status take(uint8_t* input, int32_t* labels);

  uint32_t damaged() const;  // files found unreadable so far
  uint64_t buffer_bytes() const { return buffer_bytes_; }
  // What init() allocates for `data` at `batch`: the trainer adds it to the plan's predicted peak.
  static uint64_t buffer_bytes(const ImageSet& data, uint32_t batch);

 private:
  enum class State { Idle, Pending, Done, Quit };
  void run();
  Status fill();
  Status load_file(uint32_t i, uint64_t key, uint8_t* dst);

  const ImageSet* data_ = nullptr;
  uint32_t batch_ = 0;
  bool augment_ = false;
  FILE* warnings_ = stderr;
  std::vector<uint32_t> indices_;
  uint64_t key_ = 0;
  std::vector<uint8_t> pixels_;  // batch x image_bytes
  std::vector<int32_t> labels_;
  std::vector<uint8_t> file_, decoded_;
  std::vector<float> scratch_;
  std::vector<uint8_t> bad_;  // per image: 1 once it failed
  uint32_t damaged_ = 0;
  uint64_t buffer_bytes_ = 0;
  ImageDecoder decoder_;
  Status result_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::Idle;
  std::thread thread_;
};

}  // namespace edgetrain

// Data for a Session: what edgetrain-train's --data DIR reads (IDX files, CIFAR-10's binary
// batches, or a folder of JPEG/PNG images, DIR/<class>/*.jpg, with DIR/train and DIR/val or a
// tenth of each class held out), opened for the session's input and read a batch at a time.
// Image files are decoded, resized on the shorter side and cropped to the input as they are read
// (random crops and mirrors with `augment`, drawn from the key passed to read()); only the file
// list is held, and the buffers are sized once at open(). An unreadable file is named on stderr
// once and its slot takes the next readable image.
#pragma once

#include <cstdint>
#include <memory>

#include "edgetrain/session.h"
#include "edgetrain/status.h"

namespace edgetrain {

enum class Split { Train, Test };  // Test: the test files, or an image folder's validation images

class DataSet {
 public:
  static Status open(const char* dir, const Session& session, bool augment, std::unique_ptr<DataSet>* out);
  ~DataSet();
  DataSet(const DataSet&) = delete;
  DataSet& operator=(const DataSet&) = delete;

  uint32_t count(Split split) const;
  uint32_t classes() const;
  const char* class_name(uint32_t label) const;  // the sub-folder's name; "" for other formats
  uint32_t skipped_files() const;                // unreadable image files found so far

  // Reads the images at `indices` (the session's batch() of them, each below count(split)) into
  // `images` (batch x H x W x C bytes, Session::train_step's input) and their labels. `key`
  // draws the augmentation of a training batch: the same key, the same crops.
  Status read(Split split, const uint32_t* indices, uint64_t key, uint8_t* images, int32_t* labels);

 private:
  struct Impl;
  explicit DataSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetrain

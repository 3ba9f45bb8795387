// Which data a run trains on, from --data DIR (or --synthetic N): the one entry point the
// trainer (and an app) opens data sets through. DIR holds
//   IDX files (train-images-idx3-ubyte.gz, ...: MNIST, Fashion-MNIST; any channel count),
//   CIFAR-10's binary batches (data_batch_1.bin ..., test_batch.bin), or
//   an image folder (DIR/<class>/*.jpg, runtime/image_folder.h),
// told apart by the files present. Each gives a training and a test (or validation) set of the
// plan's input shape.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "image_set.h"
#include "plan_format.h"
#include "edgetrain/status.h"

namespace edgetrain {

enum class DataKind { Idx, Cifar10, ImageFolder, Synthetic };

struct DataSets {
  DataKind kind = DataKind::Idx;
  ImageSet train, test;
  uint32_t skipped = 0;  // image files whose header could not be read (warned about)
};

const char* data_kind_name(DataKind kind);

// What a model takes: images of height x width x channels, labels below `classes`.
struct InputShape {
  uint32_t height = 0, width = 0, channels = 0, classes = 0;
};
InputShape input_shape(const Plan& plan);

// Opens DIR for that input, or N synthetic images when synthetic > 0. Warnings go to `warnings`.
Status open_data(const std::string& dir, uint32_t synthetic, const InputShape& in, FILE* warnings, DataSets* out);

// That `model`'s input (`in`) is [N, height, width, channels] of the data and the data is not empty.
Status check_data_fits(const char* model, const InputShape& in, const ImageSet& data);
// Both sets of `data` (opened from `dir`) fit, and augmentation is asked only of image files.
Status check_data_sets(const char* model, const InputShape& in, const DataSets& data, bool augment,
                       const std::string& dir);

}  // namespace edgetrain

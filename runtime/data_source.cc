#include "data_source.h"

#include <sys/stat.h>

#include "cifar_dataset.h"
#include "idx_dataset.h"
#include "image_folder.h"

namespace edgetrain {

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

const char* data_kind_name(DataKind kind) {
  switch (kind) {
    case DataKind::Idx: return "IDX files";
    case DataKind::Cifar10: return "CIFAR-10 batches";
    case DataKind::ImageFolder: return "image folder";
    case DataKind::Synthetic: return "synthetic images";
  }
  return "?";
}

InputShape input_shape(const Plan& plan) {
  const uint32_t* in = plan.tensors[plan.input].shape;
  return InputShape{in[1], in[2], in[3], logit_classes(plan.tensors[plan.logits])};
}

Status open_data(const std::string& dir, uint32_t synthetic, const InputShape& in, FILE* warnings, DataSets* out) {
  const uint32_t classes = in.classes;
  if (synthetic > 0) {
    out->kind = DataKind::Synthetic;
    out->train = synthetic_image_set(synthetic, in.height, in.width, in.channels, classes, 1);
    out->test = synthetic_image_set(synthetic, in.height, in.width, in.channels, classes, 2);
    return Status::ok();
  }
  if (!exists(dir)) {
    return Status::error(StatusCode::IoError, "data folder '%s' does not exist (install Debian's "
                         "dataset-fashion-mnist for the default, or pass --data DIR)", dir.c_str());
  }
  if (exists(dir + "/train-images-idx3-ubyte.gz")) {
    out->kind = DataKind::Idx;
    EDGETRAIN_RETURN_IF_ERROR(load_image_set(dir, "train", classes, &out->train));
    return load_image_set(dir, "t10k", classes, &out->test);
  }
  if (is_cifar10_dir(dir)) {
    out->kind = DataKind::Cifar10;
    EDGETRAIN_RETURN_IF_ERROR(load_cifar10(dir, true, classes, &out->train));
    return load_cifar10(dir, false, classes, &out->test);
  }
  out->kind = DataKind::ImageFolder;
  FolderOptions options;
  options.height = in.height, options.width = in.width, options.channels = in.channels;
  options.classes = classes;
  options.warnings = warnings;
  return load_image_folder(dir, options, &out->train, &out->test, &out->skipped);
}

Status check_data_fits(const char* model, const InputShape& in, const ImageSet& data) {
  if (in.height != data.height || in.width != data.width || in.channels != data.channels) {
    return Status::error(StatusCode::InvalidArgument, "plan '%s' takes %ux%ux%u images but the data has %ux%ux%u",
                         model, in.height, in.width, in.channels, data.height, data.width, data.channels);
  }
  if (data.count == 0) return Status::error(StatusCode::BadData, "the data set is empty");
  return Status::ok();
}

Status check_data_sets(const char* model, const InputShape& in, const DataSets& data, bool augment,
                       const std::string& dir) {
  if (augment && data.kind != DataKind::ImageFolder) {
    return Status::error(StatusCode::InvalidArgument, "--augment crops and mirrors image files; '%s' holds %s",
                         dir.c_str(), data_kind_name(data.kind));
  }
  EDGETRAIN_RETURN_IF_ERROR(check_data_fits(model, in, data.train));
  return check_data_fits(model, in, data.test);
}

}  // namespace edgetrain

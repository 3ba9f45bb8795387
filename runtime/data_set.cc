// The C++ API's DataSet (edgetrain/data_set.h): data_source's sets behind one BatchLoader each,
// used synchronously (submit, then take) so the caller decides what runs beside a step.
#include "edgetrain/data_set.h"

#include <cstdio>

#include "batch_loader.h"
#include "data_source.h"

namespace edgetrain {

struct DataSet::Impl {
  DataSets sets;
  BatchLoader train, test;
  uint32_t batch = 0, classes = 0;

  const ImageSet& set(Split split) const { return split == Split::Train ? sets.train : sets.test; }
};

DataSet::DataSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataSet::~DataSet() = default;

Status DataSet::open(const char* dir, const Session& session, bool augment, std::unique_ptr<DataSet>* out) {
  auto impl = std::make_unique<Impl>();
  const InputShape in{session.height(), session.width(), session.channels(), session.classes()};
  EDGETRAIN_RETURN_IF_ERROR(open_data(dir, 0, in, stderr, &impl->sets));
  EDGETRAIN_RETURN_IF_ERROR(check_data_sets(session.model(), in, impl->sets, augment, dir));
  impl->batch = session.batch();
  impl->classes = in.classes;
  EDGETRAIN_RETURN_IF_ERROR(impl->train.init(impl->sets.train, impl->batch, augment));
  EDGETRAIN_RETURN_IF_ERROR(impl->test.init(impl->sets.test, impl->batch, false));
  out->reset(new DataSet(std::move(impl)));
  return Status::ok();
}

uint32_t DataSet::count(Split split) const { return impl_->set(split).count; }
uint32_t DataSet::classes() const { return impl_->classes; }

const char* DataSet::class_name(uint32_t label) const {
  const auto& names = impl_->sets.train.class_names;
  return label < names.size() ? names[label].c_str() : "";
}

uint32_t DataSet::skipped_files() const {
  return impl_->sets.skipped + impl_->train.damaged() + impl_->test.damaged();
}

Status DataSet::read(Split split, const uint32_t* indices, uint64_t key, uint8_t* images, int32_t* labels) {
  if (indices == nullptr || images == nullptr || labels == nullptr) {
    return Status::error(StatusCode::InvalidArgument, "the indices, images and labels must not be null");
  }
  const uint32_t n = count(split);
  for (uint32_t i = 0; i < impl_->batch; ++i) {
    if (indices[i] >= n) {
      return Status::error(StatusCode::InvalidArgument, "index %u (entry %u of the batch) is past the %u images of "
                           "the %s set", indices[i], i, n, split == Split::Train ? "training" : "test");
    }
  }
  BatchLoader& loader = split == Split::Train ? impl_->train : impl_->test;
  loader.submit(indices, key);
  return loader.take(images, labels);
}

}  // namespace edgetrain

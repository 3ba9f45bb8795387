#include "batch_loader.h"

#include <cerrno>
#include <cstring>

#include "image_resample.h"
#include "kernels/splitmix.h"

namespace edgetrain {

namespace {

// Reads the whole file into `buf` (its capacity set at init); the size in *size.
Status read_file(const char* path, std::vector<uint8_t>& buf, size_t* size) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return Status::error(StatusCode::IoError, "cannot open image '%s': %s", path, std::strerror(errno));
  const size_t n = std::fread(buf.data(), 1, buf.size(), f);
  const bool longer = n == buf.size() && std::fgetc(f) != EOF;
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::error(StatusCode::IoError, "cannot read image '%s'", path);
  if (longer) {
    return Status::error(StatusCode::BadData, "image '%s' grew past the %zu bytes it had when listed", path,
                         buf.size());
  }
  *size = n;
  return Status::ok();
}

}  // namespace

BatchLoader::~BatchLoader() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state_ = State::Quit;
  }
  changed_.notify_all();
  thread_.join();
}

Status BatchLoader::init(const ImageSet& data, uint32_t batch, bool augment, FILE* warnings) {
  data_ = &data;
  batch_ = batch;
  augment_ = augment;
  warnings_ = warnings;
  indices_.assign(batch, 0);
  pixels_.assign(size_t{batch} * data.image_bytes(), 0);
  labels_.assign(batch, 0);
  if (data.from_files()) {
    file_.assign(data.max_file_bytes, 0);
    decoded_.assign(data.max_decoded_bytes, 0);
    scratch_.assign(data.max_resample_floats, 0.0f);
    bad_.assign(data.count, 0);
  }
  buffer_bytes_ = buffer_bytes(data, batch);
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

uint64_t BatchLoader::buffer_bytes(const ImageSet& data, uint32_t batch) {
  uint64_t bytes = uint64_t{batch} * (data.image_bytes() + 4 + 4);  // pixels, labels, indices
  if (data.from_files()) {
    bytes += data.max_file_bytes + data.max_decoded_bytes + 4 * data.max_resample_floats + data.count;
  }
  return bytes;
}

void BatchLoader::submit(const uint32_t* indices, uint64_t key) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::memcpy(indices_.data(), indices, 4 * size_t{batch_});
    key_ = key;
    state_ = State::Pending;
  }
  changed_.notify_all();
}

Status BatchLoader::take(uint8_t* input, int32_t* labels) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return state_ == State::Done; });
  state_ = State::Idle;
  EDGETRAIN_RETURN_IF_ERROR(result_);
  std::memcpy(input, pixels_.data(), pixels_.size());
  std::memcpy(labels, labels_.data(), 4 * labels_.size());
  return Status::ok();
}

uint32_t BatchLoader::damaged() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return damaged_;
}

void BatchLoader::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return state_ == State::Pending || state_ == State::Quit; });
      if (state_ == State::Quit) return;
    }
    // The buffers are the loader's until it reports Done: the trainer waits in take().
    const Status s = fill();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = s;
      if (state_ != State::Quit) state_ = State::Done;
    }
    changed_.notify_all();
  }
}

Status BatchLoader::fill() {
  const ImageSet& data = *data_;
  const size_t bytes = data.image_bytes();
  for (uint32_t b = 0; b < batch_; ++b) {
    uint8_t* dst = pixels_.data() + b * bytes;
    uint32_t i = indices_[b];
    if (!data.from_files()) {
      data.copy_image(i, dst);
      labels_[b] = static_cast<int32_t>(data.label(i));
      continue;
    }
    const uint64_t key = splitmix_mix(key_ ^ splitmix_mix(b + 1));
    for (uint32_t tried = 0;; ++tried, i = (i + 1) % data.count) {
      if (tried == data.count) {
        return Status::error(StatusCode::BadData, "none of the %u images could be decoded (see the warnings)",
                             data.count);
      }
      if (bad_[i]) continue;
      const Status s = load_file(i, key, dst);
      if (s.is_ok()) break;
      bad_[i] = 1;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++damaged_;
      }
      std::fprintf(warnings_, "edgetrain-train: warning: %s; skipped (its slot takes the next image)\n",
                   s.message());
    }
    labels_[b] = data.labels[i];
  }
  return Status::ok();
}

Status BatchLoader::load_file(uint32_t i, uint64_t key, uint8_t* dst) {
  const ImageSet& data = *data_;
  const char* path = data.paths[i].c_str();
  size_t size = 0;
  EDGETRAIN_RETURN_IF_ERROR(read_file(path, file_, &size));
  uint32_t w = 0, h = 0;
  EDGETRAIN_RETURN_IF_ERROR(read_image_size(path, file_.data(), size, &w, &h));
  const CropWindow window = augment_ ? random_window(w, h, data.width, data.height, key)
                                     : center_window(w, h, data.width, data.height);
  uint32_t need_w = 0, need_h = 0, dw = 0, dh = 0;
  covering_size(w, h, window, &need_w, &need_h);
  EDGETRAIN_RETURN_IF_ERROR(decoder_.decode(path, file_.data(), size, data.channels, need_w, need_h,
                                            decoded_.data(), decoded_.size(), &dw, &dh));
  if (resample_scratch_floats(dh, data.width, data.channels) > scratch_.size()) {
    return Status::error(StatusCode::BadData, "image '%s' changed since it was listed", path);
  }
  resample(decoded_.data(), dw, dh, data.channels, rescale_window(window, w, dw), dst, data.width, data.height,
           scratch_.data());
  return Status::ok();
}

}  // namespace edgetrain

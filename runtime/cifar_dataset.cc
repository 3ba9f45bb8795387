#include "cifar_dataset.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace edgetrain {

namespace {

constexpr uint32_t kSide = 32, kChannels = 3;
constexpr size_t kPlane = size_t{kSide} * kSide;
constexpr size_t kImageBytes = kPlane * kChannels;
constexpr size_t kRecordBytes = 1 + kImageBytes;  // the label byte first
// 768 KB a read: large enough for stdio to stream, small next to the set it fills.
constexpr size_t kChunkRecords = 256;
constexpr int kTrainBatches = 5;
constexpr const char* kSubfolder = "cifar-10-batches-bin";
constexpr const char* kFix = "re-download and unpack cifar-10-binary.tar.gz";

struct File {
  FILE* f;
  ~File() { if (f) std::fclose(f); }
};

bool is_file(const std::string& path, size_t* size = nullptr) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (size) *size = static_cast<size_t>(st.st_size);
  return true;
}

Status check_size(const char* name, size_t size) {
  if (size % kRecordBytes != 0) {
    return Status::error(StatusCode::BadData, "data file '%s' is truncated or not CIFAR-10 binary: %zu bytes "
                         "is not a multiple of %zu-byte records: %s", name, size, kRecordBytes, kFix);
  }
  if (size == 0) {
    return Status::error(StatusCode::BadData, "data file '%s' is empty, no CIFAR-10 records: %s", name, kFix);
  }
  return Status::ok();
}

// `records` whole records starting at record `first` of the file `name`. Labels are checked
// before anything is appended, so that a refused chunk leaves `out` as it was.
Status append_records(const char* name, const uint8_t* bytes, size_t records, size_t first,
                      uint32_t classes, ImageSet* out) {
  for (size_t r = 0; r < records; ++r) {
    const uint8_t label = bytes[r * kRecordBytes];
    if (label >= classes) {
      return Status::error(StatusCode::BadData, "data file '%s': label %u of record %zu is not below %u "
                           "classes: %s", name, label, first + r, classes, kFix);
    }
  }
  if (records > UINT32_MAX - out->count) {
    return Status::error(StatusCode::BadData, "data file '%s' holds more than %u images", name, UINT32_MAX);
  }
  const size_t at = out->pixels.size();
  out->pixels.resize(at + records * kImageBytes);
  for (size_t r = 0; r < records; ++r) {
    const uint8_t* planes = bytes + r * kRecordBytes + 1;
    uint8_t* dst = out->pixels.data() + at + r * kImageBytes;
    for (size_t c = 0; c < kChannels; ++c) {
      const uint8_t* src = planes + c * kPlane;
      for (size_t p = 0; p < kPlane; ++p) dst[p * kChannels + c] = src[p];
    }
    out->labels.push_back(bytes[r * kRecordBytes]);
  }
  out->count += static_cast<uint32_t>(records);
  return Status::ok();
}

Status check_appendable(const char* name, const ImageSet& set) {
  if (set.generated || (set.count != 0 && (set.height != kSide || set.width != kSide ||
                                           set.channels != kChannels))) {
    return Status::error(StatusCode::InvalidArgument, "cannot append '%s' (32x32x3 CIFAR-10 images) to a "
                         "set of %ux%ux%u%s images", name, set.height, set.width, set.channels,
                         set.generated ? " generated" : "");
  }
  return Status::ok();
}

// Streams one file's records onto `out`.
Status read_file(const std::string& path, uint32_t classes, std::vector<uint8_t>* chunk, ImageSet* out) {
  const char* name = path.c_str();
  File file{std::fopen(name, "rb")};
  struct stat st;
  if (!file.f || fstat(fileno(file.f), &st) != 0) {
    return Status::error(StatusCode::IoError, "cannot open data file '%s': %s (%s)", name,
                         std::strerror(errno), kFix);
  }
  const size_t size = static_cast<size_t>(st.st_size);
  EDGETRAIN_RETURN_IF_ERROR(check_size(name, size));
  const size_t records = size / kRecordBytes;
  chunk->resize(kChunkRecords * kRecordBytes);
  for (size_t done = 0; done < records;) {
    const size_t n = records - done < kChunkRecords ? records - done : kChunkRecords;
    const size_t got = std::fread(chunk->data(), 1, n * kRecordBytes, file.f);
    if (got != n * kRecordBytes) {
      const bool failed = std::ferror(file.f);
      return Status::error(StatusCode::IoError, "data file '%s': read %zu of its %zu bytes (%s)", name,
                           done * kRecordBytes + got, size,
                           failed ? std::strerror(errno) : "it shrank while being read");
    }
    EDGETRAIN_RETURN_IF_ERROR(append_records(name, chunk->data(), n, done, classes, out));
    done += n;
  }
  return Status::ok();
}

// The folder that holds `file`: `dir` itself, else the tarball's subfolder; empty if neither.
std::string folder_with(const std::string& dir, const char* file) {
  if (is_file(dir + "/" + file)) return dir;
  const std::string sub = dir + "/" + kSubfolder;
  return is_file(sub + "/" + file) ? sub : std::string();
}

}  // namespace

Status parse_cifar10(const char* name, const uint8_t* bytes, size_t size, uint32_t classes,
                     ImageSet* out) {
  EDGETRAIN_RETURN_IF_ERROR(check_appendable(name, *out));
  EDGETRAIN_RETURN_IF_ERROR(check_size(name, size));
  EDGETRAIN_RETURN_IF_ERROR(append_records(name, bytes, size / kRecordBytes, 0, classes, out));
  out->height = out->width = kSide;
  out->channels = kChannels;
  return Status::ok();
}

Status load_cifar10(const std::string& dir, bool train, uint32_t classes, ImageSet* out) {
  const char* first = train ? "data_batch_1.bin" : "test_batch.bin";
  const std::string folder = folder_with(dir, first);
  if (folder.empty()) {
    return Status::error(StatusCode::IoError, "no CIFAR-10 %s data: neither '%s/%s' nor '%s/%s/%s' exists "
                         "(unpack cifar-10-binary.tar.gz there, or pass another --data DIR)",
                         train ? "training" : "test", dir.c_str(), first, dir.c_str(), kSubfolder, first);
  }
  std::vector<std::string> paths;
  if (train) {
    for (int b = 1; b <= kTrainBatches; ++b) {
      const std::string path = folder + "/data_batch_" + std::to_string(b) + ".bin";
      if (b == 1 || is_file(path)) paths.push_back(path);
    }
  } else {
    paths.push_back(folder + "/" + first);
  }
  // Reserved from the files' sizes: growing a 150 MB vector by doubling would peak at twice that.
  size_t records = 0;
  for (const std::string& path : paths) {
    size_t size = 0;
    if (is_file(path, &size)) records += size / kRecordBytes;
  }
  ImageSet set;
  set.height = set.width = kSide;
  set.channels = kChannels;
  set.pixels.reserve(records * kImageBytes);
  set.labels.reserve(records);
  std::vector<uint8_t> chunk;
  for (const std::string& path : paths) {
    EDGETRAIN_RETURN_IF_ERROR(read_file(path, classes, &chunk, &set));
  }
  *out = std::move(set);
  return Status::ok();
}

bool is_cifar10_dir(const std::string& dir) {
  return !folder_with(dir, "data_batch_1.bin").empty() || !folder_with(dir, "test_batch.bin").empty();
}

}  // namespace edgetrain

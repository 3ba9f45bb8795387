#include "idx_dataset.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace edgetrain {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kImagesMagic4 = 0x00000804;  // unsigned byte, 4 dimensions: NHWC
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr uint32_t kMaxDimension = 1u << 24;
constexpr uint32_t kMaxChannels = 4;  // gray, gray+alpha, RGB, RGBA: what an image file can hold

struct GzFile {
  gzFile f;
  ~GzFile() { if (f) gzclose(f); }
};

// gzerror's text without the "<path>: " it starts with (the error line names the file already).
const char* gz_reason(gzFile f, const std::string& path, int* code) {
  const char* why = gzerror(f, code);
  if (std::strncmp(why, path.c_str(), path.size()) == 0 && std::strncmp(why + path.size(), ": ", 2) == 0) {
    why += path.size() + 2;
  }
  return why;
}

uint32_t big_endian(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

constexpr const char* kFix = "re-download it, or reinstall Debian's dataset-fashion-mnist";

// Reads the whole (decompressed) file. gzread reports a stream cut short (a lost trailer, so
// no CRC check) as a plain end of file; only gzerror afterwards tells it from a clean end.
Status read_all(const std::string& path, std::vector<uint8_t>* out) {
  GzFile file{gzopen(path.c_str(), "rb")};
  if (!file.f) {
    return Status::error(StatusCode::IoError, "cannot open data file '%s': %s (install Debian's "
                         "dataset-fashion-mnist or pass --data DIR)", path.c_str(), std::strerror(errno));
  }
  out->clear();
  uint8_t chunk[1 << 16];
  for (;;) {
    const int n = gzread(file.f, chunk, sizeof chunk);
    if (n < 0) {
      int code = 0;
      const char* why = gz_reason(file.f, path, &code);
      return Status::error(StatusCode::BadData, "data file '%s' is corrupt (%s): %s", path.c_str(),
                           code == Z_ERRNO ? std::strerror(errno) : why, kFix);
    }
    if (n == 0) break;
    out->insert(out->end(), chunk, chunk + n);
  }
  int code = Z_OK;
  const char* why = gz_reason(file.f, path, &code);
  if (code != Z_OK) {
    return Status::error(StatusCode::BadData, "data file '%s' is %s (%s after %zu bytes): %s", path.c_str(),
                         code == Z_BUF_ERROR ? "truncated" : "corrupt", why, out->size(), kFix);
  }
  return Status::ok();
}

// Checks the header and returns the payload size the header promises.
Status parse_header(const char* path, const std::vector<uint8_t>& data, uint32_t magic,
                    uint32_t dims, uint32_t* shape) {
  const size_t header = 4 + 4 * size_t{dims};
  if (data.size() < header) {
    return Status::error(StatusCode::BadData, "data file '%s' is truncated: %zu bytes, no IDX header: %s",
                         path, data.size(), kFix);
  }
  if (big_endian(data.data()) != magic) {
    if (magic == kLabelsMagic) {
      return Status::error(StatusCode::BadData, "data file '%s' has magic 0x%08x, expected 0x%08x (IDX labels)",
                           path, big_endian(data.data()), magic);
    }
    return Status::error(StatusCode::BadData, "data file '%s' has magic 0x%08x, expected 0x%08x (IDX images) "
                         "or 0x%08x (IDX images with channels)", path, big_endian(data.data()),
                         kImagesMagic, kImagesMagic4);
  }
  uint64_t payload = 1;
  for (uint32_t i = 0; i < dims; ++i) {
    shape[i] = big_endian(data.data() + 4 + 4 * i);
    // Checked before the size: a channel count we cannot train on is the error worth naming.
    if (magic == kImagesMagic4 && i == 3 && (shape[i] == 0 || shape[i] > kMaxChannels)) {
      return Status::error(StatusCode::BadData, "data file '%s' has %u channels per pixel (its 4th IDX "
                           "dimension), not 1 to %u: write it with 1 (gray), 3 (RGB) or 4 (RGBA)",
                           path, shape[i], kMaxChannels);
    }
    if (shape[i] == 0 || shape[i] > kMaxDimension) {
      return Status::error(StatusCode::BadData, "data file '%s' has dimension %u = %u", path, i, shape[i]);
    }
    // Dimensions < 2^24: at most 2^72 bytes, so saturate instead of wrapping.
    if (__builtin_mul_overflow(payload, shape[i], &payload)) payload = UINT64_MAX - header;
  }
  if (data.size() != header + payload) {
    return Status::error(StatusCode::BadData, "data file '%s' is %s: %zu bytes, its IDX header promises %llu: %s",
                         path, data.size() < header + payload ? "truncated" : "too long",
                         data.size(), static_cast<unsigned long long>(header + payload), kFix);
  }
  return Status::ok();
}

}  // namespace

Status parse_idx_pair(const char* images_name, std::vector<uint8_t> images,
                      const char* labels_name, std::vector<uint8_t> labels,
                      uint32_t classes, ImageSet* out) {
  // The 4-dimension form adds channels (NHWC); the 3-dimension one is one channel, as MNIST's.
  const bool has_channels = images.size() >= 4 && big_endian(images.data()) == kImagesMagic4;
  const uint32_t idims = has_channels ? 4 : 3;
  uint32_t ishape[4] = {0, 0, 0, 1}, lshape[1] = {};
  EDGETRAIN_RETURN_IF_ERROR(parse_header(images_name, images, has_channels ? kImagesMagic4 : kImagesMagic,
                                         idims, ishape));
  EDGETRAIN_RETURN_IF_ERROR(parse_header(labels_name, labels, kLabelsMagic, 1, lshape));
  if (ishape[0] != lshape[0]) {
    return Status::error(StatusCode::BadData, "'%s' holds %u images but '%s' %u labels",
                         images_name, ishape[0], labels_name, lshape[0]);
  }
  for (size_t i = 8; i < labels.size(); ++i) {
    if (labels[i] >= classes) {
      return Status::error(StatusCode::BadData, "data file '%s': label %u at index %zu is not below %u classes",
                           labels_name, labels[i], i - 8, classes);
    }
  }
  out->count = ishape[0];
  out->height = ishape[1];
  out->width = ishape[2];
  images.erase(images.begin(), images.begin() + 4 + 4 * idims);
  labels.erase(labels.begin(), labels.begin() + 8);
  out->channels = ishape[3];
  out->pixels = std::move(images);
  out->labels = std::move(labels);
  return Status::ok();
}

Status load_idx_pair(const std::string& images_path, const std::string& labels_path,
                     uint32_t classes, ImageSet* out) {
  std::vector<uint8_t> images, labels;
  EDGETRAIN_RETURN_IF_ERROR(read_all(images_path, &images));
  EDGETRAIN_RETURN_IF_ERROR(read_all(labels_path, &labels));
  return parse_idx_pair(images_path.c_str(), std::move(images), labels_path.c_str(), std::move(labels),
                        classes, out);
}

Status load_image_set(const std::string& dir, const std::string& prefix, uint32_t classes,
                      ImageSet* out) {
  return load_idx_pair(dir + "/" + prefix + "-images-idx3-ubyte.gz",
                       dir + "/" + prefix + "-labels-idx1-ubyte.gz", classes, out);
}

}  // namespace edgetrain

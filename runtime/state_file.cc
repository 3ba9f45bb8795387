#include "state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <libgen.h>
#include <string>

#include "kernels/splitmix.h"
#include "state_format.h"

namespace edgetrain {

namespace {

bool persistent(const TensorDesc& t) { return saved_in_state(t.region, t.init); }

class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) {}
  bool write(const void* p, size_t n) {
    crc_ = crc32_z(crc_, static_cast<const Bytef*>(p), n);
    const auto* b = static_cast<const unsigned char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(fd_, b, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      b += w, n -= static_cast<size_t>(w);
    }
    return true;
  }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }

 private:
  int fd_;
  uLong crc_ = crc32_z(0, nullptr, 0);
};

Status io_error(const char* what, const std::string& path) {
  return Status::error(StatusCode::IoError, "cannot %s state file '%s': %s", what, path.c_str(),
                       std::strerror(errno));
}

// The directory a path's file lives in ("." for a bare name).
std::string parent_dir(const char* path) {
  std::string copy = path;
  return ::dirname(copy.data());
}

uint64_t mix(uint64_t z) { return splitmix_mix(z + kSplitmixGamma); }

// Unpredictable enough for a temporary's name (O_EXCL makes a guessed one harmless anyway).
uint64_t random_nonce() {
  uint64_t r = 0;
  if (::getentropy(&r, sizeof r) == 0 && r != 0) return r;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return mix(static_cast<uint64_t>(ts.tv_nsec) ^ static_cast<uint64_t>(ts.tv_sec) << 30 ^
             static_cast<uint64_t>(::getpid()) << 48) | 1;
}

}  // namespace

uint64_t state_payload_bytes(const Plan& plan) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < plan.tensor_count; ++i) {
    if (persistent(plan.tensors[i])) bytes += plan.tensors[i].bytes;
  }
  return bytes;
}

Status check_save_path(const char* path) {
  struct stat st {};
  if (*path == '\0') {
    return Status::error(StatusCode::InvalidArgument, "--save needs a file path, got ''");
  }
  if (::stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::error(StatusCode::InvalidArgument,
                         "cannot save the training state to '%s': it is a directory (give a file "
                         "path, e.g. '%s/state.bin')", path, path);
  }
  if (::stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    return Status::error(StatusCode::InvalidArgument,
                         "cannot save the training state to '%s': not a regular file (give a file path)", path);
  }
  // The temporary and the rename need a writable, searchable directory.
  const std::string dir = parent_dir(path);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::error(StatusCode::InvalidArgument,
                         "cannot save the training state to '%s': directory '%s' does not exist "
                         "(create it or give another --save path)", path, dir.c_str());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status::error(StatusCode::InvalidArgument,
                         "cannot save the training state to '%s': directory '%s' is not writable "
                         "(%s; give a --save path in a directory you can write)", path, dir.c_str(),
                         std::strerror(errno));
  }
  return Status::ok();
}

std::string state_temp_name(const char* path, uint64_t nonce) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t bits = mix(nonce);
  std::string name = std::string(path) + ".tmp.";
  for (int i = 0; i < 6; ++i, bits /= 62) name += kChars[bits % 62];
  return name;
}

Status save_state(const char* path, const Plan& plan, const unsigned char* params,
                  const TrainPosition& position, uint64_t temp_nonce) {
  EDGETRAIN_RETURN_IF_ERROR(check_save_path(path));
  uint64_t nonce = temp_nonce != 0 ? temp_nonce : random_nonce();
  // O_EXCL | O_NOFOLLOW: a name someone else made (a file, or a symlink to a victim) is never
  // opened; take the next name instead, as mkstemp does.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt, ++nonce) {
    tmp = state_temp_name(path, nonce);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return io_error("create", tmp);
  StateHeader h{};
  std::memcpy(h.magic, kStateMagic, sizeof kStateMagic);
  h.version = kStateVersion;
  h.model_hash = plan.model_hash;
  h.step = position.step;
  h.epoch = position.epoch;
  h.cursor = position.cursor;
  h.payload_bytes = state_payload_bytes(plan);
  Writer w(fd);
  bool ok = w.write(&h, sizeof h);
  for (uint32_t i = 0; ok && i < plan.tensor_count; ++i) {
    const TensorDesc& t = plan.tensors[i];
    if (persistent(t)) ok = w.write(params + t.offset, t.bytes);
  }
  const uint32_t crc = w.crc();
  ok = ok && w.write(&crc, sizeof crc) && ::fsync(fd) == 0;
  if (::close(fd) != 0) ok = false;
  if (!ok || ::rename(tmp.c_str(), path) != 0) {
    const Status s = io_error("write", tmp);
    ::unlink(tmp.c_str());  // ours: created above with O_EXCL
    return s;
  }
  // The rename itself must reach the disk before we call the save done.
  const int dfd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

namespace {

// Where a state's bytes come from: memory (parse_state) or an open file (load_state, which so
// needs no buffer of the state's size: on a Pi the resumed run's peak stays the planned one).
struct MemorySource {
  const uint8_t* data;
  size_t size;
  bool read(uint64_t offset, void* dst, size_t n) const {
    std::memcpy(dst, data + offset, n);
    return true;
  }
};

struct FileSource {
  FILE* f;
  size_t size;
  bool read(uint64_t offset, void* dst, size_t n) const {
    if (::fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0 && std::fread(dst, 1, n, f) == n) return true;
    if (!std::ferror(f)) errno = EIO;  // shorter than its size said: it changed while being read
    return false;
  }
};

// CRC-32 of bytes [0, end) of the source, read in 64 KiB pieces; false if a read fails.
template <class Source>
bool source_crc(const Source& src, uint64_t end, uint32_t* crc) {
  uint8_t chunk[1 << 16];
  uLong c = crc32_z(0, nullptr, 0);
  for (uint64_t at = 0; at < end;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof chunk, end - at));
    if (!src.read(at, chunk, n)) return false;
    c = crc32_z(c, chunk, n);
    at += n;
  }
  *crc = static_cast<uint32_t>(c);
  return true;
}

// Checks header, checksum, model and size on the source's bytes, then copies the payload into
// `params`; `params` is untouched unless every check passed.
template <class Source>
Status restore_state(const char* name, const Source& src, const Plan& plan, unsigned char* params,
                     TrainPosition* position) {
  const uint64_t payload = state_payload_bytes(plan);
  const size_t size = src.size;
  StateHeader h;
  uint32_t stored_crc = 0, crc = 0;
  if (size < sizeof h + sizeof stored_crc) {
    return Status::error(StatusCode::BadData, "state file '%s' is truncated (%zu bytes)", name, size);
  }
  if (!src.read(0, &h, sizeof h)) return io_error("read", name);
  if (std::memcmp(h.magic, kStateMagic, sizeof kStateMagic) != 0 || h.version != kStateVersion) {
    return Status::error(StatusCode::BadData, "'%s' is not an edgetrain state file (version %u)", name, kStateVersion);
  }
  if (!src.read(size - sizeof stored_crc, &stored_crc, sizeof stored_crc) ||
      !source_crc(src, size - sizeof stored_crc, &crc)) {
    return io_error("read", name);
  }
  if (crc != stored_crc) {
    return Status::error(StatusCode::BadData, "state file '%s' is corrupt (checksum mismatch)", name);
  }
  if (h.model_hash != plan.model_hash) {
    return Status::error(StatusCode::BadData,
                         "state file '%s' was saved for another model (hash %016llx, this binary's %s "
                         "is %016llx): start without it or use the matching binary",
                         name, static_cast<unsigned long long>(h.model_hash), plan.model,
                         static_cast<unsigned long long>(plan.model_hash));
  }
  if (h.payload_bytes != payload || size != sizeof h + payload + sizeof stored_crc) {
    return Status::error(StatusCode::BadData, "state file '%s' holds %llu bytes of state, the plan needs %llu",
                         name, static_cast<unsigned long long>(h.payload_bytes),
                         static_cast<unsigned long long>(payload));
  }
  uint64_t at = sizeof h;
  for (uint32_t i = 0; i < plan.tensor_count; ++i) {
    const TensorDesc& t = plan.tensors[i];
    if (!persistent(t)) continue;
    if (!src.read(at, params + t.offset, t.bytes)) return io_error("read", name);
    at += t.bytes;
  }
  *position = {h.step, h.epoch, h.cursor};
  return Status::ok();
}

}  // namespace

Status parse_state(const char* name, const uint8_t* data, size_t size, const Plan& plan,
                   unsigned char* params, TrainPosition* position) {
  return restore_state(name, MemorySource{data, size}, plan, params, position);
}

Status load_state(const char* path, const Plan& plan, unsigned char* params, TrainPosition* position) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return io_error("open", path);
  struct stat st {};
  if (::fstat(::fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f);
    return Status::error(StatusCode::BadData, "state file '%s' is not a regular file", path);
  }
  const Status s = restore_state(path, FileSource{f, static_cast<size_t>(st.st_size)}, plan, params, position);
  std::fclose(f);
  return s;
}

Status load_initial_state(const char* path, const Plan& plan, unsigned char* params) {
  TrainPosition ignored;
  EDGETRAIN_RETURN_IF_ERROR(load_state(path, plan, params, &ignored));
  for (uint32_t i = 0; i < plan.train_op_count; ++i) {
    const OpDesc& op = plan.train_ops[i];
    if (op_info(op.kind).phase != OpPhase::Optimizer) continue;
    for (int k = kOptimizerStateSlot; k < op_input_count(op.kind); ++k) {  // velocity; Adam's moments
      if (op.in[k] < 0) continue;
      const TensorDesc& state = plan.tensors[op.in[k]];
      std::memset(params + state.offset, 0, state.bytes);
    }
  }
  return Status::ok();
}

}  // namespace edgetrain

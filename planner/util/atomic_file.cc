#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

namespace edgetrain::planner {

namespace {

[[noreturn]] void fail(const std::string& path) {
  throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

bool write_all(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Writes in place: for paths that exist and are not regular files (no O_CREAT, so nothing new
// is made there).
void write_to(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) fail(path);
  const bool ok = write_all(fd, bytes);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) fail(path);
}

// A new file next to `path`, "<path>.tmp.XXXXXX" with a name nobody holds: O_CREAT|O_EXCL
// never opens what exists, O_NOFOLLOW never follows a symlink planted there (the old fixed
// "<path>.tmp" let anyone who could write the directory redirect the write). Sets *tmp.
int create_temporary(const std::string& path, std::string* tmp) {
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = path + ".tmp.";
    for (int i = 0; i < 6; ++i) name += kDigits[random() % 36];
    const int fd = ::open(name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp = name;
      return fd;
    }
    if (errno != EEXIST) fail(path);
  }
  fail(path);  // errno is EEXIST
}

// The rename is durable only once the directory is synced too; a directory that cannot be
// opened (no read permission) still got the file, so that is not an error.
void sync_directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    write_to(path, bytes);
    return;
  }
  std::string tmp;
  const int fd = create_temporary(path, &tmp);
  bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
  int error = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) ok = false, error = errno;
  if (ok && std::rename(tmp.c_str(), path.c_str()) == 0) {
    sync_directory_of(path);
    return;
  }
  if (ok) error = errno;  // the rename's
  ::unlink(tmp.c_str());
  errno = error;
  fail(path);
}

}  // namespace edgetrain::planner

#include "memory_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace edgetrain {

namespace {

// The value in kB of the line starting with `key` in a /proc file, in bytes.
uint64_t proc_field_bytes(const char* path, const char* key) {
  char buf[4096];
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const size_t key_len = std::strlen(key);
  for (const char* line = buf; line && *line; line = std::strchr(line, '\n')) {
    if (*line == '\n') ++line;
    if (std::strncmp(line, key, key_len) == 0) return std::strtoull(line + key_len, nullptr, 10) * 1024;
  }
  return 0;
}

}  // namespace

uint64_t peak_rss_bytes() { return proc_field_bytes("/proc/self/status", "VmHWM:"); }
uint64_t mem_available_bytes() { return proc_field_bytes("/proc/meminfo", "MemAvailable:"); }

}  // namespace edgetrain

#include "util/atomic_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace edgetrain::planner {

namespace {

[[noreturn]] void fail(const std::string& path) {
  throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

void write_to(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !f.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !f.flush()) fail(path);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    write_to(path, bytes);
    return;
  }
  const std::string tmp = path + ".tmp";
  try {
    write_to(tmp, bytes);
  } catch (...) {
    std::remove(tmp.c_str());
    fail(path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(tmp.c_str());
    errno = saved;
    fail(path);
  }
}

}  // namespace edgetrain::planner

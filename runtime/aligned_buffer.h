// One aligned, zero-initialised allocation owned by RAII: the arena and the params block.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace edgetrain {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_, size_ = o.size_;
      o.data_ = nullptr, o.size_ = 0;
    }
    return *this;
  }
  ~AlignedBuffer() { std::free(data_); }

  // False if the memory is not available. Touches every page, so the memory is really committed
  // (and counted in RSS) at start rather than on first use mid-training.
  bool allocate(size_t bytes, size_t alignment) {
    std::free(data_);
    data_ = nullptr, size_ = 0;
    void* p = nullptr;
    if (posix_memalign(&p, alignment, bytes == 0 ? alignment : bytes) != 0) return false;
    std::memset(p, 0, bytes);
    data_ = static_cast<unsigned char*>(p);
    size_ = bytes;
    return true;
  }

  unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace edgetrain

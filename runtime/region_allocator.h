// A first-fit allocator over one caller-owned region, for XNNPACK's allocations: operators are
// created and deleted around every op of every step, and none of that may reach the heap in a
// steady-state step. Bookkeeping lives in-band (a 64-byte header before each block), so the
// allocator itself never allocates. Not thread-safe: XNNPACK allocates on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgetrain {

class RegionAllocator {
 public:
  static constexpr size_t kAlignment = 64;  // of every block; larger requests are refused

  // `base` must be kAlignment-aligned; `bytes` is rounded down to a multiple of it.
  void reset(unsigned char* base, size_t bytes);

  // Null when no free block is large enough, or for alignment > kAlignment.
  void* allocate(size_t bytes, size_t alignment);
  void* reallocate(void* p, size_t bytes);
  void free(void* p);

  bool owns(const void* p) const { return base_ && p >= base_ && p < base_ + bytes_; }
  // Usable bytes of an allocated block (at least what was asked for).
  size_t block_bytes(const void* p) const {
    return payload(reinterpret_cast<const Header*>(static_cast<const unsigned char*>(p) - kAlignment));
  }
  size_t capacity() const { return bytes_; }
  size_t live_bytes() const { return live_; }
  size_t peak_bytes() const { return peak_; }

 private:
  struct Header {
    size_t size;  // of the whole block, header included
    bool free;
  };
  Header* at(size_t offset) const { return reinterpret_cast<Header*>(base_ + offset); }
  size_t payload(const Header* h) const { return h->size - kAlignment; }
  void coalesce();

  unsigned char* base_ = nullptr;
  size_t bytes_ = 0, live_ = 0, peak_ = 0;
};

}  // namespace edgetrain

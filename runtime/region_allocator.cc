#include "region_allocator.h"

#include <algorithm>
#include <cstring>

namespace edgetrain {

namespace {
constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }
}  // namespace

void RegionAllocator::reset(unsigned char* base, size_t bytes) {
  base_ = base;
  bytes_ = bytes / kAlignment * kAlignment;
  live_ = peak_ = 0;
  if (bytes_ >= 2 * kAlignment) *at(0) = {bytes_, true};
  else bytes_ = 0;
}

void* RegionAllocator::allocate(size_t bytes, size_t alignment) {
  if (alignment > kAlignment || bytes_ == 0) return nullptr;
  const size_t need = kAlignment + round_up(std::max<size_t>(bytes, 1), kAlignment);
  for (size_t off = 0; off < bytes_; off += at(off)->size) {
    Header* h = at(off);
    if (!h->free || h->size < need) continue;
    if (h->size - need >= 2 * kAlignment) {  // split, keeping the tail free
      *at(off + need) = {h->size - need, true};
      h->size = need;
    }
    h->free = false;
    live_ += payload(h);
    peak_ = std::max(peak_, live_);
    return reinterpret_cast<unsigned char*>(h) + kAlignment;
  }
  return nullptr;
}

void RegionAllocator::free(void* p) {
  if (p == nullptr) return;
  Header* h = reinterpret_cast<Header*>(static_cast<unsigned char*>(p) - kAlignment);
  live_ -= payload(h);
  h->free = true;
  coalesce();
}

void* RegionAllocator::reallocate(void* p, size_t bytes) {
  if (p == nullptr) return allocate(bytes, kAlignment);
  const Header* h = reinterpret_cast<const Header*>(static_cast<unsigned char*>(p) - kAlignment);
  if (payload(h) >= bytes) return p;
  void* q = allocate(bytes, kAlignment);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, payload(h));
  free(p);
  return q;
}

// Merges every run of adjacent free blocks; one pass over the (few) blocks.
void RegionAllocator::coalesce() {
  for (size_t off = 0; off < bytes_; off += at(off)->size) {
    Header* h = at(off);
    while (h->free && off + h->size < bytes_ && at(off + h->size)->free) {
      h->size += at(off + h->size)->size;
    }
  }
}

}  // namespace edgetrain

#include "xnn_context.h"

#include <cpuinfo.h>
#include <xnnpack.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "region_allocator.h"

namespace edgetrain {

namespace {

// One XNNPACK per process, so one allocator state.
XnnAllocStats g_stats;
RegionAllocator g_region;

// Heap blocks carry a header just below the pointer XNNPACK sees: their size (for the byte count
// and realloc) and the distance back to the start of the real allocation.
struct BlockHeader {
  size_t size;
  size_t offset;
};
constexpr size_t kHeader = 16;
static_assert(sizeof(BlockHeader) <= kHeader);

void note_live(int64_t delta) {
  g_stats.live_bytes += static_cast<uint64_t>(delta);
  g_stats.peak_bytes = std::max(g_stats.peak_bytes, g_stats.live_bytes);
}

void* heap_alloc(size_t alignment, size_t size) {
  alignment = std::max(alignment, kHeader);
  void* base = nullptr;
  if (posix_memalign(&base, alignment, size + alignment) != 0) return nullptr;
  unsigned char* user = static_cast<unsigned char*>(base) + alignment;
  const BlockHeader h{size, alignment};
  std::memcpy(user - kHeader, &h, sizeof h);
  ++g_stats.heap_allocations;
  note_live(static_cast<int64_t>(size));
  return user;
}

size_t block_size(void* p) {
  if (g_region.owns(p)) return g_region.block_bytes(p);
  BlockHeader h;
  std::memcpy(&h, static_cast<unsigned char*>(p) - kHeader, sizeof h);
  return h.size;
}

void* counted_alloc(size_t alignment, size_t size) {
  const size_t before = g_region.live_bytes();
  if (void* p = g_region.allocate(size, alignment)) {
    ++g_stats.region_allocations;
    note_live(static_cast<int64_t>(g_region.live_bytes() - before));
    return p;
  }
  return heap_alloc(alignment, size);
}

void counted_free(void*, void* p) {
  if (p == nullptr) return;
  ++g_stats.frees;
  if (g_region.owns(p)) {
    const size_t before = g_region.live_bytes();
    g_region.free(p);
    note_live(-static_cast<int64_t>(before - g_region.live_bytes()));
    return;
  }
  BlockHeader h;
  std::memcpy(&h, static_cast<unsigned char*>(p) - kHeader, sizeof h);
  note_live(-static_cast<int64_t>(h.size));
  std::free(static_cast<unsigned char*>(p) - h.offset);
}

void* allocate(void*, size_t size) { return counted_alloc(kHeader, size); }
void* aligned_allocate(void*, size_t alignment, size_t size) { return counted_alloc(alignment, size); }
void* reallocate(void* ctx, void* p, size_t size) {
  if (p == nullptr) return allocate(ctx, size);
  void* q = counted_alloc(kHeader, size);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, std::min(size, block_size(p)));
  counted_free(ctx, p);
  return q;
}

const xnn_allocator kCountingAllocator = {nullptr, allocate, reallocate, counted_free,
                                          aligned_allocate, counted_free};

}  // namespace

XnnAllocStats XnnContext::alloc_stats() {
  XnnAllocStats s = g_stats;
  s.region_capacity = g_region.capacity();
  return s;
}

Status XnnContext::init(size_t threads) {
  if (threads == 0) {
    threads = cpuinfo_initialize() ? cpuinfo_get_processors_count() : 1;
  }
  if (xnn_initialize(&kCountingAllocator) != xnn_status_success) {
    return Status::error(StatusCode::Xnnpack, "XNNPACK does not support this CPU");
  }
  initialized_ = true;
  pool_ = threads > 1 ? pthreadpool_create(threads) : nullptr;
  if (threads > 1 && pool_ == nullptr) {
    return Status::error(StatusCode::OutOfMemory, "cannot create a pool of %zu threads", threads);
  }
  heap_allocations_at_fit_ = g_stats.heap_allocations;
  return Status::ok();
}

Status XnnContext::fit_region() {
  if (g_stats.heap_allocations == heap_allocations_at_fit_) {
    g_stats.peak_bytes = g_stats.live_bytes;
    return Status::ok();
  }
  if (g_stats.live_bytes != 0) {
    return Status::error(StatusCode::InvalidArgument,
                         "XNNPACK still holds %llu bytes between steps: its region cannot be resized",
                         static_cast<unsigned long long>(g_stats.live_bytes));
  }
  // Room for the measured peak with every block padded to the region's alignment and header.
  const uint64_t bytes = g_stats.peak_bytes + g_stats.peak_bytes / 4 + (256u << 10);
  g_region.reset(nullptr, 0);
  if (!region_.allocate(bytes, RegionAllocator::kAlignment)) {
    return Status::error(StatusCode::OutOfMemory, "cannot reserve %llu bytes for XNNPACK",
                         static_cast<unsigned long long>(bytes));
  }
  g_region.reset(region_.data(), region_.size());
  heap_allocations_at_fit_ = g_stats.heap_allocations;
  g_stats.peak_bytes = 0;
  return Status::ok();
}

XnnContext::~XnnContext() {
  if (pool_) pthreadpool_destroy(pool_);
  if (initialized_) xnn_deinitialize();
  g_region.reset(nullptr, 0);
}

}  // namespace edgetrain

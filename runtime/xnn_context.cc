#include "xnn_context.h"

#include <cpuinfo.h>
#include <xnnpack.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace edgetrain {

namespace {

XnnAllocStats g_stats;

// Every block carries a header just below the pointer XNNPACK sees: its size (for the byte
// count and realloc) and the distance back to the start of the real allocation.
struct BlockHeader {
  size_t size;
  size_t offset;
};
constexpr size_t kHeader = 16;
static_assert(sizeof(BlockHeader) <= kHeader);

void* counted_alloc(size_t alignment, size_t size) {
  alignment = std::max(alignment, kHeader);
  void* base = nullptr;
  if (posix_memalign(&base, alignment, size + alignment) != 0) return nullptr;
  unsigned char* user = static_cast<unsigned char*>(base) + alignment;
  const BlockHeader h{size, alignment};
  std::memcpy(user - kHeader, &h, sizeof h);
  ++g_stats.allocations;
  g_stats.live_bytes += size;
  g_stats.peak_bytes = std::max(g_stats.peak_bytes, g_stats.live_bytes);
  return user;
}

BlockHeader header_of(void* p) {
  BlockHeader h;
  std::memcpy(&h, static_cast<unsigned char*>(p) - kHeader, sizeof h);
  return h;
}

void counted_free(void*, void* p) {
  if (p == nullptr) return;
  const BlockHeader h = header_of(p);
  ++g_stats.frees;
  g_stats.live_bytes -= h.size;
  std::free(static_cast<unsigned char*>(p) - h.offset);
}

void* allocate(void*, size_t size) { return counted_alloc(kHeader, size); }
void* aligned_allocate(void*, size_t alignment, size_t size) { return counted_alloc(alignment, size); }
void* reallocate(void* ctx, void* p, size_t size) {
  if (p == nullptr) return allocate(ctx, size);
  void* q = counted_alloc(kHeader, size);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, std::min(size, header_of(p).size));
  counted_free(ctx, p);
  return q;
}

const xnn_allocator kCountingAllocator = {nullptr, allocate, reallocate, counted_free,
                                          aligned_allocate, counted_free};

}  // namespace

XnnAllocStats XnnContext::alloc_stats() { return g_stats; }

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
  return Status::ok();
}

XnnContext::~XnnContext() {
  if (pool_) pthreadpool_destroy(pool_);
  if (initialized_) xnn_deinitialize();
}

}  // namespace edgetrain

// XNNPACK and its thread pool, set up once per process.
//
// XNNPACK allocates (packed weights, indirection buffers, operator structs) through an
// xnn_allocator we pass to xnn_initialize. Ours serves them from a region we own once it is
// sized: the first step runs on the heap and is measured, then fit_region() reserves that peak
// plus a margin, so steady-state steps never touch the heap. Every call and byte is counted.
#pragma once

#include <cstddef>
#include <cstdint>

#include <pthreadpool.h>

#include "aligned_buffer.h"
#include "edgetrain/status.h"

namespace edgetrain {

struct XnnAllocStats {
  uint64_t heap_allocations = 0;    // served by malloc (before the region fits)
  uint64_t region_allocations = 0;  // served by the region
  uint64_t frees = 0;
  uint64_t live_bytes = 0;
  uint64_t peak_bytes = 0;        // of live_bytes since the last fit_region()
  uint64_t region_capacity = 0;
};

class XnnContext {
 public:
  XnnContext() = default;
  XnnContext(const XnnContext&) = delete;
  XnnContext& operator=(const XnnContext&) = delete;
  ~XnnContext();

  // threads == 0: one per core that cpuinfo reports.
  Status init(size_t threads);

  // Call between steps. If the heap served anything since the last call, reserves a region of
  // the peak XNNPACK needed since then plus a quarter; a no-op once the region suffices.
  Status fit_region();

  pthreadpool_t pool() const { return pool_; }
  size_t threads() const { return pool_ ? pthreadpool_get_threads_count(pool_) : 1; }
  static XnnAllocStats alloc_stats();

 private:
  pthreadpool_t pool_ = nullptr;
  bool initialized_ = false;
  AlignedBuffer region_;
  uint64_t heap_allocations_at_fit_ = 0;
};

}  // namespace edgetrain

// XNNPACK and its thread pool, set up once per process.
//
// XNNPACK allocates (packed weights, indirection buffers, operator structs) through an
// xnn_allocator we pass to xnn_initialize; ours counts every call and byte, so memory outside
// the arena is measured, not guessed.
#pragma once

#include <cstddef>
#include <cstdint>

#include <pthreadpool.h>

#include "status.h"

namespace edgetrain {

struct XnnAllocStats {
  uint64_t allocations = 0;  // allocate + aligned_allocate + reallocate calls
  uint64_t frees = 0;
  uint64_t live_bytes = 0;
  uint64_t peak_bytes = 0;
};

class XnnContext {
 public:
  XnnContext() = default;
  XnnContext(const XnnContext&) = delete;
  XnnContext& operator=(const XnnContext&) = delete;
  ~XnnContext();

  // threads == 0: one per core that cpuinfo reports.
  Status init(size_t threads);

  pthreadpool_t pool() const { return pool_; }
  size_t threads() const { return pool_ ? pthreadpool_get_threads_count(pool_) : 1; }
  static XnnAllocStats alloc_stats();

 private:
  pthreadpool_t pool_ = nullptr;
  bool initialized_ = false;
};

}  // namespace edgetrain

// What the kernel says about this process's and the system's memory, read from /proc without
// allocating (so it may be called between training steps).
#pragma once

#include <cstdint>

namespace edgetrain {

// Peak resident set size (VmHWM), or 0 where /proc is not readable.
uint64_t peak_rss_bytes();
// MemAvailable: memory the system can give a new workload without swapping, or 0 if unknown.
uint64_t mem_available_bytes();

}  // namespace edgetrain

// Counts calls to malloc and friends made by any thread, by interposing them in this test binary
// (they forward to glibc's __libc_* entry points). Not built under AddressSanitizer, which
// interposes them itself.
#pragma once

#include <cstdint>

namespace edgetrain::test {

void start_counting_heap();
// Allocation calls (malloc, calloc, realloc, memalign family) since start_counting_heap().
uint64_t stop_counting_heap();

}  // namespace edgetrain::test

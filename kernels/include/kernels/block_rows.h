// Micro-kernel tails, private to kernels/: a micro-kernel's block<M>() is a template over its row
// count, and a tail has a run-time count below the full kMR. This turns one into the other.
#pragma once

#include <cstddef>
#include <type_traits>

namespace edgetrain_kernels {

// Calls fn(std::integral_constant<size_t, M>{}) for the run-time rows = M in [1, Max];
// rows == 0 calls nothing.
template <size_t Max, class Fn>
inline void with_block_rows(size_t rows, Fn&& fn) {
  if constexpr (Max > 0) {
    if (rows == Max) {
      fn(std::integral_constant<size_t, Max>{});
    } else {
      with_block_rows<Max - 1>(rows, fn);
    }
  }
}

}  // namespace edgetrain_kernels

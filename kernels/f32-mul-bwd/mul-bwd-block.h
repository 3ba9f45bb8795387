// The pixel block of the gate gradient's float sums, shared by its variants (their bits agree
// only with the same blocks).
#pragma once

#include <cstddef>

inline constexpr size_t kMulBwdBlock = 64;

// The baseline checkpointing policies, each a pure function of the chain (costs included).
// Each returns its family of strategies (one per setting of its knob); `solve.h` picks the
// member that fits a budget at the least time. The optimal policy is in optimal.h.
#pragma once

#include <vector>

#include "checkpoint/strategy.h"

namespace edgetrain::planner {

// Keep every activation: the fastest step, the most memory.
Strategy store_all(const Chain& c);

// PyTorch's checkpoint_sequential: k segments of (nearly) equal stage count, k = 1..max_k.
std::vector<Strategy> uniform_segments(const Chain& c, int max_k = 32);

// Chen et al. 2016, sqrt(n): segments of ceil(sqrt(n)) stages.
Strategy chen_sqrt(const Chain& c);

// The seed paper's heuristic (Naveen & Kumar 2019): for each segment count k, the partition
// minimising the largest segment's bytes (sum of its stages' output bytes), k = 1..max_k.
std::vector<Strategy> seed_heuristic(const Chain& c, int max_k = 32);

}  // namespace edgetrain::planner

// Liveness of one training step's tensors: when each is first written and last read in the
// train schedule, and which tensors share one buffer through in-place writes. Read by in-place
// assignment, placement, the checkpoint solvers' stage costs and the simulator.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

struct Lifetime {
  int first = -1;  // op index of the first write (-1: written before the step starts)
  int last = -1;   // op index of the last read (or the end of the step for step outputs)
};

// `bytes` rounded up to kTensorAlignment: what a tensor takes in its region.
uint64_t aligned_bytes(uint64_t bytes);

// Lifetimes of every tensor in the train schedule; Params tensors span the whole step.
std::vector<Lifetime> lifetimes(const Graph& g);

// For every tensor, the first tensor of its alias chain (itself when not aliased), from the
// in_place fields of the train ops (in_place.h sets them).
std::vector<TensorId> alias_roots(const Graph& g);

}  // namespace edgetrain::planner

// An ASCII picture of a placed plan's arena over its train schedule: one row per op, one column
// per slice of the arena's bytes, each live tensor drawn with its letter, free bytes as '.'.
// `plan --arena-map` prints it; docs/ARCHITECTURE.md shows one.
#pragma once

#include <string>

#include "graph/graph.h"

namespace edgetrain::planner {

// `columns` slices of arena_bytes each; a cell shows the tensor that covers most of its slice
// at that op. A legend of letter -> tensor (bytes, first..last op) follows the picture.
std::string arena_map(const Graph& g, int columns = 64);

}  // namespace edgetrain::planner

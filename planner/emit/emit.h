// Writes plans: the generated C++ the device binary compiles in (several plans, one kBakedPlans),
// and a JSON copy of the same tables for tools and people.
#pragma once

#include <ostream>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

// predicted_peak[i]: plan i's Plan::predicted_peak_bytes (off_arena.h); 0 where missing.
void emit_cpp(std::ostream& os, const std::vector<Graph>& plans,
              const std::vector<uint64_t>& predicted_peak = {});
void emit_json(std::ostream& os, const std::vector<Graph>& plans,
               const std::vector<uint64_t>& predicted_peak = {});

}  // namespace edgetrain::planner

// Writes plans: the generated C++ the device binary compiles in (several plans, one kBakedPlans),
// and a JSON copy of the same tables for tools and people.
#pragma once

#include <ostream>
#include <vector>

#include "graph.h"

namespace edgetrain::planner {

void emit_cpp(std::ostream& os, const std::vector<Graph>& plans);
void emit_json(std::ostream& os, const std::vector<Graph>& plans);

}  // namespace edgetrain::planner

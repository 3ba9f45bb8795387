// Built-in models, by name.
#pragma once

#include <string>
#include <vector>

#include "graph.h"

namespace edgetrain::planner {

std::vector<std::string> zoo_models();
// Forward graph of a zoo model at a batch size; throws std::invalid_argument for unknown names.
Graph build_zoo_model(const std::string& name, uint32_t batch);

}  // namespace edgetrain::planner

// Models a user writes by hand: a small JSON format (documented in README.md, "Model files").
//
//   {"name": "tiny", "input": [28, 28, 1], "classes": 10,
//    "layers": [
//      {"name": "conv1", "type": "conv", "out": 16, "kernel": 3, "stride": 1, "pad": 1},
//      {"name": "bn1", "type": "batchnorm"},
//      {"name": "relu1", "type": "relu"},
//      {"name": "sum", "type": "add", "inputs": ["relu1", "conv1"]},
//      {"name": "gap", "type": "global_avgpool"},
//      {"name": "fc", "type": "fc", "out": 10}]}
//
// A layer reads the previous layer (the image for the first) unless "inputs" names others
// ("input" is the image): that is how DAG edges (residual joins) are written. The last layer
// must output [batch, classes]. Every error names the file and line.
#pragma once

#include <string>

#include "graph/graph.h"

namespace edgetrain::planner {

// Parses `text` (named `filename` in errors) into the forward graph at `batch`; throws
// std::invalid_argument("FILE:LINE: problem") on malformed JSON or an invalid model.
Graph parse_model_file(const std::string& text, const std::string& filename, uint32_t batch);

// Reads and parses a file; also throws if it cannot be read.
Graph load_model_file(const std::string& path, uint32_t batch);

}  // namespace edgetrain::planner

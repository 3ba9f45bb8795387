// Built-in models, by name: the Fashion-MNIST CNNs (fashion_cnn, fashion_net) and the ImageNet classics the product targets
// (MobileNet v1/v2, ResNet-18/34), with input size and class count as parameters.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

struct ZooOptions {
  uint32_t image = 0;    // square input side; 0: the model's own (28 for fashion_cnn/net, else 224)
  uint32_t classes = 0;  // 0: the model's own (10 for fashion_cnn, else 1000)
};

std::vector<std::string> zoo_models();
// Forward graph of a zoo model at a batch size; throws std::invalid_argument for unknown names
// and for input sizes too small for the model's strides.
Graph build_zoo_model(const std::string& name, uint32_t batch, const ZooOptions& options = {});

}  // namespace edgetrain::planner

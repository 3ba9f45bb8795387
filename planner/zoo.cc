#include "zoo.h"

#include <stdexcept>

#include "model_builder.h"

namespace edgetrain::planner {

namespace {

// The first end-to-end model: a small CNN for Fashion-MNIST (28x28x1, 10 classes).
Graph fashion_cnn(uint32_t batch) {
  ModelBuilder b("fashion_cnn", batch, 28, 28, 1, 10);
  TensorId x = b.conv("conv1", b.input(), 16, 3, 1, 1);
  x = b.relu("relu1", b.batchnorm("bn1", x));
  x = b.maxpool("pool1", x, 2, 2, 0);
  x = b.conv("conv2", x, 32, 3, 1, 1);
  x = b.relu("relu2", b.batchnorm("bn2", x));
  x = b.global_avgpool("gap", x);
  return b.finish(b.fc("fc", x, 10));
}

struct ZooEntry {
  const char* name;
  Graph (*build)(uint32_t batch);
};

constexpr ZooEntry kZoo[] = {
    {"fashion_cnn", fashion_cnn},
};

}  // namespace

std::vector<std::string> zoo_models() {
  std::vector<std::string> names;
  for (const ZooEntry& e : kZoo) names.emplace_back(e.name);
  return names;
}

Graph build_zoo_model(const std::string& name, uint32_t batch) {
  for (const ZooEntry& e : kZoo) {
    if (name == e.name) return e.build(batch);
  }
  std::string known;
  for (const ZooEntry& e : kZoo) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw std::invalid_argument("unknown model '" + name + "' (known: " + known + ")");
}

}  // namespace edgetrain::planner

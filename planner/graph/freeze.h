// Fine-tuning with frozen layers (plan --freeze NAME, --train-last N).
//
// A layer is a forward op with parameters (conv, BatchNorm, fully connected), named by its
// parameters' common prefix (`layer1.0.conv1.weight` -> `layer1.0.conv1`, the PyTorch module
// path). Freezing a layer freezes all its parameters: they get no gradient, no momentum and no
// update, but stay in the params block and the state file, so weights load and save as before.
// A frozen BatchNorm runs in eval mode (running statistics, no batch statistics, no running-stat
// update), as PyTorch fine-tuning does with requires_grad=False and model.eval() on frozen BN.
// derive_schedules(g, frozen) then derives only the backward the trainable layers need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

struct FreezeSpec {
  // Layer names or prefixes at a '.' boundary (`layer1` freezes `layer1.0.conv1`, not
  // `layer10.conv`); each must match at least one layer.
  std::vector<std::string> layers;
  uint32_t train_last = 0;  // > 0: freeze all but the last N layers (in forward order)
  bool empty() const { return layers.empty() && train_last == 0; }
};

struct Layer {
  std::string name;
  int32_t op = -1;                // index into Graph::forward
  std::vector<TensorId> params;   // its Param inputs
  uint64_t parameters = 0;        // elements
};

// The parameterised layers of a forward graph, in forward order.
std::vector<Layer> parameterised_layers(const Graph& g);

struct Frozen {
  // By TensorId of the graph as given to freeze_layers: frozen parameters, for derive_schedules
  // (which renumbers ids when it drops unreferenced tensors: look names up before).
  std::vector<bool> params;
  size_t layers = 0, total_layers = 0;
  uint64_t parameters = 0, total_parameters = 0;
  std::string first_trainable;  // the lowest trainable layer
};

// Marks the layers `spec` names as frozen and switches their BatchNorms to eval mode in
// g.forward (before derive_schedules). Throws std::invalid_argument, one line each, for a name
// that matches no layer (with close names), --train-last beyond the layer count, nothing left to
// train, and a frozen BatchNorm with a trainable layer below it (the runtime has no eval-mode
// BatchNorm backward: freeze the layers below it too).
Frozen freeze_layers(Graph& g, const FreezeSpec& spec);

// "resnet18: 51 of 62 layers frozen (...), trained from 'layer4.0.conv1'", for the CLI.
std::string describe_frozen(const Graph& g, const Frozen& f);

}  // namespace edgetrain::planner

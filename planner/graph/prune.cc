#include "graph/prune.h"

#include <algorithm>

namespace edgetrain::planner {

void drop_unreferenced_tensors(Graph& g) {
  std::vector<bool> used(g.tensors.size(), false);
  auto mark = [&](TensorId id) {
    if (id != kNoTensor) used.at(static_cast<size_t>(id)) = true;
  };
  for (const std::vector<Op>* ops : {&g.forward, &g.train, &g.eval}) {
    for (const Op& op : *ops) {
      for (TensorId id : op.in) mark(id);
      for (TensorId id : op.out) mark(id);
      mark(op.workspace);
    }
  }
  for (TensorId id : {g.input, g.labels, g.loss, g.logits}) mark(id);
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (g.tensors[id].region() == Region::Params) used[id] = true;
  }

  if (std::find(used.begin(), used.end(), false) == used.end()) return;
  std::vector<TensorId> renumbered(g.tensors.size(), kNoTensor);
  std::vector<Tensor> kept;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (!used[id]) continue;
    renumbered[id] = static_cast<TensorId>(kept.size());
    kept.push_back(std::move(g.tensors[id]));
  }
  g.tensors = std::move(kept);
  auto remap = [&](TensorId& id) {
    if (id != kNoTensor) id = renumbered[static_cast<size_t>(id)];
  };
  for (std::vector<Op>* ops : {&g.forward, &g.train, &g.eval}) {
    for (Op& op : *ops) {
      for (TensorId& id : op.in) remap(id);
      for (TensorId& id : op.out) remap(id);
      remap(op.workspace);
    }
  }
  for (TensorId* id : {&g.input, &g.labels, &g.loss, &g.logits}) remap(*id);
}

}  // namespace edgetrain::planner

#include "memory/liveness.h"

#include <algorithm>

namespace edgetrain::planner {

uint64_t aligned_bytes(uint64_t bytes) {
  return (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

std::vector<Lifetime> lifetimes(const Graph& g) {
  const int end = static_cast<int>(g.train.size()) - 1;
  std::vector<Lifetime> life(g.tensors.size());
  for (int i = 0; i <= end; ++i) {
    const Op& op = g.train[static_cast<size_t>(i)];
    for (TensorId id : op.out) {
      if (id != kNoTensor && life[id].first < 0) life[id] = {i, i};
    }
    for (TensorId id : op.in) {
      if (id != kNoTensor) life[id].last = std::max(life[id].last, i);
    }
    if (op.workspace != kNoTensor) {
      Lifetime& w = life[op.workspace];
      w = {w.first < 0 ? i : w.first, i};
    }
  }
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const Tensor& t = g.tensors[id];
    // Inputs are written by the trainer before the step; the loss is read after it.
    if (t.role == Role::Input || t.role == Role::Label) life[id].first = -1;
    if (static_cast<TensorId>(id) == g.loss) life[id].last = end;
    if (t.region() == Region::Params) life[id] = {-1, end};
  }
  return life;
}

std::vector<TensorId> alias_roots(const Graph& g) {
  std::vector<TensorId> root(g.tensors.size());
  for (size_t id = 0; id < root.size(); ++id) root[id] = static_cast<TensorId>(id);
  // Train order: an input is aliased before the op that consumes its own output's alias.
  for (const Op& op : g.train) {
    if (op.params.in_place == 0) continue;
    const size_t k = op.params.in_place - 1u;
    if (k >= op.in.size() || op.in[k] == kNoTensor || op.out.empty() || op.out[0] == kNoTensor) continue;
    root[static_cast<size_t>(op.out[0])] = root[static_cast<size_t>(op.in[k])];
  }
  return root;
}

}  // namespace edgetrain::planner

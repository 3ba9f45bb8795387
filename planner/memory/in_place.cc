#include "memory/in_place.h"

#include <algorithm>
#include <set>
#include <utility>

#include "memory/liveness.h"

namespace edgetrain::planner {

namespace {

bool consumable(const Graph& g, TensorId id) {
  if (id == kNoTensor || id == g.loss || id == g.logits) return false;
  const Role role = g.at(id).role;
  return role == Role::Activation || role == Role::Gradient;
}

int count(const std::vector<TensorId>& v, TensorId id) {
  return static_cast<int>(std::count(v.begin(), v.end(), id));
}

}  // namespace

void assign_in_place(Graph& g) {
  const std::vector<Lifetime> life = lifetimes(g);
  std::set<std::pair<TensorId, TensorId>> pairs;  // (in, out) aliased in the train schedule
  for (size_t i = 0; i < g.train.size(); ++i) {
    Op& op = g.train[i];
    op.params.in_place = 0;
    if (op.out.empty() || !consumable(g, op.out[0])) continue;
    const TensorId out = op.out[0];
    if (life[out].first != static_cast<int>(i)) continue;  // written before: not this op's
    for (size_t k = 0; k < op.in.size() && k < kMaxOpInputs; ++k) {
      const TensorId in = op.in[k];
      if (!op_allows_in_place(op.kind, static_cast<int>(k)) || !consumable(g, in)) continue;
      if (life[in].last != static_cast<int>(i) || count(op.in, in) != 1) continue;
      if (aligned_bytes(g.at(in).bytes()) != aligned_bytes(g.at(out).bytes())) continue;
      op.params.in_place = static_cast<uint8_t>(k + 1);
      pairs.emplace(in, out);
      break;
    }
  }
  for (Op& op : g.eval) {
    op.params.in_place = 0;
    if (op.out.empty()) continue;
    for (size_t k = 0; k < op.in.size(); ++k) {
      if (pairs.count({op.in[k], op.out[0]}) && op_allows_in_place(op.kind, static_cast<int>(k))) {
        op.params.in_place = static_cast<uint8_t>(k + 1);
        break;
      }
    }
  }
}

}  // namespace edgetrain::planner

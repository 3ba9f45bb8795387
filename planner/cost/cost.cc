#include "cost/cost.h"

namespace edgetrain::planner {

double TimeModel::forward(const Graph& g, int32_t forward_op) const {
  const auto i = static_cast<size_t>(forward_op);
  if (i < forward_seconds.size() && forward_seconds[i] >= 0) return forward_seconds[i];
  return op_flops(g, g.forward[i]) / flops_per_second;
}

double TimeModel::backward(const Graph& g, int32_t forward_op) const {
  const auto i = static_cast<size_t>(forward_op);
  if (i < backward_seconds.size() && backward_seconds[i] >= 0) return backward_seconds[i];
  double flops = 0;
  for (size_t k = g.forward.size(); k < g.train.size(); ++k) {
    if (g.train[k].source == forward_op && timed(g.train[k])) flops += op_flops(g, g.train[k]);
  }
  return flops / flops_per_second;
}

}  // namespace edgetrain::planner

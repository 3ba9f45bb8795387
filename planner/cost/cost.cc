#include "cost/cost.h"

namespace edgetrain::planner {

double TimeModel::forward(const Graph& g, int32_t forward_op) const {
  const auto i = static_cast<size_t>(forward_op);
  if (i < forward_seconds.size() && forward_seconds[i] >= 0) return forward_seconds[i];
  return op_flops(g, g.forward[i]) / flops_per_second;
}

std::vector<double> TimeModel::backward_all(const Graph& g) const {
  // One pass over the backward, summing each forward op's FLOPs in schedule order.
  std::vector<double> flops(g.forward.size(), 0.0);
  for (size_t k = g.forward.size(); k < g.train.size(); ++k) {
    const Op& op = g.train[k];
    if (timed(op) && static_cast<size_t>(op.source) < flops.size()) flops[static_cast<size_t>(op.source)] += op_flops(g, op);
  }
  std::vector<double> seconds(g.forward.size());
  for (size_t i = 0; i < seconds.size(); ++i) {
    const bool measured = i < backward_seconds.size() && backward_seconds[i] >= 0;
    seconds[i] = measured ? backward_seconds[i] : flops[i] / flops_per_second;
  }
  return seconds;
}

double TimeModel::backward(const Graph& g, int32_t forward_op) const {
  return backward_all(g).at(static_cast<size_t>(forward_op));
}

}  // namespace edgetrain::planner

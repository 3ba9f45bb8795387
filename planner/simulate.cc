#include "simulate.h"

#include <stdexcept>

#include "placement.h"

namespace edgetrain::planner {

namespace {

bool share_bytes(const Tensor& a, const Tensor& b) {
  return a.region() == b.region() && a.offset < b.offset + aligned_bytes(b.bytes()) &&
         b.offset < a.offset + aligned_bytes(a.bytes());
}

}  // namespace

std::string simulate(const Graph& g, const std::vector<Op>& schedule, TensorId read_after) {
  std::vector<bool> valid(g.tensors.size(), false);
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const Role role = g.tensors[id].role;
    valid[id] = g.tensors[id].region() == Region::Params || role == Role::Input || role == Role::Label;
  }
  for (size_t i = 0; i < schedule.size(); ++i) {
    const Op& op = schedule[i];
    const std::string where = "op " + std::to_string(i) + " (" + op_name(op.kind) + ")";
    for (TensorId in : op.in) {
      if (in != kNoTensor && !valid[in]) {
        return where + " reads '" + g.at(in).name + "', which is not written or was overwritten";
      }
    }
    std::vector<TensorId> written = op.out;
    if (op.workspace != kNoTensor) written.push_back(op.workspace);
    for (TensorId out : written) {
      if (out == kNoTensor) continue;
      if (out == op.workspace) {
        for (TensorId o : op.out) {
          if (o != kNoTensor && share_bytes(g.at(o), g.at(out))) {
            return where + " has its workspace on its output '" + g.at(o).name + "'";
          }
        }
      }
      for (TensorId in : op.in) {
        if (in != kNoTensor && in != out && share_bytes(g.at(in), g.at(out))) {
          return where + " writes '" + g.at(out).name + "' over its own input '" + g.at(in).name + "'";
        }
      }
      for (size_t other = 0; other < g.tensors.size(); ++other) {
        if (static_cast<TensorId>(other) != out && share_bytes(g.tensors[other], g.at(out))) {
          valid[other] = false;
        }
      }
      valid[out] = true;
    }
  }
  if (read_after != kNoTensor && !valid[read_after]) {
    return "'" + g.at(read_after).name + "' is overwritten before the step ends";
  }
  return {};
}

void check_plan(const Graph& g) {
  for (const auto* schedule : {&g.train, &g.eval}) {
    const std::string problem = simulate(g, *schedule, schedule == &g.train ? g.loss : g.logits);
    if (!problem.empty()) {
      throw std::logic_error(g.model + " batch " + std::to_string(g.batch) + ", " +
                             (schedule == &g.train ? "train" : "eval") + " schedule: " + problem);
    }
  }
}

}  // namespace edgetrain::planner

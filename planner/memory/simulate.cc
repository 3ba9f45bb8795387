#include "memory/simulate.h"

#include <stdexcept>

#include "memory/liveness.h"

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
    // The one write over an input the runtime allows: out[0] over in[k], where the kernel
    // reads each element before writing it, exactly on top (same offset and bytes).
    TensorId over = kNoTensor;
    if (op.params.in_place != 0) {
      const int k = op.params.in_place - 1;
      if (!op_allows_in_place(op.kind, k) || k >= static_cast<int>(op.in.size()) ||
          op.in[static_cast<size_t>(k)] == kNoTensor || op.out.empty() || op.out[0] == kNoTensor) {
        return where + " has in_place " + std::to_string(op.params.in_place) +
               ", which its kernel does not allow";
      }
      over = op.in[static_cast<size_t>(k)];
      const Tensor& a = g.at(over);
      const Tensor& b = g.at(op.out[0]);
      if (a.region() != b.region() || a.offset != b.offset || aligned_bytes(a.bytes()) != aligned_bytes(b.bytes())) {
        return where + " writes '" + b.name + "' in place of '" + a.name + "' at another offset or size";
      }
      for (size_t j = 0; j < op.in.size(); ++j) {
        if (static_cast<int>(j) != k && op.in[j] == over) {
          return where + " writes in place of '" + a.name + "', which it also reads in another slot";
        }
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
        if (in != kNoTensor && in != out && !(out == op.out[0] && in == over) && share_bytes(g.at(in), g.at(out))) {
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

namespace {

// The runtime's own operand check (plan_format.h), on the op as the plan will hold it.
std::string slot_problem(const Op& op, size_t index) {
  OpDesc d{op.kind, {}, {}, op.workspace, op.params};
  if (op.in.size() > kMaxOpInputs || op.out.size() > kMaxOpOutputs) return "op " + std::to_string(index) + " has too many operands";
  for (int k = 0; k < kMaxOpInputs; ++k) d.in[k] = k < static_cast<int>(op.in.size()) ? op.in[static_cast<size_t>(k)] : kNoTensor;
  for (int k = 0; k < kMaxOpOutputs; ++k) d.out[k] = k < static_cast<int>(op.out.size()) ? op.out[static_cast<size_t>(k)] : kNoTensor;
  const char* problem = op_slot_problem(d);
  return problem == nullptr ? "" : "op " + std::to_string(index) + " (" + op_name(op.kind) + ") " + problem;
}

}  // namespace

void check_plan(const Graph& g) {
  for (const auto* schedule : {&g.train, &g.eval}) {
    std::string problem = simulate(g, *schedule, schedule == &g.train ? g.loss : g.logits);
    for (size_t i = 0; i < schedule->size() && problem.empty(); ++i) problem = slot_problem((*schedule)[i], i);
    for (size_t i = 0; i < schedule->size() && problem.empty() && schedule == &g.eval; ++i) {
      if (op_info((*schedule)[i].kind).phase != OpPhase::Forward) problem = "op " + std::to_string(i) + " is not a forward op";
    }
    if (!problem.empty()) {
      throw std::logic_error(g.model + " batch " + std::to_string(g.batch) + ", " +
                             (schedule == &g.train ? "train" : "eval") + " schedule: " + problem);
    }
  }
}

}  // namespace edgetrain::planner

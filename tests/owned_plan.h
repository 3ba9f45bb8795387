// Tests that run planner-built graphs through the runtime: a runtime Plan over a placed planner
// Graph, owning its tables (what a generated plan file holds, built in memory).
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "plan_format.h"

namespace edgetrain::test {

// A runtime Plan over a placed planner Graph, owning its tables.
struct OwnedPlan {
  std::vector<TensorDesc> tensors;
  std::vector<OpDesc> train, eval;
  Plan plan{};

  explicit OwnedPlan(const planner::Graph& g) {
    for (const planner::Tensor& t : g.tensors) {
      TensorDesc d{t.name.c_str(), t.region(), t.dtype, t.init, static_cast<uint8_t>(t.shape.size()),
                   {1, 1, 1, 1}, t.fan_in, t.offset, t.bytes()};
      for (size_t i = 0; i < t.shape.size(); ++i) d.shape[i] = t.shape[i];
      tensors.push_back(d);
    }
    auto convert = [](const std::vector<planner::Op>& ops, std::vector<OpDesc>& out) {
      for (const planner::Op& op : ops) {
        OpDesc d{op.kind, {-1, -1, -1, -1, -1}, {-1, -1, -1}, op.workspace, op.params};
        for (size_t i = 0; i < op.in.size(); ++i) d.in[i] = op.in[i];
        for (size_t i = 0; i < op.out.size(); ++i) d.out[i] = op.out[i];
        out.push_back(d);
      }
    };
    convert(g.train, train);
    convert(g.eval, eval);
    plan.magic = kPlanMagic;
    plan.version = kPlanVersion;
    plan.model = g.model.c_str();
    plan.model_hash = planner::model_hash(g);
    plan.batch = g.batch;
    plan.arena_bytes = g.arena_bytes;
    plan.arena_lower_bound = g.arena_lower_bound;
    plan.params_bytes = g.params_bytes;
    plan.tensors = tensors.data();
    plan.tensor_count = static_cast<uint32_t>(tensors.size());
    plan.train_ops = train.data();
    plan.train_op_count = static_cast<uint32_t>(train.size());
    plan.eval_ops = eval.data();
    plan.eval_op_count = static_cast<uint32_t>(eval.size());
    plan.input = g.input;
    plan.labels = g.labels;
    plan.loss = g.loss;
    plan.logits = g.logits;
  }
};

}  // namespace edgetrain::test

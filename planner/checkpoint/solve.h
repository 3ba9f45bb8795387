// From a model graph, a policy and a memory budget to a placed, checked plan.
//
// Budgets count the whole step: the arena (activations, gradients, workspaces) plus the params
// block (weights, momentum, BatchNorm statistics), as the device allocates
// both. Each policy's family is planned and placed for real; the fastest member whose bytes fit
// wins (ties: the smaller). The optimal policy re-solves with a tighter DP budget while
// placement's fragmentation makes the real arena exceed the budget.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoint/chain.h"
#include "checkpoint/strategy.h"
#include "graph/graph.h"

namespace edgetrain::planner {

enum class Policy { StoreAll, Uniform, ChenSqrt, Seed, Optimal };

std::vector<std::string> policy_names();
Policy parse_policy(const std::string& name);  // throws std::invalid_argument
const char* policy_name(Policy p);

// Thrown when nothing fits; carries the smallest budget the policy can meet.
struct InfeasibleBudget : std::runtime_error {
  InfeasibleBudget(const std::string& what, uint64_t smallest)
      : std::runtime_error(what), smallest_bytes(smallest) {}
  uint64_t smallest_bytes;
};

struct Planned {
  Graph graph;        // placed and checked by the simulator
  Strategy strategy;
  double step_time = 0;       // seconds of the whole step (forward runs + backward)
  double store_all_time = 0;  // the same without recomputation
  uint64_t total_bytes() const { return graph.arena_bytes + graph.params_bytes; }
  double extra_forward_fraction() const { return step_time / store_all_time - 1.0; }
};

// `derived` comes from derive_schedules. budget_bytes 0: no limit (the fastest plan).
// in_place: let ops write over inputs that die there (in_place.h); off only to compare.
Planned plan_with_policy(const Graph& derived, const Chain& chain, Policy policy,
                         uint64_t budget_bytes, int slots = 1000, bool in_place = true);

// Applies one strategy to a copy of `derived`, places it and (unless told not to, for probes
// whose plan is thrown away) checks it with the simulator.
Planned realise(const Graph& derived, const Chain& chain, const Strategy& s, bool check = true,
                bool in_place = true);

// The optimal policy's least-memory plan (one DP): what an infeasible budget reports.
Planned least_memory_plan(const Graph& derived, const Chain& chain, int slots = 1000,
                          bool in_place = true);

// Every member of a policy's family (for the optimal policy, a sweep of budgets from the least
// feasible to store-all's), realised: the policy's memory-vs-time curve.
std::vector<Planned> policy_curve(const Graph& derived, const Chain& chain, Policy policy,
                                  int points = 12, int slots = 1000);

}  // namespace edgetrain::planner

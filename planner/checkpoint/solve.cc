#include "checkpoint/solve.h"

#include <algorithm>

#include "checkpoint/optimal.h"
#include "checkpoint/policies.h"
#include "checkpoint/rewrite.h"
#include "graph/allreduce.h"
#include "memory/in_place.h"
#include "memory/placement.h"
#include "memory/simulate.h"

namespace edgetrain::planner {

namespace {

struct Name {
  Policy policy;
  const char* name;
};
constexpr Name kNames[] = {{Policy::StoreAll, "store-all"}, {Policy::Uniform, "uniform"},
                           {Policy::ChenSqrt, "chen-sqrt"}, {Policy::Seed, "seed"},
                           {Policy::Optimal, "optimal"}};

std::vector<Strategy> family(const Chain& c, Policy p) {
  switch (p) {
    case Policy::StoreAll: return {store_all(c)};
    case Policy::Uniform: return uniform_segments(c);
    case Policy::ChenSqrt: return {chen_sqrt(c)};
    case Policy::Seed: return seed_heuristic(c);
    case Policy::Optimal: break;
  }
  throw std::logic_error("family: the optimal policy has none");
}

bool better(const Planned& a, const Planned& b) {
  if (a.step_time != b.step_time) return a.step_time < b.step_time;
  return a.total_bytes() < b.total_bytes();
}

Planned plan_optimal(const Graph& derived, const Chain& chain, uint64_t budget, int slots,
                     bool in_place) {
  Planned all = realise(derived, chain, store_all(chain), true, in_place);
  if (budget == 0 || all.total_bytes() <= budget) return all;
  // The DP's model is conservative (it may count a value as live a little past its last read),
  // so the real plan of a DP budget can be smaller than the budget: search the DP budgets for
  // the largest whose realised plan fits. Realised bytes grow with the DP budget.
  const OptimalSolver solver(chain, all.graph.arena_bytes, slots);
  const std::optional<uint64_t> least = solver.min_feasible();
  if (!least) throw std::logic_error("optimal: even store-all memory does not fit its own model");
  uint64_t lo = *least / solver.unit(), hi = all.graph.arena_bytes / solver.unit();
  Planned best = realise(derived, chain, *solver.solve(lo * solver.unit()), false, in_place);
  if (best.total_bytes() > budget) throw InfeasibleBudget("no optimal schedule fits", best.total_bytes());
  while (lo < hi) {  // invariant: lo fits
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    Planned p = realise(derived, chain, *solver.solve(mid * solver.unit()), false, in_place);
    if (p.total_bytes() <= budget) {
      lo = mid;
      if (better(p, best)) best = std::move(p);
    } else {
      hi = mid - 1;
    }
  }
  check_plan(best.graph);
  return best;
}

}  // namespace

std::vector<std::string> policy_names() {
  std::vector<std::string> v;
  for (const Name& n : kNames) v.emplace_back(n.name);
  return v;
}

Policy parse_policy(const std::string& name) {
  for (const Name& n : kNames) {
    if (name == n.name) return n.policy;
  }
  std::string known;
  for (const Name& n : kNames) known += (known.empty() ? "" : ", ") + std::string(n.name);
  throw std::invalid_argument("unknown policy '" + name + "' (known: " + known + ")");
}

const char* policy_name(Policy p) {
  for (const Name& n : kNames) {
    if (n.policy == p) return n.name;
  }
  return "?";
}

Planned realise(const Graph& derived, const Chain& chain, const Strategy& s, bool check,
                bool in_place) {
  Planned p{derived, s, step_time(s, chain), step_time(store_all(chain), chain)};
  apply_strategy(p.graph, chain, s);
  if (p.graph.allreduce_bucket_bytes != 0) add_gradient_allreduce(p.graph, p.graph.allreduce_bucket_bytes);
  if (in_place) assign_in_place(p.graph);
  place(p.graph);
  if (check) check_plan(p.graph);
  return p;
}

Planned least_memory_plan(const Graph& derived, const Chain& chain, int slots, bool in_place) {
  const Planned all = realise(derived, chain, store_all(chain), false, in_place);
  const OptimalSolver solver(chain, all.graph.arena_bytes, slots);
  const std::optional<uint64_t> least = solver.min_feasible();
  if (!least) throw std::logic_error("optimal: even store-all memory does not fit its own model");
  return realise(derived, chain, *solver.solve(*least), true, in_place);
}

Planned plan_with_policy(const Graph& derived, const Chain& chain, Policy policy,
                         uint64_t budget_bytes, int slots, bool in_place) {
  if (policy == Policy::Optimal) return plan_optimal(derived, chain, budget_bytes, slots, in_place);
  std::optional<Planned> best;
  uint64_t smallest = UINT64_MAX;
  for (const Strategy& s : family(chain, policy)) {
    Planned p = realise(derived, chain, s, false, in_place);
    smallest = std::min(smallest, p.total_bytes());
    if (budget_bytes != 0 && p.total_bytes() > budget_bytes) continue;
    if (!best || better(p, *best)) best = std::move(p);
  }
  if (!best) throw InfeasibleBudget(std::string("no ") + policy_name(policy) + " plan fits", smallest);
  check_plan(best->graph);
  return std::move(*best);
}

std::vector<Planned> policy_curve(const Graph& derived, const Chain& chain, Policy policy,
                                  int points, int slots) {
  std::vector<Planned> curve;
  if (policy != Policy::Optimal) {
    for (const Strategy& s : family(chain, policy)) curve.push_back(realise(derived, chain, s));
    return curve;
  }
  const Planned all = realise(derived, chain, store_all(chain));
  const OptimalSolver solver(chain, all.graph.arena_bytes, slots);
  const uint64_t least = solver.min_feasible().value_or(all.graph.arena_bytes);
  const uint64_t top = all.graph.arena_bytes;
  for (int i = 0; i < points; ++i) {
    const uint64_t m = least + (top - least) * static_cast<uint64_t>(i) / static_cast<uint64_t>(std::max(1, points - 1));
    if (std::optional<Strategy> s = solver.solve(m)) curve.push_back(realise(derived, chain, *s));
  }
  return curve;
}

}  // namespace edgetrain::planner

#include "checkpoint/peak_budget.h"

#include "checkpoint/policies.h"

namespace edgetrain::planner {

Planned plan_for_peak(const Graph& derived, const Chain& chain, Policy policy, uint64_t peak_bytes,
                      const OffArenaModel& model, const TrainerData& data, int slots, bool in_place) {
  const Planned all = realise(derived, chain, store_all(chain), false, in_place);
  const PeakPrediction all_peak = predict_peak(all.graph, model, data);
  if (all_peak.load_peak > peak_bytes) {
    throw InfeasibleBudget("reading the data set does not fit", all_peak.load_peak);
  }
  const uint64_t off_arena = all_peak.run_peak - all.total_bytes();
  uint64_t step_budget = peak_bytes > off_arena ? peak_bytes - off_arena : 1;
  for (int attempt = 0;; ++attempt) {
    Planned p;
    try {
      p = plan_with_policy(derived, chain, policy, step_budget, slots, in_place);
    } catch (const InfeasibleBudget& e) {
      // The least-memory plan's own prediction (what the process holds besides the plan varies
      // a little with the schedule: XNNPACK's heap blocks); other policies: their smallest plus
      // store-all's remainder.
      const uint64_t smallest = policy == Policy::Optimal
          ? predict_peak(least_memory_plan(derived, chain, slots, in_place).graph, model, data).peak()
          : e.smallest_bytes + off_arena;
      throw InfeasibleBudget(e.what(), smallest);
    }
    const uint64_t peak = predict_peak(p.graph, model, data).peak();
    if (peak <= peak_bytes) return p;
    if (attempt == 3 || peak - peak_bytes >= step_budget) {
      throw InfeasibleBudget("no plan's predicted peak fits", peak);
    }
    step_budget -= peak - peak_bytes;
  }
}

}  // namespace edgetrain::planner

#include <doctest/doctest.h>

#include "checkpoint/chain.h"
#include "checkpoint/peak_budget.h"
#include "graph/training.h"
#include "import/zoo.h"

using namespace edgetrain::planner;

TEST_CASE("a peak budget plans the step in what the rest of the process leaves") {
  Graph g = build_zoo_model("fashion_cnn", 32);
  derive_schedules(g);
  const Chain c = build_chain(g);
  const OffArenaModel model = off_arena_model("host");
  const TrainerData data{false, 32};  // synthetic: Fashion-MNIST's reading would dominate
  const auto peak = [&](const Planned& p) { return predict_peak(p.graph, model, data).peak(); };
  const Planned all = plan_with_policy(g, c, Policy::StoreAll, 0);
  const Planned least = least_memory_plan(g, c, 50);
  REQUIRE(peak(least) < peak(all));

  // Half-way between the least-memory plan's peak and store-all's: recomputation, and a plan
  // whose predicted peak fits, with as much of the budget used as the step budget allows.
  const uint64_t budget = (peak(least) + peak(all)) / 2;
  const Planned p = plan_for_peak(g, c, Policy::Optimal, budget, model, data, 50);
  CHECK(peak(p) <= budget);
  CHECK(p.step_time > all.step_time);
  const uint64_t off_arena = peak(all) - all.total_bytes();
  CHECK(p.total_bytes() <= budget - off_arena);
  CHECK(p.total_bytes() == plan_with_policy(g, c, Policy::Optimal, budget - off_arena, 50).total_bytes());

  // Store-all fits its own peak exactly; below the least-memory plan's peak nothing does, and the
  // error says how much would.
  CHECK(peak(plan_for_peak(g, c, Policy::StoreAll, peak(all), model, data)) == peak(all));
  try {
    plan_for_peak(g, c, Policy::Optimal, peak(least) - 4096, model, data, 50);
    FAIL("a budget below the least-memory plan's peak was met");
  } catch (const InfeasibleBudget& e) {
    CHECK(e.smallest_bytes == peak(least));
  }
  // Reading Fashion-MNIST alone needs more than 50 MB.
  CHECK_THROWS_WITH_AS(plan_for_peak(g, c, Policy::Optimal, 50000000, model, {true, 0}, 50),
                       doctest::Contains("reading the data set"), InfeasibleBudget);
}

// The human report of one plan: what each layer costs and whether the step keeps or recomputes
// it, the chosen checkpoints, and every policy's memory-vs-time Pareto points (Markdown, and a
// PNG drawn by gnuplot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint/chain.h"
#include "checkpoint/solve.h"
#include "graph/graph.h"

namespace edgetrain::planner {

// One point of a policy's curve: the whole step's bytes and its time over store-all's.
struct ParetoPoint {
  std::string policy, member;
  uint64_t total_bytes = 0;
  double relative_time = 1;  // step time / store-all step time, in the chain's time model
};

// Every policy's curve (solve.h's policy_curve), each cut to its Pareto points: the least time
// for its bytes, sorted by bytes.
std::vector<ParetoPoint> pareto_points(const Graph& derived, const Chain& chain);

// report.md: `derived` and `chain` as planned, `chosen` the plan written.
std::string report_markdown(const Graph& derived, const Chain& chain, const Planned& chosen,
                            const std::string& policy, uint64_t budget_bytes,
                            const std::vector<ParetoPoint>& points);

// Writes dir/report.md, dir/pareto.dat, dir/pareto.gp and dir/pareto.png (running gnuplot
// from PATH); creates dir. Throws std::runtime_error with one line on any failure, including a
// missing gnuplot.
void write_report(const std::string& dir, const Graph& derived, const Chain& chain,
                  const Planned& chosen, const std::string& policy, uint64_t budget_bytes);

}  // namespace edgetrain::planner

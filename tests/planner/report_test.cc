#include <doctest/doctest.h>

#include <string>

#include "emit/report.h"
#include "graph/training.h"
#include "import/zoo.h"

using namespace edgetrain::planner;

TEST_CASE("every policy's Pareto points trade bytes for time, and the report lists them") {
  Graph g = build_zoo_model("fashion_cnn", 8);
  derive_schedules(g);
  const Chain c = build_chain(g);
  const std::vector<ParetoPoint> points = pareto_points(g, c);
  for (const std::string& policy : policy_names()) {
    const ParetoPoint* last = nullptr;
    for (const ParetoPoint& p : points) {
      if (p.policy != policy) continue;
      if (last) {
        CHECK(p.total_bytes > last->total_bytes);
        CHECK(p.relative_time < last->relative_time);
      }
      last = &p;
    }
    REQUIRE(last);
    CHECK(last->relative_time >= 1.0 - 1e-9);  // the most memory buys at best store-all's time
  }
  const Planned chosen = plan_with_policy(g, c, Policy::Seed, 0);
  const std::string md = report_markdown(g, c, chosen, "seed", 0, points);
  CHECK(md.find("| 3 | relu1 | Relu | 8x28x28x16 | 401408 |") != std::string::npos);
  CHECK(md.find("| store-all | - | ") != std::string::npos);
  CHECK(md.find("- budget: none") != std::string::npos);
}

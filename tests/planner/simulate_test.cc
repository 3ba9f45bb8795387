#include <doctest/doctest.h>

#include "graph/training.h"
#include "import/zoo.h"
#include "memory/placement.h"
#include "memory/simulate.h"
#include "graph_lookup.h"

using namespace edgetrain;
using namespace edgetrain::planner;
using namespace edgetrain::test;

namespace {

Graph planned(uint32_t batch) {
  Graph g = build_zoo_model("fashion_cnn", batch);
  derive_schedules(g);
  place(g);
  return g;
}

}  // namespace

TEST_CASE("the simulator accepts the planner's plans") {
  const Graph g = planned(5);
  CHECK(simulate(g, g.train, g.loss) == "");
  CHECK(simulate(g, g.eval, g.logits) == "");
}

TEST_CASE("the simulator catches a live tensor overwritten by another") {
  Graph g = planned(5);
  // conv1's output is read by bn1 backward at the end of the step; put pool1's output on it.
  g.at(named(g, "pool1")).offset = g.at(named(g, "conv1")).offset;
  const std::string problem = simulate(g, g.train, g.loss);
  CHECK(problem.find("reads 'conv1'") != std::string::npos);
  CHECK_THROWS_WITH(check_plan(g), doctest::Contains("train schedule"));
}

TEST_CASE("the simulator catches an op writing over its own input") {
  Graph g = planned(5);
  g.at(named(g, "relu1")).offset = g.at(named(g, "bn1")).offset;
  CHECK(simulate(g, g.train, g.loss).find("over its own input 'bn1'") != std::string::npos);
}

TEST_CASE("the simulator catches a read before any write") {
  Graph g = planned(5);
  std::swap(g.train[1], g.train[2]);  // bn1 before conv1 (op 0 is the input's Normalize)
  CHECK(simulate(g, g.train, g.loss).find("reads 'conv1', which is not written") != std::string::npos);
}

TEST_CASE("the simulator catches a step output overwritten before the end") {
  Graph g = planned(5);
  // Move the loss and the last gradient the step writes to fresh space past the arena.
  g.at(g.loss).offset = g.at(named(g, "d.conv1")).offset = g.arena_bytes;
  CHECK(simulate(g, g.train, g.loss).find("'loss'") != std::string::npos);
}

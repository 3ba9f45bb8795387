// Writes a plan whose model and layer names are tests/planner/nasty_names.h's, straight through
// the emitter (no importer would take them): nasty_plan OUT.gen.cc
#include <fstream>
#include <iostream>

#include "emit/emit.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "memory/placement.h"
#include "nasty_names.h"

int main(int argc, char** argv) {
  using namespace edgetrain::planner;
  if (argc != 2) {
    std::cerr << "usage: nasty_plan OUT.gen.cc\n";
    return 1;
  }
  ModelBuilder b(edgetrain::test::kNastyModel, 2, 4, 4, 1, 2);
  const TensorId c = b.conv(edgetrain::test::kNastyConv, b.input(), 2, 3, 1, 1);
  const TensorId r = b.relu(edgetrain::test::kNastyRelu, c);
  Graph g = b.finish(b.fc("fc", r, 2));
  derive_schedules(g);
  place(g);
  std::ofstream out(argv[1], std::ios::binary);
  emit_cpp(out, {g});
  return out ? 0 : 1;
}

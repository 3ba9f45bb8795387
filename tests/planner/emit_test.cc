// The emitter writes names only as escaped literals and symbols only from identifier characters,
// whatever the Graph holds (importers refuse such names; this is the second line of defence).
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "emit/emit.h"
#include "graph/model_builder.h"
#include "graph/training.h"
#include "memory/placement.h"
#include "nasty_names.h"
#include "util/json.h"
#include "util/names.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

Graph nasty_plan(const std::string& model) {
  ModelBuilder b(model, 2, 4, 4, 1, 2);
  const TensorId c = b.conv(test::kNastyConv, b.input(), 2, 3, 1, 1);
  const TensorId r = b.relu(test::kNastyRelu, c);
  Graph g = b.finish(b.fc("fc", r, 2));
  derive_schedules(g);
  place(g);
  return g;
}

}  // namespace

TEST_CASE("the JSON plan reads back with the names it was given") {
  std::ostringstream os;
  emit_json(os, {nasty_plan(test::kNastyModel)});
  const JsonValue doc = parse_json(os.str(), "plan.json");
  const JsonValue& plan = doc.get("plans")->items.at(0);
  CHECK(plan.get("model")->text == test::kNastyModel);
  int found = 0;
  for (const JsonValue& t : plan.get("tensors")->items) {
    found += t.get("name")->text == test::kNastyConv || t.get("name")->text == test::kNastyRelu;
  }
  CHECK(found == 2);
}

TEST_CASE("generated C++: names only inside escaped literals, symbols from identifier characters") {
  std::ostringstream os;
  emit_cpp(os, {nasty_plan(test::kNastyModel), nasty_plan("m_b2")});
  const std::string cpp = os.str();
  // The names' quotes and newlines are escapes inside their literals, so every line is the
  // emitter's own; comments and symbols carry only identifier characters.
  CHECK(cpp.find("\nstatic int x") == std::string::npos);
  CHECK(cpp.find("\n*/") == std::string::npos);
  CHECK(cpp.find(R"(kPlanVersion, "m\"; int injected = 1; //\n*/ \\", )") != std::string::npos);
  CHECK(cpp.find(R"({"c\");\nstatic int x = system(\"id\"); /* */ \\", Region::Arena)") != std::string::npos);
  CHECK(cpp.find(R"({"r\0011\077\077=\t\\", Region::Arena)") != std::string::npos);
  const std::string id = identifier_fragment(test::kNastyModel);
  CHECK(cpp.find("\n// " + id + ", batch 2: arena ") != std::string::npos);
  // The sanitised name gets the plan's index: no clash with a model called that.
  CHECK(cpp.find("const Plan kPlan_" + id + "_b2_0 = ") != std::string::npos);
  CHECK(cpp.find("const Plan kPlan_m_b2_b2 = ") != std::string::npos);
  // The layout check the generated file carries, with this build's numbers.
  CHECK(cpp.find("static_assert(sizeof(OpParams) == " + std::to_string(sizeof(OpParams))) != std::string::npos);
  CHECK(cpp.find("offsetof(OpParams, eps) == " + std::to_string(offsetof(OpParams, eps))) != std::string::npos);
}

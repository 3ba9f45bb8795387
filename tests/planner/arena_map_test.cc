#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "graph/training.h"
#include "import/zoo.h"
#include "memory/arena_map.h"
#include "memory/liveness.h"
#include "memory/placement.h"

using namespace edgetrain;
using namespace edgetrain::planner;

namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("the arena map draws each tensor exactly over its lifetime and bytes") {
  Graph g = build_zoo_model("fashion_cnn", 4);
  derive_schedules(g);
  place(g);
  constexpr int kColumns = 64;
  const std::vector<std::string> map = lines(arena_map(g, kColumns));
  const std::vector<Lifetime> life = lifetimes(g);
  REQUIRE(map.size() > g.train.size() + 1);
  // The largest arena tensor fills whole columns: its letter is in every row of its lifetime
  // and in no other row at the columns it alone covers.
  TensorId big = kNoTensor;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (g.tensors[id].region() == Region::Arena && (big == kNoTensor || g.tensors[id].bytes() > g.at(big).bytes())) {
      big = static_cast<TensorId>(id);
    }
  }
  const std::string& name = g.at(big).name;
  char letter = 0;
  for (const std::string& l : map) {
    if (l.size() > 4 && l.compare(4, name.size() + 1, name + " ") == 0) letter = l[2];
  }
  REQUIRE(letter != 0);
  const double slice = static_cast<double>(g.arena_bytes) / kColumns;
  const int mid = static_cast<int>((static_cast<double>(g.at(big).offset) + static_cast<double>(g.at(big).bytes()) / 2.0) / slice);
  for (int i = 0; i < static_cast<int>(g.train.size()); ++i) {
    const std::string& row = map[static_cast<size_t>(i) + 1];
    const size_t bar = row.find('|');
    REQUIRE(bar != std::string::npos);
    REQUIRE(row.size() == bar + kColumns + 2);
    CAPTURE(i);
    CHECK((row[bar + 1 + static_cast<size_t>(mid)] == letter) == (life[big].first <= i && i <= life[big].last));
  }
}

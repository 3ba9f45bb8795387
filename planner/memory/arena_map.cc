#include "memory/arena_map.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "memory/liveness.h"

namespace edgetrain::planner {

namespace {

constexpr char kLetters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kLetterCount = sizeof kLetters - 1;

}  // namespace

std::string arena_map(const Graph& g, int columns) {
  const std::vector<Lifetime> life = lifetimes(g);
  std::vector<TensorId> arena;  // the arena tensors that some op touches, by offset
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const Tensor& t = g.tensors[id];
    if (t.region() == Region::Arena && life[id].last >= 0 && t.bytes() > 0) arena.push_back(static_cast<TensorId>(id));
  }
  std::stable_sort(arena.begin(), arena.end(), [&](TensorId a, TensorId b) { return g.at(a).offset < g.at(b).offset; });
  std::vector<char> letter(g.tensors.size(), '?');
  for (size_t k = 0; k < arena.size(); ++k) letter[static_cast<size_t>(arena[k])] = kLetters[k % kLetterCount];

  const double slice = static_cast<double>(std::max<uint64_t>(g.arena_bytes, 1)) / columns;
  char line[160];
  std::snprintf(line, sizeof line, "arena %llu bytes, %d columns of %.0f bytes; rows: train ops\n",
                static_cast<unsigned long long>(g.arena_bytes), columns, slice);
  std::string out = line;
  for (int i = 0; i < static_cast<int>(g.train.size()); ++i) {
    std::string row(static_cast<size_t>(columns), '.');
    std::vector<double> best(static_cast<size_t>(columns), 0.0);
    for (TensorId id : arena) {
      if (life[id].first > i || i > life[id].last) continue;
      const double begin = static_cast<double>(g.at(id).offset);
      const double end = begin + static_cast<double>(g.at(id).bytes());
      const int c0 = static_cast<int>(begin / slice);
      const int c1 = std::min(columns - 1, static_cast<int>((end - 1) / slice));
      for (int c = c0; c <= c1; ++c) {
        const double covered = std::min(end, (c + 1) * slice) - std::max(begin, c * slice);
        if (covered >= best[static_cast<size_t>(c)]) {  // ties: the later tensor (an in-place write)
          best[static_cast<size_t>(c)] = covered;
          row[static_cast<size_t>(c)] = letter[static_cast<size_t>(id)];
        }
      }
    }
    std::snprintf(line, sizeof line, "%4d %-24.24s |", i, op_name(g.train[static_cast<size_t>(i)].kind));
    out += line + row + "|\n";
  }
  for (TensorId id : arena) {
    const Tensor& t = g.at(id);
    std::snprintf(line, sizeof line, "  %c %-40.40s %12llu B  ops %d..%d\n", letter[static_cast<size_t>(id)],
                  t.name.c_str(), static_cast<unsigned long long>(t.bytes()), life[id].first, life[id].last);
    out += line;
  }
  return out;
}

}  // namespace edgetrain::planner

#include "memory/placement.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>

#include "memory/liveness.h"

namespace edgetrain::planner {

namespace {

bool overlap(const Lifetime& a, const Lifetime& b) {
  return a.first <= b.last && b.first <= a.last;
}

uint64_t lower_bound(const Graph& g, const std::vector<size_t>& arena,
                     const std::vector<Lifetime>& life) {
  uint64_t best = 0;
  for (int i = -1; i < static_cast<int>(g.train.size()); ++i) {
    uint64_t live = 0;
    for (size_t id : arena) {
      if (life[id].first <= i && i <= life[id].last) live += aligned_bytes(g.tensors[id].bytes());
    }
    best = std::max(best, live);
  }
  return best;
}

// Places `order` one by one, each at the best-fitting gap among the tensors already placed that
// overlap it in time; returns the arena size.
uint64_t best_fit(Graph& g, const std::vector<size_t>& order, const std::vector<Lifetime>& life) {
  std::vector<size_t> placed;
  uint64_t arena_bytes = 0;
  for (size_t id : order) {
    const uint64_t size = aligned_bytes(g.tensors[id].bytes());
    std::vector<std::pair<uint64_t, uint64_t>> busy;  // [begin, end) of time-overlapping tensors
    for (size_t other : placed) {
      if (overlap(life[id], life[other])) {
        busy.emplace_back(g.tensors[other].offset,
                          g.tensors[other].offset + aligned_bytes(g.tensors[other].bytes()));
      }
    }
    std::sort(busy.begin(), busy.end());
    uint64_t best_offset = 0, best_gap = std::numeric_limits<uint64_t>::max(), cursor = 0;
    bool found = false;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor && begin - cursor >= size && begin - cursor < best_gap) {
        best_offset = cursor, best_gap = begin - cursor, found = true;
      }
      cursor = std::max(cursor, end);
    }
    g.tensors[id].offset = found ? best_offset : cursor;
    arena_bytes = std::max(arena_bytes, g.tensors[id].offset + size);
    placed.push_back(id);
  }
  return arena_bytes;
}

}  // namespace

void place(Graph& g) {
  // Aliased tensors (in-place writes) are one buffer: placed once, at the root, over the union
  // of their lifetimes (which touch at the op writing one over the other).
  const std::vector<TensorId> root = alias_roots(g);
  std::vector<Lifetime> life = lifetimes(g);
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const auto r = static_cast<size_t>(root[id]);
    if (r == id || life[id].last < 0) continue;
    life[r].first = std::min(life[r].first, life[id].first);
    life[r].last = std::max(life[r].last, life[id].last);
  }
  std::vector<size_t> arena;
  g.params_bytes = 0;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    Tensor& t = g.tensors[id];
    if (t.region() == Region::Params) {
      t.offset = g.params_bytes;
      g.params_bytes += aligned_bytes(t.bytes());
    } else if (static_cast<size_t>(root[id]) == id) {
      arena.push_back(id);
    }
  }

  // Best fit in ten orders, keeping the smallest arena: largest first is the classic, but
  // recompute schedules have many short-lived clones that pack better by first use or by
  // bytes x lifetime. Every order is deterministic (ties by id).
  auto bytes_of = [&](size_t id) { return g.tensors[id].bytes(); };
  auto span = [&](size_t id) { return static_cast<uint64_t>(life[id].last - life[id].first + 1); };
  const uint64_t steps = g.train.size() + 1;
  std::vector<std::function<bool(size_t, size_t)>> orders = {
      [&](size_t a, size_t b) {
        if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
        if (life[a].first != life[b].first) return life[a].first < life[b].first;
        return a < b;
      },
      [&](size_t a, size_t b) {
        if (bytes_of(a) * span(a) != bytes_of(b) * span(b)) return bytes_of(a) * span(a) > bytes_of(b) * span(b);
        return a < b;
      },
      [&](size_t a, size_t b) {
        if (span(a) != span(b)) return span(a) > span(b);
        if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
        return a < b;
      },
      [&](size_t a, size_t b) {
        if (life[a].first != life[b].first) return life[a].first < life[b].first;
        if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
        return a < b;
      },
      [&](size_t a, size_t b) {  // aligned size, then the longer-lived first
        const uint64_t sa = aligned_bytes(bytes_of(a)), sb = aligned_bytes(bytes_of(b));
        if (sa != sb) return sa > sb;
        if (span(a) != span(b)) return span(a) > span(b);
        return a < b;
      },
      [&](size_t a, size_t b) {
        if (life[a].last != life[b].last) return life[a].last > life[b].last;
        if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
        return a < b;
      },
  };
  // Long-lived tensors (BatchNorm statistics held from the first forward to the backward nest
  // like a stack) at the bottom in order of first use, then the rest by size.
  for (uint64_t k : {2, 4, 8}) {
    orders.push_back([&, k](size_t a, size_t b) {
      const bool la = k * span(a) > steps, lb = k * span(b) > steps;
      if (la != lb) return la;
      if (la && life[a].first != life[b].first) return life[a].first < life[b].first;
      if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
      return a < b;
    });
  }
  // Greedy by breadth: tensors live at the busiest ops first (those at the peak then pack into
  // exactly the lower bound), each op's live bytes its breadth.
  std::vector<uint64_t> live_at(steps + 1, 0), breadth(g.tensors.size(), 0);
  for (size_t id : arena) {
    for (int i = std::max(life[id].first, -1); i <= life[id].last; ++i) live_at[static_cast<size_t>(i + 1)] += aligned_bytes(bytes_of(id));
  }
  for (size_t id : arena) {
    for (int i = std::max(life[id].first, -1); i <= life[id].last; ++i) breadth[id] = std::max(breadth[id], live_at[static_cast<size_t>(i + 1)]);
  }
  orders.push_back([&](size_t a, size_t b) {
    if (breadth[a] != breadth[b]) return breadth[a] > breadth[b];
    if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
    return a < b;
  });
  std::vector<uint64_t> best_offsets;
  uint64_t best_arena = std::numeric_limits<uint64_t>::max();
  auto attempt = [&] {
    const uint64_t size = best_fit(g, arena, life);
    if (size < best_arena) {
      best_arena = size;
      best_offsets.clear();
      for (const Tensor& t : g.tensors) best_offsets.push_back(t.offset);
    }
  };
  // No order beats the lower bound: stop trying once one reaches it.
  const uint64_t bound = lower_bound(g, arena, life);
  for (const auto& order : orders) {
    if (best_arena <= bound) break;
    std::sort(arena.begin(), arena.end(), order);
    attempt();
  }
  // The same orders with the small tensors (ReLU masks, max-pool taps, BatchNorm statistics)
  // last, where they fill the gaps the big ones leave.
  uint64_t largest = 0;
  for (size_t id : arena) largest = std::max(largest, bytes_of(id));
  for (const auto& order : orders) {
    if (best_arena <= bound) break;
    std::sort(arena.begin(), arena.end(), [&](size_t a, size_t b) {
      const bool sa = 16 * bytes_of(a) < largest, sb = 16 * bytes_of(b) < largest;
      if (sa != sb) return sb;
      return order(a, b);
    });
    attempt();
  }
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    if (g.tensors[id].region() == Region::Arena) g.tensors[id].offset = best_offsets[static_cast<size_t>(root[id])];
  }
  g.arena_bytes = best_arena;
  g.arena_lower_bound = bound;
}

}  // namespace edgetrain::planner

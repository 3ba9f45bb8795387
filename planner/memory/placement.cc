#include "memory/placement.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "memory/busy_index.h"
#include "memory/liveness.h"

namespace edgetrain::planner {

namespace {

// Aligned bytes live at each op, index i + 1 for op i (index 0: before the first op, where the
// inputs are): one sweep over lifetime ends, not a scan of every tensor at every op.
std::vector<uint64_t> live_bytes(const Graph& g, const std::vector<size_t>& arena,
                                 const std::vector<Lifetime>& life) {
  const size_t steps = g.train.size() + 1;
  std::vector<int64_t> delta(steps + 1, 0);
  for (size_t id : arena) {
    const int first = std::max(life[id].first, -1), last = life[id].last;
    if (first > last) continue;
    const auto bytes = static_cast<int64_t>(aligned_bytes(g.tensors[id].bytes()));
    delta[static_cast<size_t>(first + 1)] += bytes;
    delta[static_cast<size_t>(last + 2)] -= bytes;
  }
  std::vector<uint64_t> live(steps, 0);
  int64_t running = 0;
  for (size_t i = 0; i < steps; ++i) live[i] = static_cast<uint64_t>(running += delta[i]);
  return live;
}

// The largest of `v` over [lo, hi], in O(1) after O(n log n): a sparse table of maxima over
// power-of-two spans.
class RangeMax {
 public:
  explicit RangeMax(const std::vector<uint64_t>& v) : table_{v} {
    for (size_t span = 1; 2 * span <= v.size(); span *= 2) {
      const std::vector<uint64_t>& prev = table_.back();
      std::vector<uint64_t> next(v.size() - 2 * span + 1);
      for (size_t i = 0; i < next.size(); ++i) next[i] = std::max(prev[i], prev[i + span]);
      table_.push_back(std::move(next));
    }
  }
  uint64_t max(size_t lo, size_t hi) const {
    size_t level = 0;
    while ((size_t{2} << level) <= hi - lo + 1) ++level;
    return std::max(table_[level][lo], table_[level][hi + 1 - (size_t{1} << level)]);
  }

 private:
  std::vector<std::vector<uint64_t>> table_;  // table_[k][i]: max of v[i .. i + 2^k - 1]
};

// Places `order` one by one, each at the best-fitting gap among the tensors already placed that
// overlap it in time (busy_index.h); returns the arena size.
uint64_t best_fit(Graph& g, const std::vector<size_t>& order, const std::vector<Lifetime>& life) {
  BusyIndex busy(g.train.size() + 1);  // time point i + 1 is op i; 0 is before the first op
  uint64_t arena_bytes = 0;
  for (size_t id : order) {
    const uint64_t size = aligned_bytes(g.tensors[id].bytes());
    const auto first = static_cast<size_t>(std::max(life[id].first, -1) + 1);
    const auto last = static_cast<size_t>(life[id].last + 1);
    if (life[id].last < life[id].first) throw std::logic_error("tensor '" + g.tensors[id].name + "' has no lifetime");
    const uint64_t offset = busy.best_fit(first, last, size);
    g.tensors[id].offset = offset;
    busy.add(first, last, offset, offset + size);
    arena_bytes = std::max(arena_bytes, offset + size);
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
  const std::vector<uint64_t> live_at = live_bytes(g, arena, life);
  const RangeMax busiest(live_at);
  std::vector<uint64_t> breadth(g.tensors.size(), 0);
  for (size_t id : arena) {
    const int first = std::max(life[id].first, -1);
    if (first <= life[id].last) breadth[id] = busiest.max(static_cast<size_t>(first + 1), static_cast<size_t>(life[id].last + 1));
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
  const uint64_t bound = *std::max_element(live_at.begin(), live_at.end());
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

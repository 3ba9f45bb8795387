#include "placement.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace edgetrain::planner {

uint64_t aligned_bytes(uint64_t bytes) {
  return (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

std::vector<Lifetime> lifetimes(const Graph& g) {
  const int end = static_cast<int>(g.train.size()) - 1;
  std::vector<Lifetime> life(g.tensors.size());
  for (int i = 0; i <= end; ++i) {
    const Op& op = g.train[static_cast<size_t>(i)];
    for (TensorId id : op.out) {
      if (id != kNoTensor && life[id].first < 0) life[id] = {i, i};
    }
    for (TensorId id : op.in) {
      if (id != kNoTensor) life[id].last = std::max(life[id].last, i);
    }
    if (op.workspace != kNoTensor) {
      Lifetime& w = life[op.workspace];
      w = {w.first < 0 ? i : w.first, i};
    }
  }
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    const Tensor& t = g.tensors[id];
    // Inputs are written by the trainer before the step; the loss is read after it.
    if (t.role == Role::Input || t.role == Role::Label) life[id].first = -1;
    if (static_cast<TensorId>(id) == g.loss) life[id].last = end;
    if (t.region() == Region::Params) life[id] = {-1, end};
  }
  return life;
}

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

}  // namespace

void place(Graph& g) {
  const std::vector<Lifetime> life = lifetimes(g);
  std::vector<size_t> arena;
  g.params_bytes = 0;
  for (size_t id = 0; id < g.tensors.size(); ++id) {
    Tensor& t = g.tensors[id];
    if (t.region() == Region::Params) {
      t.offset = g.params_bytes;
      g.params_bytes += aligned_bytes(t.bytes());
    } else {
      arena.push_back(id);
    }
  }

  // Largest first; ties by earlier first use, then id, so plans are deterministic.
  std::sort(arena.begin(), arena.end(), [&](size_t a, size_t b) {
    const uint64_t ba = g.tensors[a].bytes(), bb = g.tensors[b].bytes();
    if (ba != bb) return ba > bb;
    if (life[a].first != life[b].first) return life[a].first < life[b].first;
    return a < b;
  });

  std::vector<size_t> placed;
  g.arena_bytes = 0;
  for (size_t id : arena) {
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
    g.arena_bytes = std::max(g.arena_bytes, g.tensors[id].offset + size);
    placed.push_back(id);
  }
  g.arena_lower_bound = lower_bound(g, arena, life);
}

}  // namespace edgetrain::planner

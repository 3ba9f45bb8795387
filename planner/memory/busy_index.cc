#include "memory/busy_index.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace edgetrain::planner {

BusyIndex::BusyIndex(size_t time_points)
    : points_(std::max<size_t>(time_points, 1)), own_(4 * points_), meets_(4 * points_) {}

void BusyIndex::insert(Ranges& r, uint64_t begin, uint64_t end) {
  // Merging touching ranges changes no answer: a gap must be longer than zero. An empty range
  // (a tensor of no bytes) stays a point that splits a gap, as a placed tensor does there.
  auto it = r.upper_bound(begin);
  if (it != r.begin() && std::prev(it)->second >= begin) --it;
  while (it != r.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = r.erase(it);
  }
  r.emplace(begin, end);
}

void BusyIndex::add(size_t first, size_t last, uint64_t begin, uint64_t end) {
  add(1, 0, points_ - 1, first, last, begin, end);
}

void BusyIndex::add(size_t node, size_t lo, size_t hi, size_t first, size_t last, uint64_t begin,
                    uint64_t end) {
  if (last < lo || hi < first) return;
  insert(meets_[node], begin, end);
  if (first <= lo && hi <= last) {
    insert(own_[node], begin, end);
    return;
  }
  const size_t mid = lo + (hi - lo) / 2;
  add(2 * node, lo, mid, first, last, begin, end);
  add(2 * node + 1, mid + 1, hi, first, last, begin, end);
}

void BusyIndex::collect(size_t node, size_t lo, size_t hi, size_t first, size_t last,
                        std::vector<const Ranges*>& out) const {
  if (last < lo || hi < first) return;
  if (first <= lo && hi <= last) {
    if (!meets_[node].empty()) out.push_back(&meets_[node]);
    return;
  }
  if (!own_[node].empty()) out.push_back(&own_[node]);
  const size_t mid = lo + (hi - lo) / 2;
  collect(2 * node, lo, mid, first, last, out);
  collect(2 * node + 1, mid + 1, hi, first, last, out);
}

uint64_t BusyIndex::best_fit(size_t first, size_t last, uint64_t size) const {
  std::vector<const Ranges*> sets;
  collect(1, 0, points_ - 1, first, last, sets);
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (const Ranges* r : sets) busy.insert(busy.end(), r->begin(), r->end());
  std::sort(busy.begin(), busy.end());
  uint64_t best_offset = 0, best_gap = std::numeric_limits<uint64_t>::max(), cursor = 0;
  bool found = false;
  for (const auto& [begin, end] : busy) {
    if (begin > cursor && begin - cursor >= size && begin - cursor < best_gap) {
      best_offset = cursor, best_gap = begin - cursor, found = true;
    }
    cursor = std::max(cursor, end);
  }
  return found ? best_offset : cursor;
}

}  // namespace edgetrain::planner

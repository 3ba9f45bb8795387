// Best-fit placement's one question, "where is memory busy during this lifetime", answered
// without looking at every tensor placed so far (that scan made placement quadratic: a
// 10k-layer model spent most of 60 s there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace edgetrain::planner {

// Placed tensors as (lifetime in time points, [begin, end) bytes), in a segment tree over time:
// each node holds the union of the byte ranges of tensors whose lifetime covers the node's whole
// span (`own`), and of those whose lifetime meets the span at all (`meets`, i.e. own of the node
// and its descendants). The tensors meeting a lifetime are then `meets` of its O(log T) canonical
// nodes plus `own` of their ancestors; only their unions are read, kept as coalesced ranges,
// which a packed arena keeps short.
class BusyIndex {
 public:
  explicit BusyIndex(size_t time_points);

  // A tensor busy at time points [first, last] (first <= last) in bytes [begin, end).
  void add(size_t first, size_t last, uint64_t begin, uint64_t end);

  // The best-fitting place for `size` bytes during [first, last], as placement.h's greedy
  // defines it: the smallest gap of at least `size` bytes (the lowest of equal ones) between the
  // byte ranges of tensors meeting the lifetime, else the end of the highest of them (0 if none).
  uint64_t best_fit(size_t first, size_t last, uint64_t size) const;

 private:
  using Ranges = std::map<uint64_t, uint64_t>;  // begin -> end, overlapping or touching merged
  static void insert(Ranges& r, uint64_t begin, uint64_t end);
  void add(size_t node, size_t lo, size_t hi, size_t first, size_t last, uint64_t begin, uint64_t end);
  void collect(size_t node, size_t lo, size_t hi, size_t first, size_t last,
               std::vector<const Ranges*>& out) const;

  size_t points_;
  std::vector<Ranges> own_, meets_;
};

}  // namespace edgetrain::planner

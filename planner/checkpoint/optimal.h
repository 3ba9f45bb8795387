// The optimal checkpointing schedule of a heterogeneous chain (Beaumont, Eyraud-Dubois,
// Herrmann, Joly, Shilova 2019, "Optimal checkpointing for heterogeneous chains"), in our own
// memory model: StageCost's exact arena bytes, backward included.
//
// C(s, t, m, h) = least time to differentiate stages s..t when a_s and the gradient of a_{t+1}
// are held and at most m bytes may be live (those two included); h: a_s must outlive the call
// (the caller's backward reads it), else it goes once nothing inside needs it. Two choices:
//   keep all:  forward s keeping what its backward reads, C(s+1, t, m - saved_s [- a_s], h'),
//              backward s; a_s stays only if h or backward s reads it; h' = backward s reads a_{s+1}
//   leaf s':   forward s..s'-1 keeping only a_{s'}, C(s', t, m - a_s, 0), then C(s, s'-1, m, h)
//   (s = t, and backward s reads nothing its forward wrote but BatchNorm statistics: backward s
//   alone; the first forward of every stage runs on the way down, s < t or s = n-1.)
// The `h` refinement matters: a ReLU's backward reads its output, not its input, and at
// 112x112 holding both would cost a whole activation more than needed. Where no one holds a_s
// (h = 0 and backward s does not read it, or an inner stage of a leaf sweep), the forward's peak
// is the stage's "consumed" one: a_s dies at its last read, and an in-place op (in_place.h) may
// write its output over it.
// Memory is discretised in `slots` steps of ceil(budget / slots) bytes, every size rounded up,
// so a schedule the table calls feasible fits its model in any case; with 1000 slots the rounding
// costs at most a few tenths of a percent of the budget per nesting level.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "checkpoint/strategy.h"

namespace edgetrain::planner {

class OptimalSolver {
 public:
  // Fills the table for memory limits 0..budget_bytes (the DP's own bytes: arena minus what
  // every step holds anyway, the image and labels).
  OptimalSolver(const Chain& c, uint64_t budget_bytes, int slots = 1000);

  // The fastest strategy within `bytes` (<= the budget), or nullopt if none fits.
  std::optional<Strategy> solve(uint64_t bytes) const;
  // The least memory at which any strategy fits, in bytes (rounded up to a slot).
  std::optional<uint64_t> min_feasible() const;
  uint64_t unit() const { return unit_; }

 private:
  size_t index(int h, int m, int s, int t) const;
  void fill(int m, int s, int t, int h, const std::vector<float>& fwd, const std::vector<float>& bwd);
  void emit(int s, int t, int m, int h, std::vector<Action>& out) const;

  const Chain& c_;
  int n_ = 0, slots_ = 0;
  uint64_t unit_ = 1;
  std::vector<int32_t> in_, saved_, out_, dy_, keep_all_, keep_none_, bwd_;  // in slots
  std::vector<int32_t> keep_all_consumed_, keep_none_consumed_;              // input included
  std::vector<bool> reads_in_, reads_out_, reads_fwd_;
  std::vector<float> cost_;     // [h][m][s][t>=s]; +inf where infeasible
  std::vector<int16_t> choice_; // 0: keep all; s' > s: leaf
};

}  // namespace edgetrain::planner

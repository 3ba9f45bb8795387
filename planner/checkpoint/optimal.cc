#include "checkpoint/optimal.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace edgetrain::planner {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

OptimalSolver::OptimalSolver(const Chain& c, uint64_t budget_bytes, int slots)
    : c_(c), n_(static_cast<int>(c.stages.size())), slots_(std::max(1, slots)) {
  if (n_ > 32000) throw std::invalid_argument("too many stages for the optimal policy");
  unit_ = std::max<uint64_t>(1, (budget_bytes + static_cast<uint64_t>(slots_) - 1) / static_cast<uint64_t>(slots_));
  auto up = [&](uint64_t b) {
    const uint64_t v = (b + unit_ - 1) / unit_;
    return static_cast<int32_t>(std::min<uint64_t>(v, 1u << 30));
  };
  for (const StageCost& k : c.costs) {
    in_.push_back(up(k.input));
    saved_.push_back(up(k.saved));
    out_.push_back(up(k.output));
    dy_.push_back(up(k.grad_output));
    keep_all_.push_back(up(k.peak_keep_all));
    keep_none_.push_back(up(k.peak_keep_none));
    bwd_.push_back(up(k.peak_backward));
    keep_all_consumed_.push_back(up(k.peak_keep_all_consumed));
    keep_none_consumed_.push_back(up(k.peak_keep_none_consumed));
    reads_in_.push_back(k.backward_reads_input);
    reads_out_.push_back(k.backward_reads_output);
    reads_fwd_.push_back(k.backward_reads_forward);
  }
  const size_t tri = static_cast<size_t>(n_) * static_cast<size_t>(n_ + 1) / 2;
  cost_.assign(2 * tri * static_cast<size_t>(slots_ + 1), kInf);
  choice_.assign(cost_.size(), -1);
  std::vector<float> fwd(static_cast<size_t>(n_)), bwd(static_cast<size_t>(n_));
  for (int i = 0; i < n_; ++i) {
    fwd[static_cast<size_t>(i)] = static_cast<float>(c.costs[static_cast<size_t>(i)].forward_time);
    bwd[static_cast<size_t>(i)] = static_cast<float>(c.costs[static_cast<size_t>(i)].backward_time);
  }
  for (int m = 0; m <= slots_; ++m) {
    for (int len = 1; len <= n_; ++len) {
      for (int s = 0; s + len <= n_; ++s) {
        for (int h = 0; h < 2; ++h) fill(m, s, s + len - 1, h, fwd, bwd);
      }
    }
  }
}

void OptimalSolver::fill(int m, int s, int t, int h, const std::vector<float>& fwd,
                         const std::vector<float>& bwd) {
  const auto su = static_cast<size_t>(s);
  const int32_t x = in_[su], d = dy_[static_cast<size_t>(t)];
  float best = kInf;
  int16_t pick = -1;
  // keep all
  const int32_t held = h || reads_in_[su] ? x : 0;
  const int32_t forward_peak = held ? x + keep_all_[su] : keep_all_consumed_[su];
  if (s == t && !reads_fwd_[su]) {
    // the backward reads only a_s, dy and first-run statistics: no forward re-run needed
    if (x + d <= m && held + bwd_[su] <= m) best = bwd[su], pick = 0;
  } else if (d + forward_peak <= m && held + bwd_[su] <= m) {
    float rest = 0;
    if (s < t) {
      const int sub = m - held - saved_[su];
      rest = sub >= 0 ? cost_[index(reads_out_[su] ? 1 : 0, sub, s + 1, t)] : kInf;
    }
    if (rest < kInf) best = fwd[su] + rest + bwd[su], pick = 0;
  }
  // leaf: forward s..s'-1 keeping only a_{s'}
  int32_t sweep_peak = 0;
  float sweep_time = 0;
  for (int sp = s + 1; sp <= t && m - x >= 0; ++sp) {
    const auto k = static_cast<size_t>(sp - 1);
    sweep_peak = std::max(sweep_peak, x + d + (sp - 1 > s ? keep_none_consumed_[k] : keep_none_[k]));
    sweep_time += fwd[k];
    if (sweep_peak > m) break;
    const float a = cost_[index(0, m - x, sp, t)];
    if (a == kInf) continue;
    const float b = cost_[index(h, m, s, sp - 1)];
    if (b == kInf) continue;
    const float total = sweep_time + a + b;
    if (total < best) best = total, pick = static_cast<int16_t>(sp);
  }
  cost_[index(h, m, s, t)] = best;
  choice_[index(h, m, s, t)] = pick;
}

size_t OptimalSolver::index(int h, int m, int s, int t) const {
  // Row s of the triangle starts after rows 0..s-1 (lengths n, n-1, ...).
  const size_t tri = static_cast<size_t>(n_) * static_cast<size_t>(n_ + 1) / 2;
  const size_t row = static_cast<size_t>(s) * static_cast<size_t>(2 * n_ - s + 1) / 2;
  return (static_cast<size_t>(h) * static_cast<size_t>(slots_ + 1) + static_cast<size_t>(m)) * tri +
         row + static_cast<size_t>(t - s);
}

void OptimalSolver::emit(int s, int t, int m, int h, std::vector<Action>& out) const {
  const int16_t pick = choice_[index(h, m, s, t)];
  if (pick < 0) throw std::logic_error("optimal: reconstructing an infeasible entry");
  const auto su = static_cast<size_t>(s);
  if (pick == 0) {
    if (s == t && !reads_fwd_[su]) {
      out.push_back({Action::Backward, s});
      return;
    }
    out.push_back({Action::Forward, s});
    const int32_t held = h || reads_in_[su] ? in_[su] : 0;
    if (s < t) emit(s + 1, t, m - held - saved_[su], reads_out_[su] ? 1 : 0, out);
    out.push_back({Action::Backward, s});
    return;
  }
  for (int k = s; k < pick; ++k) out.push_back({Action::Forward, k});
  emit(pick, t, m - in_[su], 0, out);
  emit(s, pick - 1, m, h, out);
}

std::optional<Strategy> OptimalSolver::solve(uint64_t bytes) const {
  const int m = static_cast<int>(std::min<uint64_t>(bytes / unit_, static_cast<uint64_t>(slots_)));
  if (cost_[index(1, m, 0, n_ - 1)] == kInf) return std::nullopt;
  Strategy s{"optimal", "m=" + std::to_string(static_cast<uint64_t>(m) * unit_), {}};
  emit(0, n_ - 1, m, 1, s.actions);
  return s;
}

std::optional<uint64_t> OptimalSolver::min_feasible() const {
  for (int m = 0; m <= slots_; ++m) {
    if (cost_[index(1, m, 0, n_ - 1)] < kInf) return static_cast<uint64_t>(m) * unit_;
  }
  return std::nullopt;
}

}  // namespace edgetrain::planner

#include "checkpoint/strategy.h"

#include <stdexcept>

namespace edgetrain::planner {

int recomputed_stages(const Strategy& s, const Chain& c) {
  int forwards = 0;
  for (const Action& a : s.actions) forwards += a.kind == Action::Forward;
  return forwards - static_cast<int>(c.stages.size());
}

double step_time(const Strategy& s, const Chain& c) {
  double t = 0;
  for (const Action& a : s.actions) {
    const StageCost& k = c.costs.at(static_cast<size_t>(a.stage));
    t += a.kind == Action::Forward ? k.forward_time : k.backward_time;
  }
  return t;
}

std::vector<int> checkpoints(const Strategy& s, const Chain&) {
  // A forward run right after a backward starts from a held stage input: a checkpoint.
  std::vector<int> kept;
  for (size_t i = 1; i < s.actions.size(); ++i) {
    const Action& a = s.actions[i];
    if (a.kind != Action::Forward || s.actions[i - 1].kind != Action::Backward || a.stage == 0) continue;
    bool dup = false;
    for (int k : kept) dup |= k == a.stage;
    if (!dup) kept.push_back(a.stage);
  }
  return kept;
}

Strategy from_segments(const Chain& c, const std::vector<int>& starts, std::string policy,
                       std::string parameter) {
  const int n = static_cast<int>(c.stages.size());
  if (starts.empty() || starts[0] != 0) throw std::logic_error("segments must start at stage 0");
  Strategy s{std::move(policy), std::move(parameter), {}};
  std::vector<int> bounds = starts;
  bounds.push_back(n);
  for (int i = 0; i < n; ++i) s.actions.push_back({Action::Forward, i});
  for (size_t j = bounds.size() - 1; j-- > 0;) {
    if (j + 2 < bounds.size()) {  // the last segment's forward was the sweep itself
      for (int i = bounds[j]; i < bounds[j + 1]; ++i) s.actions.push_back({Action::Forward, i});
    }
    for (int i = bounds[j + 1] - 1; i >= bounds[j]; --i) s.actions.push_back({Action::Backward, i});
  }
  return s;
}

}  // namespace edgetrain::planner

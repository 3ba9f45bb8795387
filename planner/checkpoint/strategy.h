// A checkpointing strategy: the order in which stages run forward and backward in one step.
//
// The simple policies are kept sets (the stage inputs held after the first forward); the optimal
// one needs nested recomputation, which a kept set cannot say, so every policy returns this
// sequence (Beaumont et al.'s operations) and the rewrite (rewrite.h) turns it into ops. What
// each forward keeps follows from what later ops read: placement frees a tensor after its last
// read, so "forward keeping everything for the backward" and "forward keeping only the output"
// are the same ops followed by different reads.
#pragma once

#include <string>
#include <vector>

#include "checkpoint/chain.h"

namespace edgetrain::planner {

struct Action {
  enum Kind : uint8_t { Forward, Backward } kind;
  int stage;
  bool operator==(const Action& o) const { return kind == o.kind && stage == o.stage; }
};

struct Strategy {
  std::string policy;
  std::string parameter;  // what picked this member of the policy's family ("k=4", "m=...")
  std::vector<Action> actions;
};

// Forward runs of stages beyond the first one each: the recompute count.
int recomputed_stages(const Strategy& s, const Chain& c);
// Seconds of one step: every forward run and every backward.
double step_time(const Strategy& s, const Chain& c);
// Stage inputs held across the first forward sweep (the checkpoints), as stage indices.
std::vector<int> checkpoints(const Strategy& s, const Chain& c);

// Segments starting at the given stages (sorted, the first is 0): forward through all of them
// keeping only segment inputs, then each segment, last first, recomputed keeping everything and
// differentiated. One segment is store-all.
Strategy from_segments(const Chain& c, const std::vector<int>& starts, std::string policy,
                       std::string parameter);

}  // namespace edgetrain::planner

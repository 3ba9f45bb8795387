// Time costs of ops (FLOPs per kind: graph/op_rules.h). Bytes are exact and come from the tensors themselves (placement.h's
// aligned_bytes); time comes from FLOP counts until a device profile (device_profile.h) replaces
// them with measured seconds.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "graph/op_rules.h"  // op_flops

namespace edgetrain::planner {

// Whether a train op's time belongs to a forward op's stage in the time model: forward and
// backward ops, not the optimizer's updates, which cost the same in every schedule.
inline bool timed(const Op& op) { return op.source >= 0 && op_info(op.kind).phase != OpPhase::Optimizer; }

// Seconds per train op. Without a profile, FLOPs at `flops_per_second`: the unit only scales
// every time alike, so policies compare the same either way.
struct TimeModel {
  double flops_per_second = 1e9;
  std::vector<double> forward_seconds;  // per Graph::forward op; overrides FLOPs where >= 0
  std::vector<double> backward_seconds; // per Graph::forward op: all of its backward ops

  double forward(const Graph& g, int32_t forward_op) const;
  double backward(const Graph& g, int32_t forward_op) const;
  // backward() of every forward op, in one pass over the schedule (chains of many layers).
  std::vector<double> backward_all(const Graph& g) const;
};

}  // namespace edgetrain::planner

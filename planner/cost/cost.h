// Time costs of ops. Bytes are exact and come from the tensors themselves (placement.h's
// aligned_bytes); time comes from FLOP counts until a device profile (device_profile.h) replaces
// them with measured seconds.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

// Floating-point operations of one op (multiply-add = 2). Element-wise ops count one per
// element and op, so memory-bound layers (BN, ReLU) are not free to recompute.
double op_flops(const Graph& g, const Op& op);

// Whether a train op's time belongs to a forward op's stage in the time model: forward and
// backward ops, not the optimizer's updates, which cost the same in every schedule.
inline bool timed(const Op& op) { return op.source >= 0 && op.kind != OpKind::SgdMomentum; }

// Seconds per train op. Without a profile, FLOPs at `flops_per_second`: the unit only scales
// every time alike, so policies compare the same either way.
struct TimeModel {
  double flops_per_second = 1e9;
  std::vector<double> forward_seconds;  // per Graph::forward op; overrides FLOPs where >= 0
  std::vector<double> backward_seconds; // per Graph::forward op: all of its backward ops

  double forward(const Graph& g, int32_t forward_op) const;
  double backward(const Graph& g, int32_t forward_op) const;
};

}  // namespace edgetrain::planner

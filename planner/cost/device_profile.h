// Device profiles: per-op times measured on the Pi (firmware-tools/profile.sh; format in README.md,
// "Device profile format") replacing the FLOP estimates of cost.h's TimeModel.
//
// Matching rule. The profile names each measured train op by its kind and the tensor it writes
// (out[0], or in[0] for ops without an output; a "~rN" suffix marks the N-th recompute clone
// and is dropped). A profile op counts for the graph's train op of the same kind writing the
// tensor of the same name: a forward op's time becomes its forward time (a recompute clone is one
// more sample of it: averaged), a backward op's time joins the backward time of the forward op
// it differentiates. Optimizer ops and ops of no stage are not used. Shapes are not in the file:
// the profile must come from the same model and input size (the model name is checked).
// Times come from the run of the planned batch; without one, from the run of the nearest batch,
// scaled by batch ratio. Ops the profile does not cover keep FLOP estimates at the rate the
// covered ops ran (their measured seconds over their FLOPs), so the two mix in one unit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cost/cost.h"
#include "cost/off_arena.h"
#include "graph/graph.h"

namespace edgetrain::planner {

struct DeviceProfile {
  struct OpTime {
    uint32_t index = 0;  // in the profiled plan's train op list
    OpKind kind{};
    std::string writes;
    double seconds = 0;  // per step
  };
  struct Run {
    uint32_t batch = 0;
    std::vector<OpTime> ops;
  };
  std::string file;   // for messages
  std::string model;
  int model_line = 1;
  std::vector<Run> runs;
  // Optional "off_arena_model": {"target": "host"|"pi3", "load_base_bytes": B,
  // "run_base_bytes": B, "run_per_image_bytes": B}, the fitted part of off_arena.h's model
  // measured on this device; replaces the target's defaults.
  bool has_off_arena = false;
  std::string off_arena_target;
  int off_arena_line = 1;
  OffArenaFit off_arena;
};

// Throws std::invalid_argument("FILE:LINE: problem") on malformed JSON or a malformed profile.
DeviceProfile parse_device_profile(const std::string& text, const std::string& filename);
// Reads and parses a file; also throws if it cannot be read.
DeviceProfile load_device_profile(const std::string& path);

struct ProfileMatch {
  uint32_t run_batch = 0;       // the run the times came from
  size_t matched_ops = 0;       // profile ops used
  size_t unmatched_ops = 0;     // profile ops naming no train op of the graph (optimizer excluded)
  size_t covered_forward = 0;   // forward ops with a measured time
  double flops_per_second = 0;  // the rate uncovered ops are estimated at
};

// The off-arena model for `target` (off_arena.h), with the profile's fitted coefficients when
// it has them (profile may be null); throws std::invalid_argument if the profile's are for
// another target.
OffArenaModel off_arena_model_for(const std::string& target, const DeviceProfile* profile);

// The TimeModel of `derived` (after derive_schedules) under the profile's measurements. Throws
// std::invalid_argument if the profile is for another model or matches no op.
TimeModel time_model_from_profile(const Graph& derived, const DeviceProfile& profile,
                                  ProfileMatch* match = nullptr);

}  // namespace edgetrain::planner

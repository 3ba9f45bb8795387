// The training step seen as a chain of stages, the unit checkpointing decides about.
//
// A stage is a run of forward ops with exactly one activation crossing each of its borders: a
// single layer where the model is a chain (conv, BN and ReLU each their own stage), a whole
// residual block where a skip connection crosses. Each stage has the byte and time costs the
// policies need, measured on the ops the runtime will execute (training.h's backward included),
// so the dynamic program's memory model is the arena's own.
#pragma once

#include <cstdint>
#include <vector>

#include "cost/cost.h"
#include "graph/graph.h"

namespace edgetrain::planner {

struct Stage {
  int first = 0, end = 0;            // forward ops [first, end)
  TensorId input = kNoTensor;        // a_i: the activation entering (the image for stage 0)
  TensorId output = kNoTensor;       // a_{i+1}: the activation leaving (the loss for the last)
};

// Costs in aligned bytes (placement's unit) and seconds. "Beyond the input" means: not counting
// a_i, which whoever runs the stage holds throughout.
struct StageCost {
  uint64_t input = 0;            // a_i (0 for the image: it lives all step whatever we do)
  uint64_t output = 0;           // a_{i+1}
  uint64_t saved = 0;            // what the stage's backward reads besides a_i, a_{i+1}, dy
  bool backward_reads_input = false;   // if not, a_i may go as soon as the forward has run
  bool backward_reads_output = false;
  // If not, the backward needs no re-run of the forward right before it: it reads only a_i, dy
  // and BatchNorm statistics, which the backward takes from the last forward run (they are a few
  // bytes per channel, held from the stage's last forward run; see rewrite.h). Conv and BatchNorm stages are so.
  bool backward_reads_forward = false;
  uint64_t grad_output = 0;      // dy = gradient of a_{i+1} (0 for the loss)
  uint64_t peak_keep_all = 0;    // forward keeping `saved`, beyond the input
  uint64_t peak_keep_none = 0;   // forward keeping only the output, beyond the input
  // The same two counting the input, which dies at its last forward read (when no one holds it
  // for later): an op may then write over it in place (a ReLU over its BatchNorm's output).
  uint64_t peak_keep_all_consumed = 0, peak_keep_none_consumed = 0;
  uint64_t peak_backward = 0;    // backward, beyond the input; starts from saved (+ output), dy;
                                 // gradients written over dy in place where the kernel allows
  double forward_time = 0, backward_time = 0;
};

struct Chain {
  std::vector<Stage> stages;
  std::vector<StageCost> costs;
};

// Whether `id` is a BatchNorm mean or variance of the forward graph.
bool is_batchnorm_stat(const Graph& g, TensorId id);

// Needs derive_schedules(g) first (backward ops are part of the costs).
Chain build_chain(const Graph& g, const TimeModel& time = {});

}  // namespace edgetrain::planner

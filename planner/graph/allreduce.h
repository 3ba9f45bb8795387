// Data-parallel training (`plan --data-parallel`): every rank runs the same plan on its share of
// the global batch, and each parameter's gradient is averaged over the ranks before its update.
//
// The planner owns the communication: add_gradient_allreduce rewrites a train schedule (after
// the checkpointing rewrite, before in-place assignment and placement) so that
//   - the parameter gradients, in the order their last contribution is written (backward order),
//     go into buckets of up to `bucket_bytes` (and at most kMaxOpInputs tensors; a gradient
//     larger than bucket_bytes is a bucket of its own);
//   - a GradAllReduceStart follows the op that writes its bucket's last gradient: from there the
//     communication thread averages the bucket in place while backward goes on;
//   - the bucket's GradAllReduceWait follows the next bucket's Start (the last bucket's ends the
//     step), so one bucket's reduction overlaps the backward that computes the next bucket;
//   - each update runs after its bucket's Wait and after the last other op that reads its
//     parameter.
// Start and Wait read the bucket's gradients, so liveness keeps them (and their bytes) untouched
// from the write to the Wait: the arena and the simulator account for the bytes in flight.
#pragma once

#include <cstdint>
#include <string>

#include "graph/graph.h"

namespace edgetrain::planner {

// The default bucket: 1 MiB, about 84 ms of a Pi 3's 100 Mbit/s Ethernet.
inline constexpr uint64_t kDefaultBucketBytes = uint64_t{1} << 20;

// Rewrites g.train as above; a schedule without parameter gradients is left as it is. Throws
// std::logic_error if the schedule has a gradient without its update.
void add_gradient_allreduce(Graph& g, uint64_t bucket_bytes);

// One line on a rewritten schedule's buckets, e.g. "data parallel: 7 gradient buckets (up to
// 1048576 bytes), 2310720 bytes of gradients per step, the largest bucket 1179648 bytes".
std::string describe_buckets(const Graph& g);

}  // namespace edgetrain::planner

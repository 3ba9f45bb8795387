// Off-arena memory: what the trainer process holds besides the plan's arena and params block,
// so that a plan can carry a prediction of the process's peak RSS (Plan::predicted_peak_bytes).
//
// Two kinds of terms (docs/ARCHITECTURE.md, "Memory"; the seed paper's regression idea):
// - computed exactly from the plan: the arena and params allocations (touched whole at start),
//   the training data the trainer holds (and the transient of reading it), and XNNPACK's region,
//   which the runtime sizes deterministically from the largest set of XNNPACK allocations one op
//   makes (packed weights, indirection buffer, zero buffer: runtime/xnn_context.cc, fit_region);
// - fitted: the rest (code and data pages of the binary and its libraries, libc and loader,
//   thread stacks, allocator slack) as a line in the batch size, per target, from profile runs.
//
// The peak is the larger of two moments: reading the data set (before the arena exists) and
// training (arena, params, data, XNNPACK's region all resident).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

// XNNPACK's micro-kernel tiles on a target (they pad packed weights and indirection buffers).
struct XnnpackTiles {
  uint32_t gemm_mr = 0, gemm_nr = 0, gemm_kr = 1;  // f32 GEMM/IGEMM: rows, columns, k unroll
  uint32_t dwconv_cr = 0;                         // f32 depthwise: channel tile
  uint32_t maxpool_mr = 0;                        // f32 max pooling: first-pass taps
  uint64_t operator_bytes = 0;                    // sizeof(struct xnn_operator)
  uint64_t simd_alignment = 16;                   // XNN_ALLOCATION_ALIGNMENT
};

// The fitted remainder: resident bytes not computed from the plan.
struct OffArenaFit {
  double load_base_bytes = 0;      // while the data set is read (no XNNPACK, no arena yet)
  double run_base_bytes = 0;       // while training, besides the exactly computed terms
  double run_per_image_bytes = 0;  // and its slope in the batch size
};

struct OffArenaModel {
  std::string target;  // "host" (x86-64, the build machine) or "pi3" (aarch64 Cortex-A53)
  XnnpackTiles tiles;
  OffArenaFit fit;
  uint64_t page_bytes = 4096;
  // A data-parallel rank's Open MPI (MPI_Init, its TCP transport, a small allreduce), measured
  // by tests/mpi/mpi_smoke; the allreduce's own temporary is added per plan (predict_peak).
  uint64_t mpi_bytes = 0;
};

// The defaults measured for a target: "host" or "pi3"; throws std::invalid_argument otherwise.
OffArenaModel off_arena_model(const std::string& target);

// What the trainer trains on: the Fashion-MNIST IDX files (60000 training + 10000 test images,
// 28x28), which it holds whole in memory (runtime/idx_dataset.h), or `--synthetic N` (N training
// + N test images of the plan's input size), which it generates batch by batch into the input
// tensor and so does not hold (runtime/image_set.h).
struct TrainerData {
  bool fashion_mnist = false;
  uint32_t synthetic_images = 0;
};
// The trainer's default for a plan: Fashion-MNIST for 28x28x1 inputs, else --synthetic <batch>
// (what firmware-tools/sweep.sh runs).
TrainerData default_trainer_data(const Graph& g);
// "fashion-mnist" or "synthetic:N"; throws std::invalid_argument otherwise.
TrainerData parse_trainer_data(const std::string& text);

struct PeakPrediction {
  uint64_t xnnpack_peak = 0;    // the largest XNNPACK allocation set of one op (bytes asked for)
  uint64_t xnnpack_region = 0;  // the region fit_region() reserves for it
  uint64_t first_step_heap = 0;  // most the first step's XNNPACK blocks hold on glibc's heap
  uint64_t heap_retained = 0;    // freed brk heap pages that stay resident after it
  uint64_t data_bytes = 0;      // the data sets held and the trainer's epoch order, while training
  uint64_t data_load_peak = 0;  // the most resident while reading the data files
  uint64_t load_peak = 0;       // the process at that moment
  uint64_t mpi_bytes = 0;       // data parallel: Open MPI's memory (OffArenaModel) + an allreduce's temporary
  uint64_t run_peak = 0;        // the process while training
  uint64_t peak() const { return load_peak > run_peak ? load_peak : run_peak; }
};

// The prediction for a placed plan (arena_bytes and params_bytes set).
PeakPrediction predict_peak(const Graph& placed, const OffArenaModel& model, const TrainerData& data);

// The blocks one op asks XNNPACK's allocator for while it runs, in order (none for ops XNNPACK
// does not run); simd: aligned to XNN_ALLOCATION_ALIGNMENT, else to 16.
struct XnnAllocation {
  uint64_t bytes;
  bool simd;
};
std::vector<XnnAllocation> xnnpack_op_allocations(const Graph& g, const Op& op, const XnnpackTiles& tiles);
uint64_t xnnpack_op_bytes(const Graph& g, const Op& op, const XnnpackTiles& tiles);

}  // namespace edgetrain::planner

// The runtime's threading policy: which ops run across the pthreadpool and in what tiles.
//
// Small ops run on the calling thread (a null pool): waking workers costs more than they save,
// and far more when another process holds the cores (measured: ~5 ms to wake a worker on the
// loaded build machine). Every tiling below gives the same bits whatever the thread count:
// tiles own disjoint outputs and no sum crosses a tile.
#pragma once

#include <pthreadpool.h>

#include <algorithm>
#include <cstddef>

#include "kernels/geometry.h"
#include "op_context.h"

namespace edgetrain::ops {

inline size_t threads(const OpContext& c) {
  return c.pool != nullptr ? pthreadpool_get_threads_count(c.pool) : 1;
}

// `work` counts multiply-adds, or elements weighed by kElementWork.
inline constexpr double kMinParallelWork = 1 << 22;  // ~0.2 ms of single-thread work
inline pthreadpool_t pool_for(const OpContext& c, double work) {
  return work >= kMinParallelWork ? c.pool : nullptr;
}
inline double conv_work(const f32_window_geometry& g) {
  return static_cast<double>(g.batch * g.out_h * g.out_w * g.out_c * g.kernel_h * g.kernel_w *
                             (g.in_c / g.groups));
}

// Elementwise and batch-norm ops are memory-bound, so an element costs far more than a
// multiply-add: weigh them by kElementWork against the threshold. Masks run in element-range
// tiles of kElementTile (a multiple of 16 floats, so ranges start on whole mask bytes).
inline constexpr double kElementWork = 16;
inline constexpr size_t kElementTile = 1 << 14;

// Tile of `extent` giving about `tasks` tiles, a multiple of `quantum` (the micro-kernel width).
inline size_t tile_for(size_t extent, size_t tasks, size_t quantum) {
  size_t tile = (extent + tasks - 1) / std::max<size_t>(tasks, 1);
  tile = (tile + quantum - 1) / quantum * quantum;
  return std::clamp<size_t>(tile, quantum, std::max(extent, quantum));
}

// One tile per thread, whole 64-byte lines: narrower tiles make every thread stream the whole
// tensor for a part of each line (MobileNet's 32-channel layers read it 4x with 8-channel tiles).
inline size_t channel_tile(const OpContext& c, size_t channels) {
  return tile_for(channels, threads(c), 16);
}

// Runs fn(begin, count) over element ranges of kElementTile across the pool.
template <typename Fn>
void parallel_elements(const OpContext& c, size_t n, Fn& fn) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, kElementWork * static_cast<double>(n)),
      [](void* ctx, size_t i, size_t count) { (*static_cast<Fn*>(ctx))(i, count); }, &fn, n,
      kElementTile, 0);
}

// Runs fn(begin, count) over ranges of rows of `cols` elements (pixels of an NHWC tensor), about
// kElementTile elements a tile, across the pool.
template <typename Fn>
void parallel_rows(const OpContext& c, size_t rows, size_t cols, Fn& fn) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, kElementWork * static_cast<double>(rows * cols)),
      [](void* ctx, size_t i, size_t count) { (*static_cast<Fn*>(ctx))(i, count); }, &fn, rows,
      std::max<size_t>(kElementTile / std::max<size_t>(cols, 1), 1), 0);
}

// Runs fn(n) for every image n across the pool: images never share outputs.
template <typename Fn>
void parallel_images(const OpContext& c, size_t batch, double work, Fn& fn) {
  pthreadpool_parallelize_1d(
      pool_for(c, work), [](void* ctx, size_t n) { (*static_cast<Fn*>(ctx))(n); }, &fn, batch, 0);
}

// Runs fn(begin, count) over channel tiles (channel_tile) across the pool; `work` as above.
template <typename Fn>
void parallel_channels(const OpContext& c, size_t channels, double work, Fn& fn) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, work),
      [](void* ctx, size_t c0, size_t nc) { (*static_cast<Fn*>(ctx))(c0, nc); }, &fn, channels,
      channel_tile(c, channels), 0);
}

}  // namespace edgetrain::ops

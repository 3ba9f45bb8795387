// Ops computed by our own kernels: the input's Normalize, BatchNorm, ReLU/ReLU6, max pooling
// (they write what their backward reads), the loss, every backward op and the optimizer.
// The convolution backward runs the variants kernels/select.h picks, split into tiles across
// c.pool, and so do batch norm's training forward and backward (channel tiles), ReLU/ReLU6 with
// their 1-bit masks (element ranges) and max pooling with its winning taps (images); the rest are
// single-threaded scalar references. Shapes come from the plan.
#include <xnnpack.h>

#include <algorithm>
#include <limits>

#include "kernels/kernels.h"
#include "kernels/select.h"
#include "op_context.h"

namespace edgetrain {

namespace {

// Rows and channels of an NHWC tensor seen as a [rows, channels] matrix.
struct Matrix {
  size_t rows, cols;
};
Matrix as_matrix(const OpContext& c, int32_t id) {
  const TensorDesc& t = c.tensor(id);
  const size_t cols = t.rank == 1 ? t.shape[0] : t.shape[t.rank - 1];
  return {c.elements(id) / cols, cols};
}
// [batch, features] with everything after the batch dimension flattened (the FC input view).
Matrix as_batch(const OpContext& c, int32_t id) {
  const size_t batch = c.tensor(id).shape[0];
  return {batch, c.elements(id) / batch};
}

size_t threads(const OpContext& c) {
  return c.pool != nullptr ? pthreadpool_get_threads_count(c.pool) : 1;
}

// Small ops run on the calling thread (a null pool): waking workers costs more than they save,
// and far more when another process holds the cores (measured: ~5 ms to wake a worker on the
// loaded build machine). `work` counts multiply-adds or elements.
constexpr double kMinParallelWork = 1 << 22;  // ~0.2 ms of single-thread work
pthreadpool_t pool_for(const OpContext& c, double work) {
  return work >= kMinParallelWork ? c.pool : nullptr;
}
double conv_work(const f32_window_geometry& g) {
  return static_cast<double>(g.batch * g.out_h * g.out_w * g.out_c * g.kernel_h * g.kernel_w *
                             (g.in_c / g.groups));
}

// Tile of `extent` giving about `tasks` tiles, a multiple of `quantum` (the micro-kernel width).
size_t tile_for(size_t extent, size_t tasks, size_t quantum) {
  size_t tile = (extent + tasks - 1) / std::max<size_t>(tasks, 1);
  tile = (tile + quantum - 1) / quantum * quantum;
  return std::clamp<size_t>(tile, quantum, std::max(extent, quantum));
}

struct ConvBwdTask {
  f32_window_geometry g;
  const float* a;  // x (weights) or dy (data)
  const float* b;  // dy (weights) or w (data)
  float* out;      // dw or dx
  float* dbias;
};

// No op needs a workspace: the tiled variants gather pointers on the stack.
void conv_bwd_weights(const OpContext& c, const f32_window_geometry& g, const float* x,
                      const float* dy, float* dw, float* dbias) {
  ConvBwdTask t{g, x, dy, dw, dbias};
  const size_t taps = g.kernel_h * g.kernel_w;
  switch (f32_conv2d_kind(g)) {
    case f32_conv_kind::dense: {
      // Output-channel x tap tiles: each owns its part of dw, so no reduction across threads.
      const size_t want = 4 * threads(c), tap_tile = f32_conv2d_bwd_weights_tap_tile(g);
      const size_t tap_tiles = (taps + tap_tile - 1) / tap_tile;
      const size_t oc_tile = tile_for(g.out_c, (want + tap_tiles - 1) / tap_tiles, 16);
      pthreadpool_parallelize_2d_tile_2d(
          pool_for(c, conv_work(g)),
          [](void* ctx, size_t oc, size_t tap, size_t noc, size_t ntap) {
            const auto* task = static_cast<const ConvBwdTask*>(ctx);
            f32_conv2d_bwd_weights_dense(task->g, task->a, task->b, task->out, task->dbias, oc,
                                         oc + noc, tap, tap + ntap);
          },
          &t, g.out_c, taps, oc_tile, tap_tile, 0);
      return;
    }
    case f32_conv_kind::depthwise:
      pthreadpool_parallelize_1d_tile_1d(
          pool_for(c, conv_work(g)),
          [](void* ctx, size_t c0, size_t nc) {
            const auto* task = static_cast<const ConvBwdTask*>(ctx);
            f32_conv2d_bwd_weights_dw(task->g, task->a, task->b, task->out, task->dbias, c0,
                                      c0 + nc);
          },
          &t, g.in_c,
          tile_for(g.in_c, 2 * threads(c), f32_conv2d_bwd_weights_dw_channel_quantum()), 0);
      return;
    case f32_conv_kind::grouped:
      f32_conv2d_bwd_weights_scalar(g, x, dy, dw, dbias);
      return;
  }
}

// dx [rows, in] = dy [rows, out] * w [out, in]: a fully connected layer from `out` to `in`
// channels whose weights are w read transposed, so XNNPACK's GEMM (the CPU's widest SIMD, its
// own run-time dispatch) runs it with no transposed copy and no workspace. Each dx element is
// one K-ordered dot product whatever the thread tiles, so results do not depend on the threads.
Status fc_transposed_gemm(const OpContext& c, size_t rows, size_t in, size_t out,
                          const float* dy, const float* w, float* dx) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  xnn_operator_t op = nullptr;
  xnn_status s = xnn_create_fully_connected_nc_f32(out, in, out, in, w, nullptr, -kInf, kInf,
                                                   XNN_FLAG_TRANSPOSE_WEIGHTS, &op);
  if (s == xnn_status_success) s = xnn_setup_fully_connected_nc_f32(op, rows, dy, dx, c.pool);
  if (s == xnn_status_success) s = xnn_run_operator(op, c.pool);
  if (op != nullptr) xnn_delete_operator(op);
  if (s == xnn_status_success) return Status::ok();
  return Status::error(StatusCode::Xnnpack, "XNNPACK transposed GEMM (input gradient) failed "
                       "(status %d)", static_cast<int>(s));
}

constexpr size_t kMinGemmRows = 64;

// A 1x1, stride-1, unpadded dense convolution: every pixel is one GEMM row.
bool is_pointwise(const f32_window_geometry& g) {
  return g.groups == 1 && g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 &&
         g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 && g.in_h == g.out_h &&
         g.in_w == g.out_w;
}

Status conv_bwd_data(const OpContext& c, const f32_window_geometry& g, const float* dy,
                     const float* w, float* dx) {
  // XNNPACK packs w on every call: worth it only over enough rows (a batch-8 FC layer is not).
  if (is_pointwise(g) && g.batch * g.in_h * g.in_w >= kMinGemmRows) {
    return fc_transposed_gemm(c, g.batch * g.in_h * g.in_w, g.in_c, g.out_c, dy, w, dx);
  }
  ConvBwdTask t{g, dy, w, dx, nullptr};
  if (f32_conv2d_kind(g) == f32_conv_kind::grouped) {
    f32_conv2d_bwd_data_scalar(g, dy, w, dx);
    return Status::ok();
  }
  // Image tiles: images never share dx.
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, conv_work(g)),
      [](void* ctx, size_t n, size_t count) {
        const auto* task = static_cast<const ConvBwdTask*>(ctx);
        if (f32_conv2d_kind(task->g) == f32_conv_kind::dense) {
          f32_conv2d_bwd_data_dense(task->g, task->a, task->b, task->out, n, n + count);
        } else {
          f32_conv2d_bwd_data_dw(task->g, task->a, task->b, task->out, n, n + count);
        }
      },
      &t, g.batch, 1, 0);
  return Status::ok();
}

// A fully connected layer is a 1x1 convolution over 1x1 images (w [out][in] is [OC][1][1][IC]),
// so its gradients run on the tiled conv kernels.
f32_window_geometry fc_as_conv(size_t batch, size_t in, size_t out) {
  return {batch, 1, 1, in, 1, 1, out, 1, 1, 1, 1, 0, 0, 1};
}

// Elementwise and batch-norm ops are memory-bound, so an element costs far more than a
// multiply-add: weigh them by kElementWork against the threshold. The backward masks run in
// element-range tiles of kElementTile (a multiple of 16 floats).
constexpr double kElementWork = 16;
constexpr size_t kElementTile = 1 << 14;

struct BatchNormTask {
  size_t rows, channels;
  float eps;
  const float* x;
  const float* gamma;
  const float* beta_or_mean;  // beta (forward) or the batch mean (backward)
  const float* var;           // backward
  const float* dy;            // backward
  float* out;                 // y or dx
  float* stat0;               // mean (forward) or dgamma (backward)
  float* stat1;               // var (forward) or dbeta (backward)
};

// One tile per thread, whole 64-byte lines: narrower tiles make every thread stream the whole
// tensor for a part of each line (MobileNet's 32-channel layers read it 4x with 8-channel tiles).
size_t channel_tile(const OpContext& c, size_t channels) {
  return tile_for(channels, threads(c), 16);
}

// Runs fn(begin, count) over element ranges of kElementTile (a multiple of 8: ranges start on
// whole mask bytes) across the pool.
template <typename Fn>
void parallel_elements(const OpContext& c, size_t n, Fn& fn) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, kElementWork * static_cast<double>(n)),
      [](void* ctx, size_t i, size_t count) { (*static_cast<Fn*>(ctx))(i, count); }, &fn, n,
      kElementTile, 0);
}

// Runs fn(n) for every image n across the pool: images never share outputs.
template <typename Fn>
void parallel_images(const OpContext& c, size_t batch, double work, Fn& fn) {
  pthreadpool_parallelize_1d(
      pool_for(c, work), [](void* ctx, size_t n) { (*static_cast<Fn*>(ctx))(n); }, &fn, batch, 0);
}

// ReLU / ReLU6 forward, writing the backward's mask when the op has one (training).
void relu(const OpContext& c, const OpDesc& d, float upper) {
  const float* x = c.f32(d.in[0]);
  float* y = c.f32(d.out[0]);
  uint8_t* mask = c.u8(d.out[1]);
  auto fn = [&](size_t i, size_t count) {
    f32_relu_mask_tiled(count, upper, x + i, y + i, mask == nullptr ? nullptr : mask + i / 8);
  };
  parallel_elements(c, c.elements(d.in[0]), fn);
}

void relu_bwd(const OpContext& c, const OpDesc& d) {
  const uint8_t* mask = c.u8(d.in[0]);
  const float* dy = c.f32(d.in[1]);
  float* dx = c.f32(d.out[0]);
  auto fn = [&](size_t i, size_t count) { f32_relu_bwd_mask_tiled(count, mask + i / 8, dy + i, dx + i); };
  parallel_elements(c, c.elements(d.in[1]), fn);
}

void maxpool(const OpContext& c, const OpDesc& d) {
  const f32_window_geometry g = window_geometry(c, d, d.in[0], d.out[0]);
  const float* x = c.f32(d.in[0]);
  float* y = c.f32(d.out[0]);
  uint8_t* taps = c.u8(d.out[1]);
  auto fn = [&](size_t n) { f32_maxpool2d_argmax_tiled(g, x, y, taps, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.in[0])), fn);
}

void maxpool_bwd(const OpContext& c, const OpDesc& d) {
  const f32_window_geometry g = window_geometry(c, d, d.out[0], d.in[1]);
  const uint8_t* taps = c.u8(d.in[0]);
  const float* dy = c.f32(d.in[1]);
  float* dx = c.f32(d.out[0]);
  auto fn = [&](size_t n) { f32_maxpool2d_bwd_argmax_tiled(g, taps, dy, dx, n, n + 1); };
  parallel_images(c, g.batch, kElementWork * static_cast<double>(c.elements(d.out[0])), fn);
}

void batchnorm_train(const OpContext& c, const BatchNormTask& t) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, kElementWork * static_cast<double>(t.rows * t.channels)),
      [](void* ctx, size_t c0, size_t nc) {
        const auto* b = static_cast<const BatchNormTask*>(ctx);
        f32_batchnorm_fwd_train(b->rows, b->channels, b->eps, b->x, b->gamma, b->beta_or_mean,
                                b->out, b->stat0, b->stat1, c0, c0 + nc);
      },
      const_cast<BatchNormTask*>(&t), t.channels, channel_tile(c, t.channels), 0);
}

// Normalising with given statistics: evaluation (running statistics) and recomputations of a
// training forward (its batch statistics, planner/rewrite.h), the same bits as that forward.
struct BatchNormApplyTask {
  size_t rows, channels;
  float eps;
  const float *x, *gamma, *beta, *mean, *var;
  float* y;
};

void batchnorm_apply(const OpContext& c, const BatchNormApplyTask& t) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, kElementWork * static_cast<double>(t.rows * t.channels)),
      [](void* ctx, size_t c0, size_t nc) {
        const auto* b = static_cast<const BatchNormApplyTask*>(ctx);
        f32_batchnorm_apply(b->rows, b->channels, b->eps, b->x, b->gamma, b->beta, b->mean, b->var,
                            b->y, c0, c0 + nc);
      },
      const_cast<BatchNormApplyTask*>(&t), t.channels, channel_tile(c, t.channels), 0);
}

void batchnorm_bwd(const OpContext& c, const BatchNormTask& t) {
  pthreadpool_parallelize_1d_tile_1d(
      pool_for(c, kElementWork * static_cast<double>(t.rows * t.channels)),
      [](void* ctx, size_t c0, size_t nc) {
        const auto* b = static_cast<const BatchNormTask*>(ctx);
        f32_batchnorm_bwd(b->rows, b->channels, b->eps, b->x, b->gamma, b->beta_or_mean, b->var,
                          b->dy, b->out, b->stat0, b->stat1, c0, c0 + nc);
      },
      const_cast<BatchNormTask*>(&t), t.channels, channel_tile(c, t.channels), 0);
}

}  // namespace

Status run_kernel_op(const OpContext& c, const OpDesc& d) {
  const OpParams& p = d.params;
  switch (d.kind) {
    case OpKind::BatchNormTrain: {
      const Matrix m = as_matrix(c, d.in[0]);
      batchnorm_train(c, {m.rows, m.cols, p.eps, c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.in[2]),
                          nullptr, nullptr, c.f32(d.out[0]), c.f32(d.out[1]), c.f32(d.out[2])});
      if (p.update_running_stats) {
        f32_batchnorm_update_running_scalar(m.rows, m.cols, p.momentum, c.f32(d.out[1]),
                                            c.f32(d.out[2]), c.f32(d.in[3]), c.f32(d.in[4]));
      }
      return Status::ok();
    }
    case OpKind::BatchNormEval: {
      const Matrix m = as_matrix(c, d.in[0]);
      batchnorm_apply(c, {m.rows, m.cols, p.eps, c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.in[2]),
                          c.f32(d.in[3]), c.f32(d.in[4]), c.f32(d.out[0])});
      return Status::ok();
    }
    case OpKind::SoftmaxCrossEntropy: {
      const Matrix m = as_batch(c, d.in[0]);
      f32_softmax_xent_scalar(m.rows, m.cols, c.f32(d.in[0]), c.i32(d.in[1]), c.f32(d.out[0]), c.f32(d.out[1]));
      return Status::ok();
    }
    case OpKind::SoftmaxCrossEntropyBwd: {
      const Matrix m = as_batch(c, d.in[0]);
      f32_softmax_xent_bwd_scalar(m.rows, m.cols, c.f32(d.in[0]), c.i32(d.in[1]), c.f32(d.out[0]));
      return Status::ok();
    }
    case OpKind::FullyConnectedBwdData: {
      const Matrix dx = as_batch(c, d.out[0]);
      return conv_bwd_data(c, fc_as_conv(dx.rows, dx.cols, as_batch(c, d.in[0]).cols),
                           c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.out[0]));
    }
    case OpKind::FullyConnectedBwdWeights: {
      const Matrix x = as_batch(c, d.in[0]);
      conv_bwd_weights(c, fc_as_conv(x.rows, x.cols, as_batch(c, d.in[1]).cols), c.f32(d.in[0]),
                       c.f32(d.in[1]), c.f32(d.out[0]), c.f32(d.out[1]));
      return Status::ok();
    }
    case OpKind::GlobalAvgPoolBwd: {
      const uint32_t* s = c.tensor(d.out[0]).shape;
      f32_gavgpool_bwd_scalar(s[0], size_t{s[1]} * s[2], s[3], c.f32(d.in[0]), c.f32(d.out[0]));
      return Status::ok();
    }
    case OpKind::Normalize:
      u8_normalize_scalar(c.elements(d.in[0]), p.norm_mean, p.norm_std, c.u8(d.in[0]), c.f32(d.out[0]));
      return Status::ok();
    case OpKind::Relu:
      relu(c, d, std::numeric_limits<float>::infinity());
      return Status::ok();
    case OpKind::Relu6:
      relu(c, d, 6.0f);
      return Status::ok();
    case OpKind::MaxPool2d:
      maxpool(c, d);
      return Status::ok();
    case OpKind::ReluBwd:
      relu_bwd(c, d);
      return Status::ok();
    case OpKind::BatchNormBwd: {
      const Matrix m = as_matrix(c, d.in[0]);
      batchnorm_bwd(c, {m.rows, m.cols, p.eps, c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.in[2]),
                        c.f32(d.in[3]), c.f32(d.in[4]), c.f32(d.out[0]), c.f32(d.out[1]),
                        c.f32(d.out[2])});
      return Status::ok();
    }
    case OpKind::MaxPool2dBwd:
      maxpool_bwd(c, d);
      return Status::ok();
    case OpKind::Conv2dBwdData:
      return conv_bwd_data(c, window_geometry(c, d, d.out[0], d.in[0]), c.f32(d.in[0]),
                           c.f32(d.in[1]), c.f32(d.out[0]));
    case OpKind::Conv2dBwdWeights:
      conv_bwd_weights(c, window_geometry(c, d, d.in[0], d.in[1]), c.f32(d.in[0]), c.f32(d.in[1]),
                       c.f32(d.out[0]), c.f32(d.out[1]));
      return Status::ok();
    case OpKind::SgdMomentum:
      f32_sgd_momentum_scalar(c.elements(d.in[0]), c.optimizer.lr, c.optimizer.momentum,
                              c.optimizer.weight_decay, c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.in[2]));
      return Status::ok();
    default:
      return Status::error(StatusCode::InvalidPlan, "op kind %d has no kernel", static_cast<int>(d.kind));
  }
}

}  // namespace edgetrain

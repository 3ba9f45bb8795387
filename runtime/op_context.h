// What one op needs to run: the plan's tables, the two memory regions, the thread pool and the
// optimizer settings and the seed; views of its tensors. Read by every op adapter (ops/ops.h).
#pragma once

#include <pthreadpool.h>

#include "kernels/geometry.h"
#include "plan_format.h"
#include "edgetrain/communicator.h"
#include "edgetrain/session.h"
#include "edgetrain/status.h"

namespace edgetrain {

// One step's optimizer settings. The plan fixes which optimizer runs (its update ops: SgdMomentum,
// Adam or AdamW); momentum is SGD's, beta1, beta2 and eps are Adam's and AdamW's, lr and
// weight_decay both's (L2 on the gradient, but decoupled for AdamW, as PyTorch's).
// The step's settings as the API takes them (edgetrain/session.h: lr, momentum, weight decay,
// Adam's betas and eps), plus what the runtime adds.
struct OptimizerConfig : StepSettings {
  // The 1-based count of this step in the run (steps completed + 1): Adam's bias corrections
  // need it, so a resumed run passes the saved position's (the trainer does).
  uint32_t step = 1;
};

struct OpContext {
  const Plan* plan;
  unsigned char* arena;
  unsigned char* params;
  pthreadpool_t pool;
  OptimizerConfig optimizer;
  // The session's seed (SessionOptions::seed: the weights', and the trainer's epoch order's), which
  // keys Dropout's masks with optimizer.step and the op's salt (kernels/dropout_rng.h).
  uint64_t seed = 0;
  // Data parallel (edgetrain/communicator.h): where GradAllReduceStart/Wait hand their buckets;
  // null: one process, and both are no-ops.
  Communicator* comm = nullptr;
  // SyncBatchNorm (SessionOptions::sync_batchnorm): training BatchNorms average their statistics
  // over comm's ranks.
  bool sync_batchnorm = false;

  const TensorDesc& tensor(int32_t id) const { return plan->tensors[id]; }
  // Null for id -1 (an optional operand the op does not have).
  float* f32(int32_t id) const {
    if (id < 0) return nullptr;
    const TensorDesc& t = tensor(id);
    return reinterpret_cast<float*>((t.region == Region::Arena ? arena : params) + t.offset);
  }
  int32_t* i32(int32_t id) const { return reinterpret_cast<int32_t*>(f32(id)); }
  uint8_t* u8(int32_t id) const { return reinterpret_cast<uint8_t*>(f32(id)); }  // U8 and Bit
  size_t elements(int32_t id) const {
    size_t n = 1;
    for (uint32_t i = 0; i < tensor(id).rank; ++i) n *= tensor(id).shape[i];
    return n;
  }
};

// Window geometry of a conv or pool op from its NHWC input `x` and output `y` tensors.
inline f32_window_geometry window_geometry(const OpContext& c, const OpDesc& op, int32_t x, int32_t y) {
  const uint32_t* xs = c.tensor(x).shape;
  const uint32_t* ys = c.tensor(y).shape;
  const OpParams& p = op.params;
  return {xs[0], xs[1], xs[2], xs[3], ys[1], ys[2], ys[3], p.kernel_h, p.kernel_w,
          p.stride_h, p.stride_w, p.pad_top, p.pad_left, p.groups == 0 ? 1u : p.groups};
}

// A tensor seen as a [rows, cols] matrix.
struct MatrixView {
  size_t rows, cols;
};
// [N*H*W, C]: rows of the last dimension (BatchNorm's channels).
inline MatrixView channel_rows(const OpContext& c, int32_t id) {
  const TensorDesc& t = c.tensor(id);
  const size_t cols = t.rank == 1 ? t.shape[0] : t.shape[t.rank - 1];
  return {c.elements(id) / cols, cols};
}
// [N, everything else]: the batch's rows (the FC and loss view).
inline MatrixView batch_rows(const OpContext& c, int32_t id) {
  const size_t batch = c.tensor(id).shape[0];
  return {batch, c.elements(id) / batch};
}

}  // namespace edgetrain

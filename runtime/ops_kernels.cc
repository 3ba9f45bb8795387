// Ops computed by our own kernels: BatchNorm, the loss, every backward op and the optimizer.
// Kernels are single-threaded scalar references for now; the tensors' shapes come from the plan.
#include "kernels/kernels.h"
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

}  // namespace

Status run_kernel_op(const OpContext& c, const OpDesc& d) {
  const OpParams& p = d.params;
  switch (d.kind) {
    case OpKind::BatchNormTrain: {
      const Matrix m = as_matrix(c, d.in[0]);
      f32_batchnorm_fwd_train_scalar(m.rows, m.cols, p.eps, c.f32(d.in[0]), c.f32(d.in[1]),
                                     c.f32(d.in[2]), c.f32(d.out[0]), c.f32(d.out[1]), c.f32(d.out[2]));
      if (p.update_running_stats) {
        f32_batchnorm_update_running_scalar(m.rows, m.cols, p.momentum, c.f32(d.out[1]),
                                            c.f32(d.out[2]), c.f32(d.in[3]), c.f32(d.in[4]));
      }
      return Status::ok();
    }
    case OpKind::BatchNormEval: {
      const Matrix m = as_matrix(c, d.in[0]);
      f32_batchnorm_fwd_eval_scalar(m.rows, m.cols, p.eps, c.f32(d.in[0]), c.f32(d.in[1]),
                                    c.f32(d.in[2]), c.f32(d.in[3]), c.f32(d.in[4]), c.f32(d.out[0]));
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
      f32_fc_bwd_data_scalar(dx.rows, dx.cols, as_batch(c, d.in[0]).cols, c.f32(d.in[0]),
                             c.f32(d.in[1]), c.f32(d.out[0]));
      return Status::ok();
    }
    case OpKind::FullyConnectedBwdWeights: {
      const Matrix x = as_batch(c, d.in[0]);
      f32_fc_bwd_weights_scalar(x.rows, x.cols, as_batch(c, d.in[1]).cols, c.f32(d.in[0]),
                                c.f32(d.in[1]), c.f32(d.out[0]), c.f32(d.out[1]));
      return Status::ok();
    }
    case OpKind::GlobalAvgPoolBwd: {
      const uint32_t* s = c.tensor(d.out[0]).shape;
      f32_gavgpool_bwd_scalar(s[0], size_t{s[1]} * s[2], s[3], c.f32(d.in[0]), c.f32(d.out[0]));
      return Status::ok();
    }
    case OpKind::ReluBwd:
      f32_relu_bwd_scalar(c.elements(d.in[0]), c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.out[0]));
      return Status::ok();
    case OpKind::Relu6Bwd:
      f32_relu6_bwd_scalar(c.elements(d.in[0]), c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.out[0]));
      return Status::ok();
    case OpKind::BatchNormBwd: {
      const Matrix m = as_matrix(c, d.in[0]);
      f32_batchnorm_bwd_scalar(m.rows, m.cols, p.eps, c.f32(d.in[0]), c.f32(d.in[1]), c.f32(d.in[2]),
                               c.f32(d.in[3]), c.f32(d.in[4]), c.f32(d.out[0]), c.f32(d.out[1]),
                               c.f32(d.out[2]));
      return Status::ok();
    }
    case OpKind::MaxPool2dBwd:
      f32_maxpool2d_bwd_scalar(window_geometry(c, d, d.in[0], d.in[1]), c.f32(d.in[0]),
                               c.f32(d.in[1]), c.f32(d.out[0]));
      return Status::ok();
    case OpKind::Conv2dBwdData:
      f32_conv2d_bwd_data_scalar(window_geometry(c, d, d.out[0], d.in[0]), c.f32(d.in[0]),
                                 c.f32(d.in[1]), c.f32(d.out[0]));
      return Status::ok();
    case OpKind::Conv2dBwdWeights:
      f32_conv2d_bwd_weights_scalar(window_geometry(c, d, d.in[0], d.in[1]), c.f32(d.in[0]),
                                    c.f32(d.in[1]), c.f32(d.out[0]), c.f32(d.out[1]));
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

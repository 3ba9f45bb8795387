#include "cost/cost.h"

namespace edgetrain::planner {

namespace {

double elems(const Graph& g, TensorId id) {
  return id == kNoTensor ? 0.0 : static_cast<double>(g.at(id).bytes() / 4);
}

}  // namespace

double op_flops(const Graph& g, const Op& op) {
  const OpParams& p = op.params;
  switch (op.kind) {
    case OpKind::Conv2d: {
      const auto& w = g.at(op.in[1]).shape;  // [out_c][kh][kw][in_c / groups]
      return 2.0 * elems(g, op.out[0]) * w[1] * w[2] * w[3];
    }
    case OpKind::Conv2dBwdData:
    case OpKind::Conv2dBwdWeights: {
      const auto& dy = g.at(op.in[op.kind == OpKind::Conv2dBwdData ? 0 : 1]).shape;
      const double per_out = static_cast<double>(p.kernel_h) * p.kernel_w;
      const TensorId w = op.kind == OpKind::Conv2dBwdData ? op.in[1] : op.out[0];
      const double in_per_group = g.at(w).shape[3];
      return 2.0 * dy[0] * dy[1] * dy[2] * dy[3] * per_out * in_per_group;
    }
    case OpKind::FullyConnected:
      return 2.0 * elems(g, op.out[0]) * g.at(op.in[1]).shape[1];
    case OpKind::FullyConnectedBwdData:
    case OpKind::FullyConnectedBwdWeights: {
      const auto& w = g.at(op.kind == OpKind::FullyConnectedBwdData ? op.in[1] : op.out[0]).shape;
      const TensorId dy = op.kind == OpKind::FullyConnectedBwdData ? op.in[0] : op.in[1];
      return 2.0 * elems(g, dy) * w[1];
    }
    case OpKind::BatchNormTrain: return 8.0 * elems(g, op.in[0]);  // statistics + normalise
    case OpKind::BatchNormEval: return 2.0 * elems(g, op.in[0]);
    case OpKind::BatchNormBwd: return 10.0 * elems(g, op.in[0]);
    case OpKind::MaxPool2d: return elems(g, op.out[0]) * p.kernel_h * p.kernel_w;
    case OpKind::MaxPool2dBwd: return elems(g, op.in[1]) * p.kernel_h * p.kernel_w;
    case OpKind::SoftmaxCrossEntropy:
    case OpKind::SoftmaxCrossEntropyBwd: return 5.0 * elems(g, op.in[0]);
    case OpKind::SgdMomentum: return 4.0 * elems(g, op.in[0]);
    default:  // element-wise: ReLU, ReLU6, their backward, add, pooling sums
      return elems(g, op.out.empty() || op.out[0] == kNoTensor ? op.in[0] : op.out[0]);
  }
}

double TimeModel::forward(const Graph& g, int32_t forward_op) const {
  const auto i = static_cast<size_t>(forward_op);
  if (i < forward_seconds.size() && forward_seconds[i] >= 0) return forward_seconds[i];
  return op_flops(g, g.forward[i]) / flops_per_second;
}

double TimeModel::backward(const Graph& g, int32_t forward_op) const {
  const auto i = static_cast<size_t>(forward_op);
  if (i < backward_seconds.size() && backward_seconds[i] >= 0) return backward_seconds[i];
  double flops = 0;
  for (size_t k = g.forward.size(); k < g.train.size(); ++k) {
    if (g.train[k].source == forward_op && timed(g.train[k])) flops += op_flops(g, g.train[k]);
  }
  return flops / flops_per_second;
}

}  // namespace edgetrain::planner

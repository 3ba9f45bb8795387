#include "training.h"

#include <stdexcept>

namespace edgetrain::planner {

namespace {

class Backward {
 public:
  explicit Backward(Graph& g) : g_(g), grad_(g.tensors.size(), kNoTensor) {}

  void run() {
    check_no_fan_out();
    for (auto it = g_.forward.rbegin(); it != g_.forward.rend(); ++it) differentiate(*it);
    for (const auto& [param, grad] : param_grads_) {
      const Tensor& p = g_.at(param);
      const TensorId velocity =
          g_.add({p.name + ".velocity", Role::OptState, DType::F32, Init::Zeros, p.shape});
      g_.train.push_back({OpKind::SgdMomentum, {param, grad, velocity}, {}});
    }
  }

 private:
  // Gradients are written, never accumulated: a tensor read by two ops would need a sum.
  void check_no_fan_out() const {
    std::vector<int> readers(g_.tensors.size(), 0);
    for (const Op& op : g_.forward) {
      for (TensorId id : op.in) {
        if (id != kNoTensor && g_.at(id).role == Role::Activation && ++readers[id] > 1) {
          throw std::invalid_argument("tensor '" + g_.at(id).name +
                                      "' feeds two ops; fan-out (residual blocks) is not "
                                      "supported by this planner version");
        }
      }
    }
  }

  // The gradient tensor of `id`, created on first use; kNoTensor if `id` needs none.
  TensorId grad_of(TensorId id) {
    if (id == kNoTensor) return kNoTensor;
    const Tensor& t = g_.at(id);
    if (t.role != Role::Activation && t.role != Role::Param) return kNoTensor;
    if (grad_[id] == kNoTensor) {
      const Role role = t.role == Role::Param ? Role::ParamGrad : Role::Gradient;
      Tensor d{"d." + t.name, role, DType::F32, Init::None, t.shape};
      grad_[id] = g_.add(std::move(d));
      grad_.resize(g_.tensors.size(), kNoTensor);
      if (role == Role::ParamGrad) param_grads_.emplace_back(id, grad_[id]);
    }
    return grad_[id];
  }

  void emit(OpKind kind, std::vector<TensorId> in, std::vector<TensorId> out,
            const OpParams& params = {}) {
    g_.train.push_back({kind, std::move(in), std::move(out), params});
  }

  void differentiate(const Op& op) {
    if (op.kind == OpKind::SoftmaxCrossEntropy) {
      emit(OpKind::SoftmaxCrossEntropyBwd, {op.out[1], op.in[1]}, {grad_of(op.in[0])});
      return;
    }
    const TensorId dy = grad_[op.out[0]];
    if (dy == kNoTensor) return;  // the loss does not depend on this op
    switch (op.kind) {
      case OpKind::Conv2d:
        emit(OpKind::Conv2dBwdWeights, {op.in[0], dy}, {grad_of(op.in[1]), grad_of(op.in[2])},
             op.params);
        if (needs_grad(op.in[0])) emit(OpKind::Conv2dBwdData, {dy, op.in[1]}, {grad_of(op.in[0])}, op.params);
        break;
      case OpKind::FullyConnected:
        emit(OpKind::FullyConnectedBwdWeights, {op.in[0], dy},
             {grad_of(op.in[1]), grad_of(op.in[2])});
        if (needs_grad(op.in[0])) emit(OpKind::FullyConnectedBwdData, {dy, op.in[1]}, {grad_of(op.in[0])});
        break;
      case OpKind::BatchNormTrain:
        emit(OpKind::BatchNormBwd, {op.in[0], op.in[1], op.out[1], op.out[2], dy},
             {grad_of(op.in[0]), grad_of(op.in[1]), grad_of(op.in[2])}, op.params);
        break;
      case OpKind::Relu:
        emit(OpKind::ReluBwd, {op.out[0], dy}, {grad_of(op.in[0])});
        break;
      case OpKind::MaxPool2d:
        emit(OpKind::MaxPool2dBwd, {op.in[0], dy}, {grad_of(op.in[0])}, op.params);
        break;
      case OpKind::GlobalAvgPool:
        emit(OpKind::GlobalAvgPoolBwd, {dy}, {grad_of(op.in[0])});
        break;
      default:
        throw std::logic_error(std::string("no backward rule for ") + op_name(op.kind));
    }
  }

  bool needs_grad(TensorId id) const { return g_.at(id).role == Role::Activation; }

  Graph& g_;
  std::vector<TensorId> grad_;
  std::vector<std::pair<TensorId, TensorId>> param_grads_;  // in backward order
};

}  // namespace

void derive_schedules(Graph& g) {
  g.train = g.forward;
  Backward(g).run();

  g.eval.clear();
  for (const Op& op : g.forward) {
    if (op.kind == OpKind::SoftmaxCrossEntropy) continue;
    Op e = op;
    if (op.kind == OpKind::BatchNormTrain) {
      e.kind = OpKind::BatchNormEval;
      e.out = {op.out[0]};
      e.params.update_running_stats = 0;
    }
    g.eval.push_back(e);
  }
}

}  // namespace edgetrain::planner

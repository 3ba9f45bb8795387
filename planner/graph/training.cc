#include "graph/training.h"

#include <stdexcept>

#include "graph/backward.h"
#include "graph/prune.h"

namespace edgetrain::planner {

std::vector<bool> requires_grad(const Graph& g, const std::vector<bool>& frozen) {
  // An activation needs a gradient only if a trainable parameter lies upstream of it: never the
  // image, so the first layer computes no input gradient, nor does the first trainable one.
  std::vector<bool> rg(g.tensors.size(), false);
  for (const Op& op : g.forward) {
    bool upstream = false;
    for (TensorId id : op.in) {
      upstream |= id != kNoTensor && ((g.at(id).role == Role::Param && !is_frozen(frozen, id)) || rg[id]);
    }
    for (TensorId id : op.out) {
      if (id != kNoTensor) rg[id] = upstream;
    }
  }
  return rg;
}

namespace {

// A forward op that writes what its backward reads besides its output: a ReLU's or a dropout's
// mask, a max pool's winning taps (slot 1 of each).
bool keeps_for_backward(const Op& op) {
  static_assert(+slot::Relu::mask == 1 && +slot::MaxPool2d::taps == 1 && +slot::Dropout::mask == 1);
  const bool keeps = op.kind == OpKind::Relu || op.kind == OpKind::Relu6 || op.kind == OpKind::MaxPool2d ||
                     op.kind == OpKind::Dropout;
  return keeps && op.out.size() > 1;
}

}  // namespace

std::vector<OpKind> optimizer_kinds() {
  std::vector<OpKind> kinds;
  for (uint16_t k = 0; k < kOpKindCount; ++k) {
    if (optimizer_name(static_cast<OpKind>(k)) != nullptr) kinds.push_back(static_cast<OpKind>(k));
  }
  return kinds;
}

OpKind parse_optimizer(const std::string& name) {
  std::string known;
  for (OpKind kind : optimizer_kinds()) {
    if (name == optimizer_name(kind)) return kind;
    known += (known.empty() ? "" : "|") + std::string(optimizer_name(kind));
  }
  throw std::invalid_argument("--optimizer is " + known + ", got '" + name + "'");
}

void derive_schedules(Graph& g, const std::vector<bool>& frozen, Updates updates, OpKind optimizer) {
  if (optimizer_name(optimizer) == nullptr) throw std::logic_error(std::string(op_name(optimizer)) + " is no optimizer");
  // A ReLU or max pool whose input needs no gradient (below the first trainable layer) keeps no
  // mask or taps: nothing would read them.
  const std::vector<bool> rg = requires_grad(g, frozen);
  for (Op& op : g.forward) {
    if (keeps_for_backward(op) && !rg[op.in[0]]) op.out.resize(1);
  }
  g.train = g.forward;
  for (size_t i = 0; i < g.train.size(); ++i) g.train[i].source = static_cast<int32_t>(i);
  Backward(g, frozen, updates, optimizer).run();

  g.eval.clear();
  for (const Op& op : g.forward) {
    if (op.kind == OpKind::SoftmaxCrossEntropy) continue;
    Op e = op;
    if (op.kind == OpKind::BatchNormTrain) {
      static_assert(+slot::BatchNormEval::mean == +slot::BatchNormTrain::running_mean &&
                    +slot::BatchNormEval::var == +slot::BatchNormTrain::running_var);
      e.kind = OpKind::BatchNormEval;  // on the running statistics
      e.out = {op.out[slot::BatchNormTrain::y]};
      e.params.update_running_stats = 0;
    }
    if (op.kind == OpKind::Dropout) set_dropout(e.params, 0.0f, dropout_salt(op.params));  // the identity
    if (keeps_for_backward(op)) e.out.resize(1);  // evaluation keeps no masks or taps
    g.eval.push_back(e);
  }
  drop_unreferenced_tensors(g);
}

}  // namespace edgetrain::planner

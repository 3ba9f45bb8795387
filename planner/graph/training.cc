#include "graph/training.h"

#include <algorithm>
#include <stdexcept>

#include "graph/prune.h"

namespace edgetrain::planner {

namespace {

bool is_frozen(const std::vector<bool>& frozen, TensorId id) {
  return id >= 0 && static_cast<size_t>(id) < frozen.size() && frozen[static_cast<size_t>(id)];
}

class Backward {
 public:
  Backward(Graph& g, const std::vector<bool>& frozen, Updates updates)
      : g_(g), frozen_(frozen), updates_(updates), grad_(g.tensors.size(), kNoTensor), parts_(g.tensors.size()),
        readers_(g.tensors.size(), 0), requires_grad_(requires_grad(g, frozen)),
        producer_(g.tensors.size(), -1) {
    for (size_t i = 0; i < g_.forward.size(); ++i) {
      for (TensorId id : g_.forward[i].out) {
        if (id != kNoTensor) producer_[id] = static_cast<int32_t>(i);
      }
    }
    for (const Op& op : g_.forward) {
      for (TensorId id : op.in) {
        if (id == kNoTensor) continue;
        const Role role = g_.at(id).role;
        if (role == Role::Activation) ++readers_[id];
        if (role == Role::Param && ++readers_[id] > 1) {
          throw std::invalid_argument("parameter '" + g_.at(id).name +
                                      "' is used by two layers; shared weights are not supported");
        }
      }
    }
  }

  void run() {
    for (int i = static_cast<int>(g_.forward.size()) - 1; i >= 0; --i) {
      source_ = i;
      differentiate(g_.forward[static_cast<size_t>(i)]);
      for (TensorId id : due_) sum(id);
      due_.clear();
    }
    add_updates();
  }

 private:
  // One SgdMomentum per trained parameter (training.h, Updates).
  void add_updates() {
    const size_t n = g_.forward.size();
    std::vector<std::vector<Op>> after(g_.train.size());  // updates to insert after op k
    for (const auto& [param, grad] : param_grads_) {
      const Tensor& p = g_.at(param);
      const TensorId velocity =
          g_.add({p.name + ".velocity", Role::OptState, DType::F32, Init::Zeros, p.shape});
      Op update{OpKind::SgdMomentum, {param, grad, velocity}, {}};
      if (updates_ == Updates::AtStepEnd) {
        g_.train.push_back(std::move(update));
        continue;
      }
      size_t last = n;
      for (size_t k = n; k < g_.train.size(); ++k) {
        const Op& op = g_.train[k];
        const auto touches = [&](TensorId id) {
          return std::count(op.in.begin(), op.in.end(), id) + std::count(op.out.begin(), op.out.end(), id) > 0;
        };
        if (touches(param) || touches(grad)) last = k;
      }
      update.source = g_.train.at(last).source;
      after[last].push_back(std::move(update));
    }
    if (updates_ == Updates::AtStepEnd) return;
    std::vector<Op> train;
    for (size_t k = 0; k < g_.train.size(); ++k) {
      train.push_back(std::move(g_.train[k]));
      for (Op& u : after[k]) train.push_back(std::move(u));
    }
    g_.train = std::move(train);
  }

  // Which forward op's backward runs a conv's input gradient. Its own, unless the output gradient
  // is the smaller of the two (a strided or channel-reducing conv, the input read by this conv
  // alone): then the producer of the input runs it, so the gradient held between the two is dy,
  // not dx, and a recompute of the layers below can run while only dy is held. (MobileNet v1's
  // 112x112 -> 56x56 depthwise conv: the gradient held drops from 98 MiB to 24.5 MiB at batch 32.)
  int32_t input_gradient_owner(const Op& conv) const {
    const TensorId x = conv.in[0], y = conv.out[0];
    if (readers_[x] != 1 || producer_[x] < 0 || g_.at(y).bytes() >= g_.at(x).bytes()) return -1;
    return producer_[x];
  }

  bool needs_grad(TensorId id) const {
    return id != kNoTensor && g_.at(id).role == Role::Activation && requires_grad_[id];
  }

  TensorId new_grad(const std::string& name, const Tensor& like, Role role) {
    const TensorId id = g_.add({name, role, DType::F32, Init::None, like.shape});
    grad_.resize(g_.tensors.size(), kNoTensor);
    parts_.resize(g_.tensors.size());
    readers_.resize(g_.tensors.size(), 0);
    requires_grad_.resize(g_.tensors.size(), false);
    return id;
  }

  // A fresh tensor for one reader's gradient contribution to `id` (kNoTensor if `id` needs no
  // gradient). With one reader it is the gradient itself.
  TensorId contribution(TensorId id) {
    if (id == kNoTensor) return kNoTensor;
    const Tensor& t = g_.at(id);
    if (t.role == Role::Param) {
      if (is_frozen(frozen_, id)) return kNoTensor;
      const TensorId d = new_grad("d." + t.name, t, Role::ParamGrad);
      param_grads_.emplace_back(id, d);
      return d;
    }
    if (!needs_grad(id)) return kNoTensor;
    const std::string name = "d." + t.name;
    const TensorId d = readers_[id] > 1
        ? new_grad(name + "@" + std::to_string(parts_[id].size()), g_.at(id), Role::Gradient)
        : new_grad(name, g_.at(id), Role::Gradient);
    add_part(id, d);
    return d;
  }

  // Records a contribution; once the last reader has its own, the sum is due right after the
  // current op (which writes that contribution).
  void add_part(TensorId id, TensorId d) {
    parts_[id].push_back(d);
    if (static_cast<int>(parts_[id].size()) == readers_[id]) due_.push_back(id);
  }

  void sum(TensorId id) {
    std::vector<TensorId>& parts = parts_[id];
    if (parts.empty() || grad_[id] != kNoTensor) return;
    TensorId acc = parts[0];
    for (size_t k = 1; k < parts.size(); ++k) {
      const bool last = k + 1 == parts.size();
      const TensorId out = new_grad("d." + g_.at(id).name + (last ? "" : "+" + std::to_string(k)),
                                    g_.at(id), Role::Gradient);
      emit(OpKind::Add, {acc, parts[k]}, {out});
      acc = out;
    }
    grad_[id] = acc;
  }

  void emit(OpKind kind, std::vector<TensorId> in, std::vector<TensorId> out,
            const OpParams& params = {}, int32_t source = -1) {
    Op op{kind, std::move(in), std::move(out), params};
    op.source = source >= 0 ? source : source_;
    g_.train.push_back(std::move(op));
  }

  void differentiate(const Op& op) {
    if (op.kind == OpKind::Normalize) return;  // the image needs no gradient
    if (op.kind == OpKind::SoftmaxCrossEntropy) {
      emit(OpKind::SoftmaxCrossEntropyBwd, {op.out[1], op.in[1]}, {contribution(op.in[0])});
      return;
    }
    sum(op.out[0]);  // a dead branch may have fewer contributions than readers
    const TensorId dy = grad_[op.out[0]];
    if (dy == kNoTensor) return;  // the loss does not depend on this op
    switch (op.kind) {
      case OpKind::Conv2d:
        weight_gradients(OpKind::Conv2dBwdWeights, op, dy);
        if (needs_grad(op.in[0])) {
          emit(OpKind::Conv2dBwdData, {dy, op.in[1]}, {contribution(op.in[0])}, op.params,
               input_gradient_owner(op));
        }
        break;
      case OpKind::FullyConnected:
        weight_gradients(OpKind::FullyConnectedBwdWeights, op, dy);
        if (needs_grad(op.in[0])) emit(OpKind::FullyConnectedBwdData, {dy, op.in[1]}, {contribution(op.in[0])});
        break;
      case OpKind::BatchNormTrain:
        emit(OpKind::BatchNormBwd, {op.in[0], op.in[1], op.out[1], op.out[2], dy},
             {contribution(op.in[0]), contribution(op.in[1]), contribution(op.in[2])}, op.params);
        break;
      case OpKind::BatchNormEval:  // frozen (freeze.h): its input must need no gradient
        if (needs_grad(op.in[0])) {
          throw std::logic_error("no backward rule for a BatchNormEval whose input needs a gradient");
        }
        break;
      case OpKind::Relu:
      case OpKind::Relu6:  // from the forward's 1-bit mask: neither x nor y is kept for it
        if (needs_grad(op.in[0])) emit(OpKind::ReluBwd, {op.out[1], dy}, {contribution(op.in[0])});
        break;
      case OpKind::MaxPool2d:  // from the forward's winning taps, not x
        if (needs_grad(op.in[0])) emit(OpKind::MaxPool2dBwd, {op.out[1], dy}, {contribution(op.in[0])}, op.params);
        break;
      case OpKind::GlobalAvgPool:
        if (needs_grad(op.in[0])) emit(OpKind::GlobalAvgPoolBwd, {dy}, {contribution(op.in[0])});
        break;
      case OpKind::Add:
        // d(a+b)/da = d(a+b)/db = 1: dy itself is both contributions, no copy. Safe because
        // gradients are never written in place.
        for (TensorId x : op.in) {
          if (needs_grad(x)) add_part(x, dy);
        }
        break;
      default:
        throw std::logic_error(std::string("no backward rule for ") + op_name(op.kind));
    }
  }

  // Conv and FC weight (and bias) gradients; none for a frozen layer, whose input the backward
  // then does not read (so no plan keeps it).
  void weight_gradients(OpKind kind, const Op& op, TensorId dy) {
    const bool w_frozen = is_frozen(frozen_, op.in[1]);
    if (op.in[2] != kNoTensor && is_frozen(frozen_, op.in[2]) != w_frozen) {
      throw std::logic_error("layer of '" + g_.at(op.in[1]).name + "' is frozen in part");
    }
    if (w_frozen) return;
    emit(kind, {op.in[0], dy}, {contribution(op.in[1]), contribution(op.in[2])},
         kind == OpKind::Conv2dBwdWeights ? op.params : OpParams{});
  }

  Graph& g_;
  const std::vector<bool>& frozen_;
  const Updates updates_;
  std::vector<TensorId> grad_;                // the summed gradient of each activation
  std::vector<std::vector<TensorId>> parts_;  // contributions written so far
  std::vector<int> readers_;                  // forward ops reading each tensor
  std::vector<bool> requires_grad_;           // of each forward tensor
  std::vector<int32_t> producer_;             // forward op writing each forward tensor
  std::vector<TensorId> due_;                 // complete contributions, summed after the op
  std::vector<std::pair<TensorId, TensorId>> param_grads_;  // in backward order
  int32_t source_ = -1;
};

}  // namespace

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

void derive_schedules(Graph& g, const std::vector<bool>& frozen, Updates updates) {
  // A ReLU or max pool whose input needs no gradient (below the first trainable layer) keeps no
  // mask or taps: nothing would read them.
  const std::vector<bool> rg = requires_grad(g, frozen);
  for (Op& op : g.forward) {
    const bool keeps = op.kind == OpKind::Relu || op.kind == OpKind::Relu6 || op.kind == OpKind::MaxPool2d;
    if (keeps && op.out.size() > 1 && !rg[op.in[0]]) op.out.resize(1);
  }
  g.train = g.forward;
  for (size_t i = 0; i < g.train.size(); ++i) g.train[i].source = static_cast<int32_t>(i);
  Backward(g, frozen, updates).run();

  g.eval.clear();
  for (const Op& op : g.forward) {
    if (op.kind == OpKind::SoftmaxCrossEntropy) continue;
    Op e = op;
    if (op.kind == OpKind::BatchNormTrain) {
      e.kind = OpKind::BatchNormEval;
      e.out = {op.out[0]};
      e.params.update_running_stats = 0;
    }
    // Evaluation keeps nothing for a backward: no ReLU masks or max-pool taps.
    if (op.kind == OpKind::Relu || op.kind == OpKind::Relu6 || op.kind == OpKind::MaxPool2d) {
      e.out = {op.out[0]};
    }
    g.eval.push_back(e);
  }
  drop_unreferenced_tensors(g);
}

}  // namespace edgetrain::planner

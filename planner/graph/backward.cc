#include "graph/backward.h"

#include <algorithm>
#include <stdexcept>

#include "graph/op_rules.h"
#include "graph/training.h"

namespace edgetrain::planner {

Backward::Backward(Graph& g, const std::vector<bool>& frozen, Updates updates, OpKind optimizer)
    : g_(g), frozen_(frozen), updates_(updates), optimizer_(optimizer), grad_(g.tensors.size(), kNoTensor), parts_(g.tensors.size()),
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

void Backward::run() {
  for (int i = static_cast<int>(g_.forward.size()) - 1; i >= 0; --i) {
    source_ = i;
    differentiate(g_.forward[static_cast<size_t>(i)]);
    for (TensorId id : due_) sum(id);
    due_.clear();
  }
  add_updates();
}

// One update of the optimizer's kind per trained parameter, with its state tensors (training.h).
void Backward::add_updates() {
  const size_t n = g_.forward.size();
  std::vector<std::vector<Op>> after(g_.train.size());  // updates to insert after op k
  // The last backward op touching each tensor (n: none), in one pass: per parameter a scan of
  // the whole backward made planning quadratic in the layer count.
  std::vector<size_t> last_touch(g_.tensors.size(), n);
  for (size_t k = n; k < g_.train.size(); ++k) {
    for (const std::vector<TensorId>* ids : {&g_.train[k].in, &g_.train[k].out}) {
      for (TensorId id : *ids) {
        if (id != kNoTensor) last_touch[static_cast<size_t>(id)] = k;
      }
    }
  }
  for (const auto& [param, grad] : param_grads_) {
    const std::string name = g_.at(param).name;
    const std::vector<uint32_t> shape = g_.at(param).shape;  // g_.add may move the tensors
    Op update{optimizer_, {param, grad}, {}};
    for (int k = kOptimizerStateSlot; k < op_input_count(optimizer_); ++k) {
      const std::string state = name + "." + std::string(op_input_name(optimizer_, k));
      update.in.push_back(g_.add({state, Role::OptState, DType::F32, Init::Zeros, shape}));
    }
    if (updates_ == Updates::AtStepEnd) {
      g_.train.push_back(std::move(update));
      continue;
    }
    const size_t last = std::max(last_touch[static_cast<size_t>(param)], last_touch[static_cast<size_t>(grad)]);
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

// Its own, unless the output gradient is the smaller of the two (a strided or channel-reducing
// conv, the input read by this conv alone): then the producer of the input runs it, so the
// gradient held between the two is dy, not dx, and a recompute of the layers below can run while
// only dy is held. (MobileNet v1's 112x112 -> 56x56 depthwise conv: the gradient held drops from
// 98 MiB to 24.5 MiB at batch 32.)
int32_t Backward::input_gradient_owner(const Op& conv) const {
  const TensorId x = conv.in[slot::Conv2d::x], y = conv.out[slot::Conv2d::y];
  if (readers_[x] != 1 || producer_[x] < 0 || g_.at(y).bytes() >= g_.at(x).bytes()) return -1;
  return producer_[x];
}

bool Backward::needs_grad(TensorId id) const {
  return id != kNoTensor && g_.at(id).role == Role::Activation && requires_grad_[id];
}

TensorId Backward::new_grad(const std::string& name, const Tensor& like, Role role) {
  const TensorId id = g_.add({name, role, DType::F32, Init::None, like.shape});
  grad_.resize(g_.tensors.size(), kNoTensor);
  parts_.resize(g_.tensors.size());
  readers_.resize(g_.tensors.size(), 0);
  requires_grad_.resize(g_.tensors.size(), false);
  return id;
}

TensorId Backward::contribution(TensorId id) {
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

// Once the last reader has its own contribution, the sum is due right after the current op
// (which writes that contribution).
void Backward::add_part(TensorId id, TensorId d) {
  parts_[id].push_back(d);
  if (static_cast<int>(parts_[id].size()) == readers_[id]) due_.push_back(id);
}

void Backward::sum(TensorId id) {
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

void Backward::emit(OpKind kind, std::vector<TensorId> in, std::vector<TensorId> out,
                    const OpParams& params, int32_t source) {
  Op op{kind, std::move(in), std::move(out), params};
  op.source = source >= 0 ? source : source_;
  g_.train.push_back(std::move(op));
}

void Backward::differentiate(const Op& op) {
  const OpRule& rule = op_rule(op.kind);
  if (rule.flow == GradFlow::None) return;
  if (rule.backward == nullptr) {
    throw std::logic_error(std::string("no backward rule for ") + op_name(op.kind));
  }
  TensorId dy = kNoTensor;
  if (rule.flow == GradFlow::FromOutput) {
    sum(op.out[0]);  // a dead branch may have fewer contributions than readers
    dy = grad_[op.out[0]];
    if (dy == kNoTensor) return;  // the loss does not depend on this op
  }
  rule.backward(*this, op, dy);
}

void Backward::weight_gradients(OpKind kind, const Op& op, TensorId dy) {
  // Conv2d and FullyConnected name their slots alike.
  static_assert(+slot::Conv2d::x == +slot::FullyConnected::x && +slot::Conv2d::w == +slot::FullyConnected::w &&
                +slot::Conv2d::b == +slot::FullyConnected::b);
  const TensorId w = op.in[slot::Conv2d::w], b = op.in[slot::Conv2d::b];
  const bool w_frozen = is_frozen(frozen_, w);
  if (b != kNoTensor && is_frozen(frozen_, b) != w_frozen) {
    throw std::logic_error("layer of '" + g_.at(w).name + "' is frozen in part");
  }
  if (w_frozen) return;
  emit(kind, {op.in[slot::Conv2d::x], dy}, {contribution(w), contribution(b)},
       kind == OpKind::Conv2dBwdWeights ? op.params : OpParams{});
}

}  // namespace edgetrain::planner

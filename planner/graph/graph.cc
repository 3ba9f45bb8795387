#include "graph/graph.h"

#include <cstring>
#include <iterator>
#include <stdexcept>

namespace edgetrain::planner {

Region Tensor::region() const {
  switch (role) {
    case Role::Param:
    case Role::OptState:
    case Role::RunningStat:
      return Region::Params;
    default:
      return Region::Arena;
  }
}

uint64_t Tensor::bytes() const {
  uint64_t n = 1;
  for (uint32_t d : shape) n *= d;
  return tensor_bytes(dtype, n);
}

TensorId Graph::add(Tensor t) {
  if (t.shape.empty() || t.shape.size() > 4) {
    throw std::logic_error("tensor '" + t.name + "' must have rank 1..4");
  }
  tensors.push_back(std::move(t));
  return static_cast<TensorId>(tensors.size() - 1);
}

namespace {

struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ull;
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  }
  template <typename T>
  void value(const T& v) { bytes(&v, sizeof v); }
};

// A forward kind as the hash spells it, independent of where the enum puts it (kinds are
// inserted in their group, op_kinds.h): the kinds of the first plans by their enum values then,
// which weights files saved since carry in their hashes; any later kind by its name.
void hash_kind(Fnv1a& f, OpKind kind) {
  static constexpr OpKind kFirstKinds[] = {OpKind::Normalize,     OpKind::Conv2d,        OpKind::BatchNormTrain,
                                           OpKind::BatchNormEval, OpKind::Relu,          OpKind::Relu6,
                                           OpKind::MaxPool2d,     OpKind::GlobalAvgPool, OpKind::FullyConnected,
                                           OpKind::Add,           OpKind::SoftmaxCrossEntropy};
  for (uint16_t code = 0; code < std::size(kFirstKinds); ++code) {
    if (kFirstKinds[code] == kind) {
      f.value(code);
      return;
    }
  }
  const char* name = op_kind_name(kind);
  f.value(uint16_t{0xffff});
  f.bytes(name, std::strlen(name));
}

}  // namespace

uint64_t model_hash(const Graph& g) {
  Fnv1a f;
  for (const Op& op : g.forward) {
    // A frozen BatchNorm (freeze.h) runs in eval mode but is the same layer with the same
    // weights: a model's hash does not depend on which layers a plan trains.
    hash_kind(f, op.kind == OpKind::BatchNormEval ? OpKind::BatchNormTrain : op.kind);
    const OpParams& p = op.params;
    for (uint32_t v : {uint32_t{p.kernel_h}, uint32_t{p.kernel_w}, uint32_t{p.stride_h},
                       uint32_t{p.stride_w}, uint32_t{p.pad_top}, uint32_t{p.pad_left},
                       uint32_t{p.pad_bottom}, uint32_t{p.pad_right}, p.groups}) {
      f.value(v);
    }
    for (TensorId id : op.in) {
      if (id == kNoTensor || g.at(id).role != Role::Param) continue;
      const Tensor& t = g.at(id);
      f.bytes(t.name.data(), t.name.size());
      for (uint32_t d : t.shape) f.value(d);
    }
  }
  return f.h;
}

}  // namespace edgetrain::planner

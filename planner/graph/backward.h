// Reverse-mode differentiation of a forward graph into the train schedule (training.h).
//
// Backward walks the forward ops last to first and runs each kind's backward rule
// (op_rules.h), which emits backward ops through the calls below; it sums fan-out contributions
// with Add ops and, at the end, adds one optimizer update per trained parameter.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

enum class Updates;

// Whether `frozen` (freeze.h) marks `id`: ids past its end are trainable.
inline bool is_frozen(const std::vector<bool>& frozen, TensorId id) {
  return id >= 0 && static_cast<size_t>(id) < frozen.size() && frozen[static_cast<size_t>(id)];
}

class Backward {
 public:
  Backward(Graph& g, const std::vector<bool>& frozen, Updates updates, OpKind optimizer);
  void run();

  // For backward rules (op_rules.cc).
  const Graph& graph() const { return g_; }
  // Whether an activation needs a gradient (a trainable parameter lies upstream of it).
  bool needs_grad(TensorId id) const;
  // A fresh tensor for one reader's gradient contribution to `id` (kNoTensor if `id` needs no
  // gradient, or is a frozen parameter). With one reader it is the gradient itself.
  TensorId contribution(TensorId id);
  // Records `d` as a contribution to `id`'s gradient without a new tensor (Add passes dy on).
  void add_part(TensorId id, TensorId d);
  // Appends a backward op; `source` defaults to the forward op being differentiated.
  void emit(OpKind kind, std::vector<TensorId> in, std::vector<TensorId> out,
            const OpParams& params = {}, int32_t source = -1);
  // Conv and FC weight (and bias) gradients (`kind` is the weight-gradient op); none for a
  // frozen layer, whose input the backward then does not read (so no plan keeps it).
  void weight_gradients(OpKind kind, const Op& op, TensorId dy);
  // Which forward op's backward runs a conv's input gradient (-1: its own).
  int32_t input_gradient_owner(const Op& conv) const;

 private:
  void differentiate(const Op& op);
  void sum(TensorId id);
  void add_updates();
  TensorId new_grad(const std::string& name, const Tensor& like, Role role);

  Graph& g_;
  const std::vector<bool>& frozen_;
  const Updates updates_;
  const OpKind optimizer_;                    // the update's kind (training.h)
  std::vector<TensorId> grad_;                // the summed gradient of each activation
  std::vector<std::vector<TensorId>> parts_;  // contributions written so far
  std::vector<int> readers_;                  // forward ops reading each tensor
  std::vector<bool> requires_grad_;           // of each forward tensor
  std::vector<int32_t> producer_;             // forward op writing each forward tensor
  std::vector<TensorId> due_;                 // complete contributions, summed after the op
  std::vector<std::pair<TensorId, TensorId>> param_grads_;  // in backward order
  int32_t source_ = -1;
};

}  // namespace edgetrain::planner

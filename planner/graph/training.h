// Derives the two schedules of a plan from the forward graph:
//   train: forward, reverse-mode backward (one backward op per gradient), and each parameter's
//          optimizer update (SGD with momentum, Adam or AdamW) right after the last op that reads
//          the parameter or its gradient (or, with Updates::AtStepEnd, all updates at the end of
//          the step);
//   eval:  forward with BatchNorm on running statistics, ending at the logits.
// This is the store-all schedule; `rewrite.h` re-orders it for a checkpointing strategy. Every
// train op carries `source`, the forward op it runs or differentiates, so the rewrite can move
// each backward op together with its forward op's stage.
//
// Fan-out (a tensor read by several ops, as at residual joins) is supported: gradients are
// written, never accumulated, so each reader writes its own contribution and Add ops sum them,
// right after the last contribution is written, so only the sum crosses to earlier ops.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgetrain::planner {

// `frozen[id]` marks parameters that get no gradient, no optimizer state and no update
// (freeze.h); ids past its end are trainable. Only what a gradient of a trainable parameter needs
// is derived: no input gradient below the first trainable layer, and forward ops whose input
// needs no gradient drop what they keep for a backward (ReLU masks, max-pool taps). Tensors no
// op references any more are dropped from the graph (ids are renumbered).
//
// Updates: a parameter's gradient is an arena tensor (Role::ParamGrad). Updated after its last
// use, it lives for a few ops, so no two layers' gradients need be held at once (MobileNet v1:
// 16.9 MB of gradients that a step-end update holds together), and no later op of the step reads
// an updated weight: a recomputation re-runs only layers whose backward is still to come. The
// update keeps the forward op of its last user as `source`, so the rewrite moves it with that
// op's backward. AtStepEnd keeps every gradient live to the end of the step, where tests and
// `plan --keep-gradients` read them; the weights after a step are the same bit for bit.
enum class Updates { AfterLastUse, AtStepEnd };
// `optimizer`: the update op of every trained parameter, an optimizer kind of op_kinds.h
// (SgdMomentum, Adam, AdamW). Its state (the velocity; Adam's two moments) is one Params tensor
// per state slot, `<param>.<slot name>`, shaped like the parameter, Init::Zeros.
void derive_schedules(Graph& g, const std::vector<bool>& frozen = {},
                      Updates updates = Updates::AfterLastUse, OpKind optimizer = OpKind::SgdMomentum);

// The optimizer kind `name` (optimizer_name in op_kinds.h: sgd, adam, adamw) spells; throws
// std::invalid_argument naming the known ones.
OpKind parse_optimizer(const std::string& name);
// Every optimizer kind, in enum order.
std::vector<OpKind> optimizer_kinds();

// Which tensors need a gradient: activations downstream of a trainable parameter.
std::vector<bool> requires_grad(const Graph& g, const std::vector<bool>& frozen);

}  // namespace edgetrain::planner

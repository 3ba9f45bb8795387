// The runtime adapter of every op kind: reads the op's operands from the plan (by named slot,
// runtime/contract/op_kinds.h), tiles the work across the pool (parallel.h) and calls the
// kernels or an XNNPACK operator. One function per kind, grouped by family, each defined in the
// family's file; dispatch.cc's table maps kinds to them.
#pragma once

#include "kernels/geometry.h"
#include "op_context.h"

namespace edgetrain::ops {

using Runner = Status (*)(const OpContext& c, const OpDesc& op);

// conv.cc
Status conv2d(const OpContext& c, const OpDesc& op);
Status conv2d_bwd_data(const OpContext& c, const OpDesc& op);
Status conv2d_bwd_weights(const OpContext& c, const OpDesc& op);
// The conv gradients on a geometry of their own (fc.cc runs an FC layer's as a 1x1 conv's).
Status conv_bwd_data(const OpContext& c, const f32_window_geometry& g, const float* dy,
                     const float* w, float* dx);
void conv_bwd_weights(const OpContext& c, const f32_window_geometry& g, const float* x,
                      const float* dy, float* dw, float* dbias);
// fc.cc
Status fully_connected(const OpContext& c, const OpDesc& op);
Status fully_connected_bwd_data(const OpContext& c, const OpDesc& op);
Status fully_connected_bwd_weights(const OpContext& c, const OpDesc& op);
// channel.cc
Status channel_shuffle(const OpContext& c, const OpDesc& op);
Status channel_shuffle_bwd(const OpContext& c, const OpDesc& op);
Status channel_slice(const OpContext& c, const OpDesc& op);
Status channel_slice_bwd(const OpContext& c, const OpDesc& op);
Status concat(const OpContext& c, const OpDesc& op);
Status concat_bwd(const OpContext& c, const OpDesc& op);  // one input's range of dy
// batchnorm.cc
Status batchnorm_train(const OpContext& c, const OpDesc& op);
Status batchnorm_eval(const OpContext& c, const OpDesc& op);
Status batchnorm_bwd(const OpContext& c, const OpDesc& op);
// elementwise.cc
Status normalize(const OpContext& c, const OpDesc& op);
Status relu(const OpContext& c, const OpDesc& op);
Status relu6(const OpContext& c, const OpDesc& op);
Status relu_bwd(const OpContext& c, const OpDesc& op);
Status add(const OpContext& c, const OpDesc& op);
// activation.cc
Status sigmoid(const OpContext& c, const OpDesc& op);
Status hard_sigmoid(const OpContext& c, const OpDesc& op);
Status hard_swish(const OpContext& c, const OpDesc& op);
Status mul(const OpContext& c, const OpDesc& op);  // same shapes, or a [N,1,1,C] gate
Status sigmoid_bwd(const OpContext& c, const OpDesc& op);
Status hard_sigmoid_bwd(const OpContext& c, const OpDesc& op);
Status hard_swish_bwd(const OpContext& c, const OpDesc& op);
Status mul_bwd(const OpContext& c, const OpDesc& op);
// dropout.cc
Status dropout(const OpContext& c, const OpDesc& op);
Status dropout_bwd(const OpContext& c, const OpDesc& op);
// pool.cc
Status maxpool2d(const OpContext& c, const OpDesc& op);
Status maxpool2d_bwd(const OpContext& c, const OpDesc& op);
Status avgpool2d(const OpContext& c, const OpDesc& op);
Status avgpool2d_bwd(const OpContext& c, const OpDesc& op);
Status global_avgpool(const OpContext& c, const OpDesc& op);
Status global_avgpool_bwd(const OpContext& c, const OpDesc& op);
// loss.cc
Status softmax_xent(const OpContext& c, const OpDesc& op);
Status softmax_xent_bwd(const OpContext& c, const OpDesc& op);
// optimizer.cc
Status sgd_momentum(const OpContext& c, const OpDesc& op);
Status adam(const OpContext& c, const OpDesc& op);   // Adam: L2 decay on the gradient
Status adamw(const OpContext& c, const OpDesc& op);  // AdamW: decoupled decay

// comm.cc: data parallel (edgetrain/communicator.h)
Status grad_allreduce_start(const OpContext& c, const OpDesc& op);
Status grad_allreduce_wait(const OpContext& c, const OpDesc& op);

}  // namespace edgetrain::ops

#include "ops/dispatch.h"

#include "ops/ops.h"

namespace edgetrain {

namespace {

struct RunnerRow {
  OpKind kind;
  ops::Runner run;
};

// clang-format off
constexpr RunnerRow kRunners[kOpKindCount] = {
    {OpKind::Normalize,                ops::normalize},
    {OpKind::Conv2d,                   ops::conv2d},
    {OpKind::BatchNormTrain,           ops::batchnorm_train},
    {OpKind::BatchNormEval,            ops::batchnorm_eval},
    {OpKind::Relu,                     ops::relu},
    {OpKind::Relu6,                    ops::relu6},
    {OpKind::MaxPool2d,                ops::maxpool2d},
    {OpKind::GlobalAvgPool,            ops::global_avgpool},
    {OpKind::Concat,                   ops::concat},
    {OpKind::AvgPool2d,                ops::avgpool2d},
    {OpKind::FullyConnected,           ops::fully_connected},
    {OpKind::ChannelShuffle,           ops::channel_shuffle},
    {OpKind::ChannelSlice,             ops::channel_slice},
    {OpKind::Add,                      ops::add},
    {OpKind::Sigmoid,                  ops::sigmoid},
    {OpKind::HardSigmoid,              ops::hard_sigmoid},
    {OpKind::HardSwish,                ops::hard_swish},
    {OpKind::Mul,                      ops::mul},
    {OpKind::Dropout,                  ops::dropout},
    {OpKind::SoftmaxCrossEntropy,      ops::softmax_xent},
    {OpKind::SoftmaxCrossEntropyBwd,   ops::softmax_xent_bwd},
    {OpKind::FullyConnectedBwdData,    ops::fully_connected_bwd_data},
    {OpKind::FullyConnectedBwdWeights, ops::fully_connected_bwd_weights},
    {OpKind::ChannelShuffleBwd,        ops::channel_shuffle_bwd},
    {OpKind::ChannelSliceBwd,          ops::channel_slice_bwd},
    {OpKind::GlobalAvgPoolBwd,         ops::global_avgpool_bwd},
    {OpKind::ConcatBwd,                ops::concat_bwd},
    {OpKind::AvgPool2dBwd,             ops::avgpool2d_bwd},
    {OpKind::ReluBwd,                  ops::relu_bwd},
    {OpKind::BatchNormBwd,             ops::batchnorm_bwd},
    {OpKind::MaxPool2dBwd,             ops::maxpool2d_bwd},
    {OpKind::Conv2dBwdData,            ops::conv2d_bwd_data},
    {OpKind::Conv2dBwdWeights,         ops::conv2d_bwd_weights},
    {OpKind::SigmoidBwd,               ops::sigmoid_bwd},
    {OpKind::HardSigmoidBwd,           ops::hard_sigmoid_bwd},
    {OpKind::HardSwishBwd,             ops::hard_swish_bwd},
    {OpKind::MulBwd,                   ops::mul_bwd},
    {OpKind::DropoutBwd,               ops::dropout_bwd},
    {OpKind::SgdMomentum,              ops::sgd_momentum},
    {OpKind::Adam,                     ops::adam},
    {OpKind::AdamW,                    ops::adamw},
    {OpKind::GradAllReduceStart,       ops::grad_allreduce_start},
    {OpKind::GradAllReduceWait,        ops::grad_allreduce_wait},
};
// clang-format on

static_assert(rows_in_enum_order(kRunners), "kRunners must hold every OpKind, in enum order");

}  // namespace

Status run_op(const OpContext& c, const OpDesc& op) {
  const auto k = static_cast<uint16_t>(op.kind);
  if (k >= kOpKindCount || kRunners[k].run == nullptr) {
    return Status::error(StatusCode::InvalidPlan, "op kind %d has no runtime adapter", static_cast<int>(k));
  }
  return kRunners[k].run(c, op);
}

}  // namespace edgetrain

// Builds the forward graph of a model layer by layer, creating parameter tensors with PyTorch's
// default initialisation. `training.h` then derives the backward pass and the optimizer.
#pragma once

#include <cstddef>
#include <string>

#include "graph/graph.h"

namespace edgetrain::planner {

// The normalisation a model applies to its byte images, per channel of x / 255 (the runtime feeds
// raw bytes), unless `plan --normalize` says otherwise: ImageNet's for 3-channel (RGB) inputs,
// what photos and torchvision's models want; Fashion-MNIST's pair in every channel of any other
// input, as every plan had before per-channel values, so gray plans keep their bits.
inline constexpr float kImageMean = 0.2860f;
inline constexpr float kImageStd = 0.3530f;
inline constexpr float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
inline constexpr float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};

// Sets the input's Normalize values: one mean and one std (> 0) per input channel; throws
// std::invalid_argument naming the counts otherwise.
void set_input_normalization(Graph& g, const std::vector<float>& mean, const std::vector<float>& std);
// Every Dropout at ratio 0, the identity (plan --no-dropout: to compare with a reference run
// that has no dropout, as the torchvision goldens do).
void disable_dropout(Graph& g);
// "M1,M2,M3:S1,S2,S3" (plan --normalize): as many means as stds, plain decimals; throws
// std::invalid_argument quoting the text otherwise.
void parse_normalization(const std::string& text, std::vector<float>* mean, std::vector<float>* std);

// The largest model the planner takes, in layers (forward ops): planning time grows as
// n log n, but a model past this is a mistake, refused up front rather than planned for minutes.
inline constexpr size_t kMaxLayers = 100000;
// No device holds a tensor past 1 TiB: a bigger one is refused (which also keeps every sum of
// tensor sizes in a plan far from overflowing 64 bits).
inline constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 40;

// Every call checks what it is given (the input's rank and shape, sizes in 64 bits against
// uint32 dimensions and kMaxTensorBytes, the layer count against kMaxLayers) and throws
// std::invalid_argument("NAME: problem") naming the layer.
class ModelBuilder {
 public:
  // Input images [batch, height, width, channels]; labels [batch] in [0, classes).
  ModelBuilder(std::string model, uint32_t batch, uint32_t height, uint32_t width,
               uint32_t channels, uint32_t classes);

  TensorId conv(const std::string& name, TensorId x, uint32_t out_c, uint32_t kernel,
                uint32_t stride, uint32_t pad, uint32_t groups = 1, bool bias = false);
  // eps and momentum as PyTorch's BatchNorm2d spells them (running = (1 - m) * running + m * batch).
  TensorId batchnorm(const std::string& name, TensorId x, float eps = 1e-5f, float momentum = 0.1f);
  TensorId relu(const std::string& name, TensorId x);
  TensorId relu6(const std::string& name, TensorId x);
  TensorId sigmoid(const std::string& name, TensorId x);
  // clamp(alpha * x + beta, 0, 1): ONNX's HardSigmoid (defaults 0.2, 0.5; PyTorch's
  // nn.Hardsigmoid exports 1/6, 0.5). alpha and beta must be finite.
  TensorId hard_sigmoid(const std::string& name, TensorId x, float alpha, float beta);
  TensorId hard_swish(const std::string& name, TensorId x);  // x * relu6(x + 3) / 6, PyTorch's
  // a * b: one shape, or a [N,H,W,C] tensor and a [N,1,1,C] squeeze-and-excitation gate in either
  // order (torchvision's block computes scale * input); the op's slot a is the full tensor.
  TensorId mul(const std::string& name, TensorId a, TensorId b);
  // Training-mode dropout (nn.Dropout; ONNX's Dropout with `ratio`): y = x * mask / (1 - p),
  // each element kept with probability 1 - p, 0 <= p < 1 (p = 0: the identity). The mask is drawn
  // afresh every step from (seed, step, a salt hashed from `name`) (kernels/dropout_rng.h), kept
  // as one bit per element for the backward; evaluation runs the identity.
  TensorId dropout(const std::string& name, TensorId x, float p);
  TensorId add(const std::string& name, TensorId a, TensorId b);  // residual join, same shapes
  // Pooling as PyTorch's nn.MaxPool2d / nn.AvgPool2d (= ONNX MaxPool / AveragePool with one
  // kernel, stride and pad for both axes and all four sides; pad at most kernel / 2). ceil_mode:
  // the output extent is ceil((H + 2 pad - kernel) / stride) + 1, less one where that last
  // window would start in the bottom/right padding (floor otherwise). count_include_pad: the
  // average divides by the window's cells inside the padded input (cells past it, which ceil
  // mode's last window may cover, never count), else by its cells inside the input. PyTorch's
  // default is true, ONNX's false: the importer passes the attribute.
  TensorId maxpool(const std::string& name, TensorId x, uint32_t kernel, uint32_t stride,
                   uint32_t pad, bool ceil_mode = false);
  TensorId avgpool(const std::string& name, TensorId x, uint32_t kernel, uint32_t stride, uint32_t pad,
                   bool ceil_mode, bool count_include_pad);
  TensorId global_avgpool(const std::string& name, TensorId x);
  TensorId fc(const std::string& name, TensorId x, uint32_t out);  // flattens x's [H,W,C]
  // PyTorch's channel_shuffle (ShuffleNetV2): x's channels viewed [groups, C / groups] and
  // transposed; groups must divide C.
  TensorId channel_shuffle(const std::string& name, TensorId x, uint32_t groups);
  // x[..., begin:end] over channels, 0 <= begin < end <= C (ShuffleNetV2's chunk and split).
  TensorId channel_slice(const std::string& name, TensorId x, uint32_t begin, uint32_t end);
  // [xs[0] | xs[1] | ...] along channels (torch.cat(xs, dim=1), ONNX Concat with axis 1):
  // 2 to kMaxOpInputs 4-D inputs of one N, H and W, in order (SqueezeNet's Fire: 2; GoogLeNet's
  // Inception: 4). An input may appear twice.
  TensorId concat(const std::string& name, const std::vector<TensorId>& xs);
  // Ends the model: softmax cross-entropy over `logits` ([batch, classes], or [batch, 1, 1,
  // classes]: a global pool's output) against the labels.
  Graph finish(TensorId logits);

  // The input image as floats (the output of the Normalize op that reads the byte batch).
  TensorId input() const { return image_; }
  const std::vector<uint32_t>& shape(TensorId id) const { return g_.at(id).shape; }

 private:
  // x's shape, after checking that x is a tensor of this graph of rank `rank` (0: 2 or 4).
  std::vector<uint32_t> input_shape(const std::string& name, const char* layer, TensorId x, size_t rank) const;
  void push(Op op);  // one more forward op, within kMaxLayers
  // A tensor of the graph, its size checked.
  TensorId tensor(Tensor t);
  TensorId activation(const std::string& name, std::vector<uint32_t> shape);
  // An op of one input and one output of its shape (the activations above).
  TensorId unary(const std::string& name, const char* layer, OpKind kind, TensorId x, OpParams params = {});
  // A pooling op (MaxPool2d, AvgPool2d): its output tensor, kernel, stride, padding and flags.
  Op pool(const std::string& name, const char* layer, OpKind kind, TensorId x, uint32_t kernel, uint32_t stride,
          uint32_t pad, bool ceil_mode, bool count_include_pad);
  // What a backward reads instead of an activation: a ReLU or dropout mask (Bit), max-pool taps
  // (U8).
  TensorId mask(const std::string& name, std::vector<uint32_t> shape, DType dtype);
  TensorId param(const std::string& name, std::vector<uint32_t> shape, Init init,
                 uint32_t fan_in = 0);

  Graph g_;
  TensorId image_ = kNoTensor;
  uint32_t classes_;
};

}  // namespace edgetrain::planner

// Every kernel of the training runtime, forward references and backward/optimizer kernels.
//
// Naming: f32_<op>[_bwd_<what>]_<variant>, matching the folder kernels/f32-<op>[-bwd]/.
// Kernels are leaf functions: NHWC float pointers and counts in, asserts on preconditions, no
// allocation, no threads. Outputs are overwritten, never accumulated. The scalar variants are
// the oracle for every other variant and for the XNNPACK operators the runtime calls forward.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/geometry.h"

// --- convolution: x [N,H,W,IC], w [OC][KH][KW][IC/groups], y [N,OH,OW,OC] ---
void f32_conv2d_scalar(const f32_window_geometry& g, const float* x, const float* w,
                       const float* bias /* [OC] or null */, float* y);
void f32_conv2d_bwd_data_scalar(const f32_window_geometry& g, const float* dy, const float* w,
                                float* dx);
void f32_conv2d_bwd_weights_scalar(const f32_window_geometry& g, const float* x, const float* dy,
                                   float* dw, float* dbias /* [OC] or null */);

// Tiled variants (no workspace; pick through kernels/select.h). Each writes one tile, so the
// runtime can split the work across threads: dense convolutions (groups = 1) by output-channel
// and tap ranges (tap = kh * kernel_w + kw; dbias is written by the tiles with tap_begin == 0)
// for weights and by image ranges for data; depthwise (groups = in_c = out_c) by channel and
// image ranges. _tiled is portable C++; _neon (aarch64 only) and _avx2 (x86-64 only, AVX2+FMA
// CPUs only: see f32_x86_has_avx2_fma in kernels/select.h) have intrinsics micro-kernels.
void f32_conv2d_bwd_weights_tiled(const f32_window_geometry& g, const float* x, const float* dy,
                                  float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                                  size_t tap_begin, size_t tap_end);
void f32_conv2d_bwd_data_tiled(const f32_window_geometry& g, const float* dy, const float* w,
                               float* dx, size_t n_begin, size_t n_end);
void f32_conv2d_bwd_weights_dw_tiled(const f32_window_geometry& g, const float* x, const float* dy,
                                     float* dw, float* dbias, size_t c_begin, size_t c_end);
void f32_conv2d_bwd_data_dw_tiled(const f32_window_geometry& g, const float* dy, const float* w,
                                  float* dx, size_t n_begin, size_t n_end);
#if defined(__aarch64__)
void f32_conv2d_bwd_weights_neon(const f32_window_geometry& g, const float* x, const float* dy,
                                 float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                                 size_t tap_begin, size_t tap_end);
void f32_conv2d_bwd_data_neon(const f32_window_geometry& g, const float* dy, const float* w,
                              float* dx, size_t n_begin, size_t n_end);
#endif
#if defined(__x86_64__)
void f32_conv2d_bwd_weights_avx2(const f32_window_geometry& g, const float* x, const float* dy,
                                 float* dw, float* dbias, size_t oc_begin, size_t oc_end,
                                 size_t tap_begin, size_t tap_end);
void f32_conv2d_bwd_data_avx2(const f32_window_geometry& g, const float* dy, const float* w,
                              float* dx, size_t n_begin, size_t n_end);
// Depthwise 3x3 in registers (data: stride 1), at least 14 columns wide; other shapes run the
// _dw_tiled variants.
void f32_conv2d_bwd_weights_dw_avx2(const f32_window_geometry& g, const float* x, const float* dy,
                                    float* dw, float* dbias, size_t c_begin, size_t c_end);
void f32_conv2d_bwd_data_dw_avx2(const f32_window_geometry& g, const float* dy, const float* w,
                                 float* dx, size_t n_begin, size_t n_end);
#endif

// --- input: bytes to floats, y = (x / 255 - mean) / std ---
void u8_normalize_scalar(size_t pixels, size_t channels, const float* mean, const float* std,
                         const uint8_t* x, float* y);

// --- batch normalisation over rows of `channels` values (rows = N*H*W) ---
// Training forward: batch mean and biased variance per channel, then normalise.
void f32_batchnorm_fwd_train_scalar(size_t rows, size_t channels, float eps, const float* x,
                                    const float* gamma, const float* beta, float* y, float* mean,
                                    float* var);
// Running statistics, PyTorch semantics: unbiased variance, r = (1-m) r + m b. Called once per
// step (never by a recompute).
void f32_batchnorm_update_running_scalar(size_t rows, size_t channels, float momentum,
                                         const float* mean, const float* var, float* running_mean,
                                         float* running_var);
void f32_batchnorm_fwd_eval_scalar(size_t rows, size_t channels, float eps, const float* x,
                                   const float* gamma, const float* beta,
                                   const float* running_mean, const float* running_var, float* y);
void f32_batchnorm_bwd_scalar(size_t rows, size_t channels, float eps, const float* x,
                              const float* gamma, const float* mean, const float* var,
                              const float* dy, float* dx, float* dgamma, float* dbeta);
// Row-major variants over the channel range [c_begin, c_end) (the runtime's thread tiles);
// vectorised over channels, float sums per 64 rows, double across.
void f32_batchnorm_fwd_train_tiled(size_t rows, size_t channels, float eps, const float* x,
                                   const float* gamma, const float* beta, float* y, float* mean,
                                   float* var, size_t c_begin, size_t c_end);
// y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale,
// computed exactly as the training forward normalises: with that forward's mean and var it
// writes the same bits (a recomputation), with running statistics it is evaluation. y may be x.
void f32_batchnorm_apply_tiled(size_t rows, size_t channels, float eps, const float* x,
                               const float* gamma, const float* beta, const float* mean,
                               const float* var, float* y, size_t c_begin, size_t c_end);
// The training forward's statistics passes on their own: the mean, and the biased variance
// about a given mean (the forward is mean, var, apply). A data-parallel SyncBatchNorm averages
// each over the ranks before the next pass.
void f32_batchnorm_mean_tiled(size_t rows, size_t channels, const float* x, float* mean,
                              size_t c_begin, size_t c_end);
void f32_batchnorm_var_tiled(size_t rows, size_t channels, const float* x, const float* mean,
                             float* var, size_t c_begin, size_t c_end);
void f32_batchnorm_bwd_tiled(size_t rows, size_t channels, float eps, const float* x,
                             const float* gamma, const float* mean, const float* var,
                             const float* dy, float* dx, float* dgamma, float* dbeta,
                             size_t c_begin, size_t c_end);
// The backward's two halves on their own: the sums of dy and dy * (x - mean), then the
// gradients from given sums (rows: the count the sums' means are over). dbeta = sum_dy and
// dgamma = sum_dy_xc * invstd, so the sums may live in dbeta and dgamma. With the sums
// averaged over R ranks of equal batches, dx is the R-rank batch's (SyncBatchNorm).
void f32_batchnorm_bwd_sums_tiled(size_t rows, size_t channels, const float* x, const float* mean,
                                  const float* dy, float* sum_dy, float* sum_dy_xc, size_t c_begin,
                                  size_t c_end);
void f32_batchnorm_bwd_from_sums_tiled(size_t rows, size_t channels, float eps, const float* x,
                                       const float* gamma, const float* mean, const float* var,
                                       const float* dy, const float* sum_dy, const float* sum_dy_xc,
                                       float* dx, float* dgamma, float* dbeta, size_t c_begin,
                                       size_t c_end);

// --- activations ---
void f32_relu_scalar(size_t n, const float* x, float* y);
void f32_relu_bwd_scalar(size_t n, const float* y, const float* dy, float* dx);
void f32_relu6_scalar(size_t n, const float* x, float* y);
// dx = dy where 0 < y < 6 (PyTorch's hardtanh backward: no gradient at either clip point).
void f32_relu6_bwd_scalar(size_t n, const float* y, const float* dy, float* dx);
// What the runtime runs (element ranges starting at multiples of 8, across threads): the forward
// writes y and a 1-bit mask (bit i%8 of byte i/8: the gradient passes, by the scalar backward's
// own test); the backward reads only the mask (dx may be dy). upper: +INFINITY for ReLU, 6 for
// ReLU6. mask may be null (evaluation). Bit-identical to the scalar references.
void f32_relu_mask_tiled(size_t n, float upper, const float* x, float* y, uint8_t* mask);
void f32_relu_bwd_mask_tiled(size_t n, const uint8_t* mask, const float* dy, float* dx);

// --- MobileNetV3's activations (PyTorch's formulas; HardSigmoid as ONNX's alpha * x + beta) ---
// Element-wise, y may be x and dx may be dy. The _tiled variants (four lanes, vec4.h: SSE here,
// NEON on the Pi) are what the runtime runs on element ranges; each equals its scalar reference
// bit for bit, except the sigmoid forward, whose vector exp is within a few ulp of std::exp's.
// y = 1 / (1 + exp(-x)); dx = dy * (1 - y) * y (PyTorch's order).
void f32_sigmoid_scalar(size_t n, const float* x, float* y);
void f32_sigmoid_tiled(size_t n, const float* x, float* y);
void f32_sigmoid_bwd_scalar(size_t n, const float* y, const float* dy, float* dx);
void f32_sigmoid_bwd_tiled(size_t n, const float* y, const float* dy, float* dx);
// y = clamp(alpha * x + beta, 0, 1); dx = dy * alpha where 0 < y < 1, else 0 (PyTorch's
// hardsigmoid_backward: no gradient at either clip point).
void f32_hardsigmoid_scalar(size_t n, float alpha, float beta, const float* x, float* y);
void f32_hardsigmoid_tiled(size_t n, float alpha, float beta, const float* x, float* y);
void f32_hardsigmoid_bwd_scalar(size_t n, float alpha, const float* y, const float* dy, float* dx);
void f32_hardsigmoid_bwd_tiled(size_t n, float alpha, const float* y, const float* dy, float* dx);
// y = x * min(max(x + 3, 0), 6) / 6; dx = 0 for x < -3, dy for x > 3, else dy * (x / 3 + 0.5)
// (PyTorch's hardswish_backward, both boundaries included in the middle piece).
void f32_hardswish_scalar(size_t n, const float* x, float* y);
void f32_hardswish_tiled(size_t n, const float* x, float* y);
void f32_hardswish_bwd_scalar(size_t n, const float* x, const float* dy, float* dx);
void f32_hardswish_bwd_tiled(size_t n, const float* x, const float* dy, float* dx);

// --- products (squeeze-and-excitation gates, SiLU's x * sigmoid(x)) ---
// y = a * b, same shapes (also both halves of the same-shape backward: da = dy * b, db = dy * a).
void f32_mul_scalar(size_t n, const float* a, const float* b, float* y);
void f32_mul_tiled(size_t n, const float* a, const float* b, float* y);
// a [batch, pixels, channels] times b [batch, channels] broadcast over pixels (also the
// broadcast backward's da = dy * b).
void f32_mul_channels_scalar(size_t batch, size_t pixels, size_t channels, const float* a,
                             const float* b, float* y);
void f32_mul_channels_tiled(size_t batch, size_t pixels, size_t channels, const float* a,
                            const float* b, float* y);
// db[n, c] = sum over pixels of dy * a: float sums over blocks of 64 pixels, in order, then a
// double sum across blocks.
void f32_mul_channels_bwd_scalar(size_t batch, size_t pixels, size_t channels, const float* a,
                                 const float* dy, float* db);
void f32_mul_channels_bwd_tiled(size_t batch, size_t pixels, size_t channels, const float* a,
                                const float* dy, float* db);

// --- dropout (training mode; the mask's definition: kernels/dropout_rng.h) ---
// y = x * scale where element first + i is kept, else 0; mask (may be null: no backward) gets
// its bit i % 8 of byte i / 8, mask pointing at the byte of x[0]. `first`, the index of x[0] in
// the op's output, is a multiple of 8; key is dropout_key(seed, step, salt); 0 <= p < 1. y may be
// x. The _tiled variants (four lanes, vec4.h) equal the references bit for bit.
void f32_dropout_scalar(size_t n, float p, uint64_t key, uint64_t first, const float* x, float* y, uint8_t* mask);
void f32_dropout_tiled(size_t n, float p, uint64_t key, uint64_t first, const float* x, float* y, uint8_t* mask);
// dx = dy * scale where the mask's bit is set, else 0 (mask at the byte of dy[0]). dx may be dy.
void f32_dropout_bwd_scalar(size_t n, float p, const uint8_t* mask, const float* dy, float* dx);
void f32_dropout_bwd_tiled(size_t n, float p, const uint8_t* mask, const float* dy, float* dx);

// --- elementwise sum (residual joins, gradient accumulation) ---
void f32_add_scalar(size_t n, const float* a, const float* b, float* y);

// --- pooling: max over a window (padding never wins); global average over H*W ---
void f32_maxpool2d_scalar(const f32_window_geometry& g, const float* x, float* y);
// dx gets each dy at the first maximum of its window (PyTorch's choice); overlapping windows add.
void f32_maxpool2d_bwd_scalar(const f32_window_geometry& g, const float* x, const float* dy,
                              float* dx);
// What the runtime runs, over images [n_begin, n_end), channels innermost: the forward also
// records each output's winning tap (kh * kernel_w + kw, a byte; tap may be null), the backward
// reads those bytes instead of x. Bit-identical to the scalar references.
void f32_maxpool2d_argmax_tiled(const f32_window_geometry& g, const float* x, float* y,
                                uint8_t* tap, size_t n_begin, size_t n_end);
void f32_maxpool2d_bwd_argmax_tiled(const f32_window_geometry& g, const uint8_t* tap,
                                    const float* dy, float* dx, size_t n_begin, size_t n_end);
// Average pooling (PyTorch's avg_pool2d, ceil mode by the output extent, the divisor by
// f32_avgpool_params: geometry.h); the backward reads dy alone and writes all of dx. The _tiled
// variants (four channels at a time, vec4.h) run images [n_begin, n_end) and equal the scalar
// references bit for bit.
void f32_avgpool2d_scalar(const f32_window_geometry& g, const f32_avgpool_params& a, const float* x,
                          float* y);
void f32_avgpool2d_tiled(const f32_window_geometry& g, const f32_avgpool_params& a, const float* x,
                         float* y, size_t n_begin, size_t n_end);
void f32_avgpool2d_bwd_scalar(const f32_window_geometry& g, const f32_avgpool_params& a,
                              const float* dy, float* dx);
void f32_avgpool2d_bwd_tiled(const f32_window_geometry& g, const f32_avgpool_params& a,
                             const float* dy, float* dx, size_t n_begin, size_t n_end);
void f32_gavgpool_scalar(size_t batch, size_t pixels, size_t channels, const float* x, float* y);
void f32_gavgpool_bwd_scalar(size_t batch, size_t pixels, size_t channels, const float* dy,
                             float* dx);

// --- channel permutations and copies within each of `pixels` rows of `channels` values ---
// PyTorch's channel_shuffle (x viewed [groups, channels / groups] per pixel, transposed):
// y[c] = x[(c % groups) * (channels / groups) + c / groups]. Its inverse, the backward, is the
// same shuffle over channels / groups groups. y must not overlap x. The _tiled variant (no
// division per element, vector zips for the two-row cases ShuffleNetV2 runs: groups == 2 and
// its inverse) writes the same bits.
void f32_channel_shuffle_scalar(size_t pixels, size_t channels, size_t groups, const float* x,
                                float* y);
void f32_channel_shuffle_tiled(size_t pixels, size_t channels, size_t groups, const float* x,
                               float* y);
// y [pixels, end - begin] = x [pixels, channels][:, begin:end]; the backward writes all of dx
// [pixels, channels]: dy in [begin, end), zero elsewhere.
void f32_channel_slice_scalar(size_t pixels, size_t channels, size_t begin, size_t end,
                              const float* x, float* y);
void f32_channel_slice_bwd_scalar(size_t pixels, size_t channels, size_t begin, size_t end,
                                  const float* dy, float* dx);
// Concat, one input at a time: y [pixels, channels][:, begin:end] = x [pixels, end - begin], the
// rest of y untouched. Its backward is the slice above, dy's range into each input's gradient.
void f32_channel_concat_scalar(size_t pixels, size_t channels, size_t begin, size_t end,
                               const float* x, float* y);

// --- fully connected: x [N,I], w [O,I], y [N,O] ---
void f32_fc_scalar(size_t batch, size_t in, size_t out, const float* x, const float* w,
                   const float* bias /* [O] or null */, float* y);
void f32_fc_bwd_data_scalar(size_t batch, size_t in, size_t out, const float* dy, const float* w,
                            float* dx);
void f32_fc_bwd_weights_scalar(size_t batch, size_t in, size_t out, const float* x,
                               const float* dy, float* dw, float* dbias /* [O] or null */);

// --- softmax cross-entropy, mean over the batch; labels in [0, classes) ---
void f32_softmax_xent_scalar(size_t batch, size_t classes, const float* logits,
                             const int32_t* labels, float* loss /* [1] */, float* probs);
void f32_softmax_xent_bwd_scalar(size_t batch, size_t classes, const float* probs,
                                 const int32_t* labels, float* dlogits);

// --- optimizer, PyTorch SGD semantics (dampening 0, no Nesterov):
//     v = momentum * v + (g + weight_decay * w);  w -= lr * v ---
void f32_sgd_momentum_scalar(size_t n, float lr, float momentum, float weight_decay, float* w,
                             const float* g, float* v);

// --- optimizer, PyTorch Adam semantics (amsgrad off; weight decay is L2 added to g):
//     g' = g + wd*w;  m = b1*m + (1-b1)*g';  v = b2*v + (1-b2)*g'^2;
//     w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),  t = step >= 1 ---
void f32_adam_scalar(size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                     uint32_t step, float* w, const float* g, float* m, float* v);

// --- optimizer, PyTorch AdamW semantics (amsgrad off; decoupled weight decay):
//     w *= 1 - lr*wd;  then f32_adam_scalar's step with wd = 0 ---
void f32_adamw_scalar(size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                      uint32_t step, float* w, const float* g, float* m, float* v);

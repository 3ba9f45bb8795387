// Kernel benchmark: every layer shape of MobileNet v1 and ResNet-18 (224x224, batch 8 by
// default), forward and backward, through the runtime's own op dispatch (run_op
// on one-op plans), so it times exactly what a training step runs, threads
// included. Prints one CSV line per op; bench/kernels/compare.py adds PyTorch side by side.
//   edgetrain-kernel-bench [--threads T] [--batch N] [--reps R] [--net mobilenet_v1|resnet18]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "op_context.h"
#include "ops/dispatch.h"
#include "xnn_context.h"

using namespace edgetrain;

namespace {

enum class Layer { Conv, MaxPool, GlobalAvgPool, FullyConnected, Add };

struct LayerSpec {
  const char* net;
  const char* name;
  int count;  // how many layers of the network have this shape
  Layer kind;
  uint32_t h, w, in_c, out_c, k, stride, pad, groups;
  bool input_grad;  // false for the stem: nothing upstream needs dx
  bool relu6;       // activation after BN (MobileNet) vs ReLU (ResNet)
};

std::vector<LayerSpec> layers() {
  std::vector<LayerSpec> v;
  auto conv = [&](const char* net, const char* name, int count, uint32_t h, uint32_t ic,
                  uint32_t oc, uint32_t k, uint32_t s, uint32_t groups, bool input_grad = true) {
    const bool mobilenet = std::strcmp(net, "mobilenet_v1") == 0;
    v.push_back({net, name, count, Layer::Conv, h, h, ic, oc, k, s, k / 2, groups, input_grad,
                 mobilenet});
  };
  const char* m = "mobilenet_v1";
  conv(m, "conv0 3x3/2 3->32", 1, 224, 3, 32, 3, 2, 1, false);
  struct Dw { uint32_t h, c, oc, s; int count; };
  const Dw blocks[] = {{112, 32, 64, 1, 1},  {112, 64, 128, 2, 1}, {56, 128, 128, 1, 1},
                       {56, 128, 256, 2, 1}, {28, 256, 256, 1, 1}, {28, 256, 512, 2, 1},
                       {14, 512, 512, 1, 5}, {14, 512, 1024, 2, 1}, {7, 1024, 1024, 1, 1}};
  static std::vector<std::string> names;  // layer names outlive the specs
  names.reserve(64);
  for (const Dw& b : blocks) {
    names.push_back("dw " + std::to_string(b.h) + "x" + std::to_string(b.c) + " 3x3/" +
                    std::to_string(b.s));
    conv(m, names.back().c_str(), b.count, b.h, b.c, b.c, 3, b.s, b.c);
    const uint32_t oh = b.h / b.s;
    names.push_back("pw " + std::to_string(oh) + "x" + std::to_string(b.c) + "->" +
                    std::to_string(b.oc));
    conv(m, names.back().c_str(), b.count, oh, b.c, b.oc, 1, 1, 1);
  }
  v.push_back({m, "gavgpool 7x7x1024", 1, Layer::GlobalAvgPool, 7, 7, 1024, 1024, 7, 1, 0, 1, true, false});
  v.push_back({m, "fc 1024->1000", 1, Layer::FullyConnected, 1, 1, 1024, 1000, 1, 1, 0, 1, true, false});

  const char* r = "resnet18";
  conv(r, "conv1 7x7/2 3->64", 1, 224, 3, 64, 7, 2, 1, false);
  v.push_back({r, "maxpool 3x3/2 112x64", 1, Layer::MaxPool, 112, 112, 64, 64, 3, 2, 1, 1, true, false});
  conv(r, "3x3 56x64->64", 4, 56, 64, 64, 3, 1, 1);
  v.push_back({r, "add 56x64", 2, Layer::Add, 56, 56, 64, 64, 1, 1, 0, 1, true, false});
  const uint32_t hs[] = {56, 28, 14}, cs[] = {64, 128, 256};
  for (int i = 0; i < 3; i++) {
    const uint32_t h = hs[i], c = cs[i], oh = h / 2, oc = 2 * c;
    names.push_back("3x3/2 " + std::to_string(h) + "x" + std::to_string(c) + "->" + std::to_string(oc));
    conv(r, names.back().c_str(), 1, h, c, oc, 3, 2, 1);
    names.push_back("1x1/2 " + std::to_string(h) + "x" + std::to_string(c) + "->" + std::to_string(oc));
    conv(r, names.back().c_str(), 1, h, c, oc, 1, 2, 1);
    names.push_back("3x3 " + std::to_string(oh) + "x" + std::to_string(oc) + "->" + std::to_string(oc));
    conv(r, names.back().c_str(), 3, oh, oc, oc, 3, 1, 1);
    names.push_back("add " + std::to_string(oh) + "x" + std::to_string(oc));
    v.push_back({r, names.back().c_str(), 2, Layer::Add, oh, oh, oc, oc, 1, 1, 0, 1, true, false});
  }
  v.push_back({r, "gavgpool 7x7x512", 1, Layer::GlobalAvgPool, 7, 7, 512, 512, 7, 1, 0, 1, true, false});
  v.push_back({r, "fc 512->1000", 1, Layer::FullyConnected, 1, 1, 512, 1000, 1, 1, 0, 1, true, false});
  return v;
}

// One-op plans over tensors in a single arena.
struct MiniPlan {
  std::vector<TensorDesc> tensors;
  uint64_t bytes = 0;
  int32_t add(uint8_t rank, uint32_t a, uint32_t b = 1, uint32_t c = 1, uint32_t d = 1) {
    TensorDesc t{};
    t.name = "t";
    t.region = Region::Arena;
    t.dtype = DType::F32;
    t.rank = rank;
    t.shape[0] = a;
    t.shape[1] = b;
    t.shape[2] = c;
    t.shape[3] = d;
    t.offset = bytes;
    t.bytes = uint64_t{a} * b * c * d * 4;
    bytes += (t.bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    tensors.push_back(t);
    return static_cast<int32_t>(tensors.size() - 1);
  }
};

OpDesc op(OpKind kind, std::vector<int32_t> in, std::vector<int32_t> out, const OpParams& p = {}) {
  OpDesc d{};
  d.kind = kind;
  std::fill(std::begin(d.in), std::end(d.in), -1);
  std::fill(std::begin(d.out), std::end(d.out), -1);
  std::copy(in.begin(), in.end(), d.in);
  std::copy(out.begin(), out.end(), d.out);
  d.workspace = -1;
  d.params = p;
  return d;
}

struct Timed {
  const char* op;
  OpDesc desc;
  double flops;
  bool backward;
};

int run(size_t threads, uint32_t batch, int reps, const char* only_net) {
  XnnContext xnn;
  Status s = xnn.init(threads);
  if (!s.is_ok()) {
    std::fprintf(stderr, "%s\n", s.message());
    return 1;
  }
  std::printf("# threads %zu batch %u\n", xnn.threads(), batch);
  std::printf("net,layer,count,op,kind,n,h,w,ic,oc,k,stride,pad,groups,ms,gflops\n");
  std::mt19937 rng(1);
  for (const LayerSpec& L : layers()) {
    if (only_net != nullptr && std::strcmp(only_net, L.net) != 0) continue;
    MiniPlan mp;
    std::vector<Timed> ops;
    const uint32_t n = batch, oh = (L.h + 2 * L.pad - L.k) / L.stride + 1;
    OpParams p{};
    p.kernel_h = p.kernel_w = static_cast<uint16_t>(L.k);
    p.stride_h = p.stride_w = static_cast<uint16_t>(L.stride);
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = static_cast<uint16_t>(L.pad);
    p.groups = L.groups;
    p.eps = 1e-5f;
    p.momentum = 0.1f;
    p.update_running_stats = 1;
    const double elems_in = double(n) * L.h * L.w * L.in_c, elems_out = double(n) * oh * oh * L.out_c;
    switch (L.kind) {
      case Layer::Conv: {
        const int32_t x = mp.add(4, n, L.h, L.w, L.in_c), y = mp.add(4, n, oh, oh, L.out_c);
        const int32_t w = mp.add(4, L.out_c, L.k, L.k, L.in_c / L.groups);
        const int32_t dy = mp.add(4, n, oh, oh, L.out_c), dx = mp.add(4, n, L.h, L.w, L.in_c);
        const int32_t dw = mp.add(4, L.out_c, L.k, L.k, L.in_c / L.groups);
        const int32_t gamma = mp.add(1, L.out_c), beta = mp.add(1, L.out_c), rm = mp.add(1, L.out_c),
                      rv = mp.add(1, L.out_c), mean = mp.add(1, L.out_c), var = mp.add(1, L.out_c);
        const int32_t bn = mp.add(4, n, oh, oh, L.out_c), act = mp.add(4, n, oh, oh, L.out_c);
        const int32_t mask = mp.add(4, n, oh, oh, L.out_c);  // 1 bit per element used
        const int32_t dgamma = mp.add(1, L.out_c), dbeta = mp.add(1, L.out_c);
        const double f = 2.0 * elems_out * L.k * L.k * (L.in_c / L.groups);
        ops.push_back({"conv", op(OpKind::Conv2d, {x, w, -1}, {y}, p), f, false});
        ops.push_back({"bn", op(OpKind::BatchNormTrain, {y, gamma, beta, rm, rv}, {bn, mean, var}, p), 5 * elems_out, false});
        ops.push_back({L.relu6 ? "relu6" : "relu", op(L.relu6 ? OpKind::Relu6 : OpKind::Relu, {bn}, {act, mask}), elems_out, false});
        ops.push_back({L.relu6 ? "relu6_bwd" : "relu_bwd", op(OpKind::ReluBwd, {mask, dy}, {bn}), elems_out, true});
        ops.push_back({"bn_bwd", op(OpKind::BatchNormBwd, {y, gamma, mean, var, bn}, {dy, dgamma, dbeta}, p), 8 * elems_out, true});
        ops.push_back({"conv_bwd_weights", op(OpKind::Conv2dBwdWeights, {x, dy}, {dw, -1}, p), f, true});
        if (L.input_grad) ops.push_back({"conv_bwd_data", op(OpKind::Conv2dBwdData, {dy, w}, {dx}, p), f, true});
        break;
      }
      case Layer::MaxPool: {
        const int32_t x = mp.add(4, n, L.h, L.w, L.in_c), y = mp.add(4, n, oh, oh, L.in_c);
        const int32_t dy = mp.add(4, n, oh, oh, L.in_c), dx = mp.add(4, n, L.h, L.w, L.in_c);
        const int32_t taps = mp.add(4, n, oh, oh, L.in_c);  // one byte per element used
        ops.push_back({"maxpool", op(OpKind::MaxPool2d, {x}, {y, taps}, p), elems_out * L.k * L.k, false});
        ops.push_back({"maxpool_bwd", op(OpKind::MaxPool2dBwd, {taps, dy}, {dx}, p), elems_out * L.k * L.k, true});
        break;
      }
      case Layer::GlobalAvgPool: {
        const int32_t x = mp.add(4, n, L.h, L.w, L.in_c), y = mp.add(4, n, 1, 1, L.in_c);
        const int32_t dx = mp.add(4, n, L.h, L.w, L.in_c);
        ops.push_back({"gavgpool", op(OpKind::GlobalAvgPool, {x}, {y}), elems_in, false});
        ops.push_back({"gavgpool_bwd", op(OpKind::GlobalAvgPoolBwd, {y}, {dx}), elems_in, true});
        break;
      }
      case Layer::FullyConnected: {
        const int32_t x = mp.add(2, n, L.in_c), w = mp.add(2, L.out_c, L.in_c), b = mp.add(1, L.out_c);
        const int32_t y = mp.add(2, n, L.out_c), dx = mp.add(2, n, L.in_c), dw = mp.add(2, L.out_c, L.in_c);
        const int32_t db = mp.add(1, L.out_c);
        const double f = 2.0 * n * L.in_c * L.out_c;
        ops.push_back({"fc", op(OpKind::FullyConnected, {x, w, b}, {y}), f, false});
        ops.push_back({"fc_bwd_data", op(OpKind::FullyConnectedBwdData, {y, w}, {dx}), f, true});
        ops.push_back({"fc_bwd_weights", op(OpKind::FullyConnectedBwdWeights, {x, y}, {dw, db}), f, true});
        break;
      }
      case Layer::Add: {
        const int32_t a = mp.add(4, n, L.h, L.w, L.in_c), b = mp.add(4, n, L.h, L.w, L.in_c);
        const int32_t y = mp.add(4, n, L.h, L.w, L.in_c);
        ops.push_back({"add", op(OpKind::Add, {a, b}, {y}), elems_in, false});
        break;
      }
    }
    AlignedBuffer arena;
    if (!arena.allocate(mp.bytes, kTensorAlignment)) {
      std::fprintf(stderr, "cannot allocate %llu bytes\n", static_cast<unsigned long long>(mp.bytes));
      return 1;
    }
    float* f = reinterpret_cast<float*>(arena.data());
    std::uniform_real_distribution<float> dist(0.1f, 1.0f);  // positive: BN variances stay valid
    for (size_t i = 0; i < mp.bytes / 4; i++) f[i] = dist(rng);
    Plan plan{};
    plan.tensors = mp.tensors.data();
    plan.tensor_count = static_cast<uint32_t>(mp.tensors.size());
    OpContext c{&plan, arena.data(), arena.data(), xnn.pool(), {}};
    for (const Timed& t : ops) {
      double best = 1e30;
      for (int r = 0; r < reps; r++) {
        const auto t0 = std::chrono::steady_clock::now();
        const Status st = run_op(c, t.desc);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!st.is_ok()) {
          std::fprintf(stderr, "%s %s: %s\n", L.name, t.op, st.message());
          return 1;
        }
        best = std::min(best, ms);
      }
      const char* kinds[] = {"conv", "maxpool", "gavgpool", "fc", "add"};
      std::printf("%s,%s,%d,%s,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%.4f,%.3f\n", L.net, L.name, L.count,
                  t.op, kinds[static_cast<int>(L.kind)], n, L.h, L.w, L.in_c, L.out_c, L.k,
                  L.stride, L.pad, L.groups, best, t.flops / (best * 1e6));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t threads = 0;
  uint32_t batch = 8;
  int reps = 3;
  const char* net = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::strtoul(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--batch") == 0) batch = static_cast<uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--net") == 0) net = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--threads T] [--batch N] [--reps R] [--net mobilenet_v1|resnet18]\n", argv[0]);
      return 2;
    }
  }
  return run(threads, batch, reps < 1 ? 1 : reps, net);
}

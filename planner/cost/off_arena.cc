#include "cost/off_arena.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "util/units.h"

namespace edgetrain::planner {

namespace {

constexpr uint64_t kXnnExtraBytes = 16;  // XNN_EXTRA_BYTES: padding past buffers XNNPACK reads
constexpr uint64_t kPointer = 8;         // both targets are 64-bit

uint64_t round_up(uint64_t n, uint64_t to) { return to == 0 ? n : (n + to - 1) / to * to; }

// Fashion-MNIST as Debian ships it (dataset-fashion-mnist): decompressed IDX file sizes.
constexpr uint64_t kFashionTrainImages = 60000, kFashionTestImages = 10000, kFashionPixels = 28 * 28;
constexpr uint64_t kIdxImagesHeader = 16, kIdxLabelsHeader = 8;
constexpr uint64_t kGzChunk = 1 << 16;  // runtime/idx_dataset.cc reads 64 KiB at a time

// Resident bytes at the worst moment of reading a file of `bytes` into a std::vector by
// appending kGzChunk-sized pieces (runtime/idx_dataset.cc, read_all): libstdc++ doubles the
// capacity, so the last reallocation holds the old buffer (c bytes, all written) and the new one
// (c copied + one chunk) at once; large blocks are fresh mmaps, resident only where written.
uint64_t vector_read_peak(uint64_t bytes) {
  uint64_t c = kGzChunk;
  while (c * 2 < bytes) c *= 2;
  return bytes <= kGzChunk ? bytes : std::max(bytes, 2 * c + kGzChunk);
}

struct Window {
  uint64_t n, h, w, c, oh, ow, oc, kh, kw, sh, sw, groups;
  bool padded;
};

Window window(const Graph& g, const Op& op, TensorId x, TensorId y) {
  const auto& xs = g.at(x).shape;
  const auto& ys = g.at(y).shape;
  const OpParams& p = op.params;
  return {xs[0], xs[1], xs[2], xs[3], ys[1], ys[2], ys[3], p.kernel_h, p.kernel_w, p.stride_h,
          p.stride_w, p.groups == 0 ? 1u : p.groups,
          (p.pad_top | p.pad_left | p.pad_bottom | p.pad_right) != 0};
}

// A GEMM's packed weights: output channels padded to nr, each with its bias and its k inputs.
uint64_t packed_gemm_bytes(uint64_t groups, uint64_t out, uint64_t k, uint64_t taps,
                           const XnnpackTiles& t) {
  return groups * round_up(out, t.gemm_nr) * (taps * round_up(k, t.gemm_kr) + 1) * 4;
}

// Allocations in XNNPACK's order: the operator, packed weights, zero buffer (create), the
// indirection buffer (setup).
std::vector<XnnAllocation> conv_allocations(const Window& w, const XnnpackTiles& t) {
  const uint64_t taps = w.kh * w.kw;
  if (w.groups == w.c && w.oc == w.c && (taps == 9 || taps == 25)) {
    // Depthwise (unipass 3x3 and 5x5 micro-kernels): weights + bias per channel tile, and an
    // indirection buffer of one image's input rows (XNNPACK's dwconv step geometry).
    const uint64_t packed = round_up(w.c, t.dwconv_cr) * (taps + 1) * 4;
    const uint64_t step_height = taps + (w.ow - 1) * w.sw * w.kh;
    std::vector<XnnAllocation> a = {{t.operator_bytes, true}, {packed, true}};
    if (w.padded) a.push_back({w.c * 4 + kXnnExtraBytes, true});
    a.push_back({kPointer * (w.oh * step_height), false});
    return a;
  }
  const uint64_t in_g = w.c / w.groups, out_g = w.oc / w.groups;
  std::vector<XnnAllocation> a = {{t.operator_bytes, true},
                                  {packed_gemm_bytes(w.groups, out_g, in_g, taps, t), true}};
  if (taps == 1 && w.sh == 1 && w.sw == 1 && !w.padded) return a;  // plain GEMM
  // IGEMM: one pointer per tap per output pixel of one image, rows padded to mr.
  if (w.padded) a.push_back({round_up(in_g, t.gemm_kr) * 4 + kXnnExtraBytes, true});
  a.push_back({kPointer * taps * round_up(w.oh * w.ow, t.gemm_mr), false});
  return a;
}

// glibc's malloc (2.36, 64-bit defaults) under the first step's XNNPACK allocations, which the
// counting allocator (runtime/xnn_context.cc, heap_alloc) serves with posix_memalign(al,
// size + al), al = max(alignment, 16). Blocks of at least the mmap threshold are fresh mmaps,
// unmapped on free; freeing one raises the threshold to its size (up to 32 MiB) and the trim
// threshold to twice that. Smaller blocks come from the brk heap, whose pages stay resident after
// free unless its free top reaches the trim threshold. Each op frees all it allocated.
struct GlibcHeap {
  static constexpr uint64_t kMaxThreshold = 32ull << 20, kTopPad = 128 << 10;
  uint64_t mmap_threshold = 128 << 10, trim_threshold = 256 << 10;
  uint64_t heap_resident = 0;  // brk heap pages written and not trimmed
  uint64_t peak = 0;           // most resident (heap + live mmaps) so far

  void run_op(const std::vector<XnnAllocation>& allocations, uint64_t simd_alignment, uint64_t page) {
    uint64_t heap_used = 0, mapped = 0;
    std::vector<uint64_t> mapped_chunks;
    for (const XnnAllocation& a : allocations) {
      const uint64_t al = a.simd ? std::max<uint64_t>(simd_alignment, 16) : 16;
      // memalign asks malloc for the alignment and a minimum chunk more; the 8 is the size field
      const uint64_t request = a.bytes + al + (al > 16 ? al + 32 : 0) + 8;
      if (request >= mmap_threshold) {
        const uint64_t chunk = round_up(request, page);
        mapped += chunk;
        mapped_chunks.push_back(chunk);
      } else {
        heap_used += round_up(request, 16);
        heap_resident = std::max(heap_resident, heap_used);
      }
      peak = std::max(peak, heap_resident + mapped);
    }
    for (uint64_t chunk : mapped_chunks) {
      if (chunk > mmap_threshold && chunk <= kMaxThreshold) mmap_threshold = chunk, trim_threshold = 2 * chunk;
    }
    if (heap_resident >= trim_threshold) heap_resident = kTopPad;
  }
};

}  // namespace

std::vector<XnnAllocation> xnnpack_op_allocations(const Graph& g, const Op& op, const XnnpackTiles& t) {
  const auto has_out = [&](size_t k) { return op.out.size() > k && op.out[k] != kNoTensor; };
  switch (op.kind) {
    case OpKind::Conv2d:
      return conv_allocations(window(g, op, op.in[slot::Conv2d::x], op.out[slot::Conv2d::y]), t);
    case OpKind::FullyConnected: {
      const auto& w = g.at(op.in[slot::FullyConnected::w]).shape;  // [out, in]
      return {{t.operator_bytes, true}, {packed_gemm_bytes(1, w[0], w[1], 1, t), true}};
    }
    case OpKind::Conv2dBwdData: {
      // A pointwise conv's input gradient over enough rows runs as XNNPACK's fully connected
      // layer from out_c to in_c channels (runtime/ops/conv.cc, conv_bwd_data).
      using S = slot::Conv2dBwdData;
      const Window w = window(g, op, op.out[S::dx], op.in[S::dy]);  // dx has x's shape, dy has y's
      const bool pointwise = w.groups == 1 && w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 &&
                             !w.padded && w.h == w.oh && w.w == w.ow;
      if (!pointwise || w.n * w.h * w.w < 64) return {};
      return {{t.operator_bytes, true}, {packed_gemm_bytes(1, w.c, w.oc, 1, t), true}};
    }
    case OpKind::MaxPool2d: {
      // Counted as XNNPACK's pooling without taps (eval, frozen layers), as before the runtime
      // ran its own kernel there too: an over-estimate of one operator, kept so that plans'
      // predictions do not move.
      if (has_out(slot::MaxPool2d::taps)) return {};
      const Window w = window(g, op, op.in[slot::MaxPool2d::x], op.out[slot::MaxPool2d::y]);
      const uint64_t step_height = w.kh * w.kw + (w.ow - 1) * std::min(w.sw, w.kw) * w.kh;
      return {{t.operator_bytes, true}, {kPointer * ((t.maxpool_mr - 1) + w.oh * step_height), false}};
    }
    case OpKind::GlobalAvgPool:
      return {{t.operator_bytes, true}, {g.at(op.in[slot::GlobalAvgPool::x]).shape[3] * 4 + kXnnExtraBytes, true}};  // zero buffer
    case OpKind::Relu:
    case OpKind::Relu6:
      if (has_out(slot::Relu::mask)) return {};
      return {{t.operator_bytes, true}};  // XNNPACK's clamp, as for max pooling above
    case OpKind::Add:
      return {{t.operator_bytes, true}};
    default:
      return {};
  }
}

uint64_t xnnpack_op_bytes(const Graph& g, const Op& op, const XnnpackTiles& t) {
  uint64_t sum = 0;
  for (const XnnAllocation& a : xnnpack_op_allocations(g, op, t)) sum += a.bytes;
  return sum;
}

OffArenaModel off_arena_model(const std::string& target) {
  OffArenaModel m;
  m.target = target;
  if (target == "host") {
    // XNNPACK 2022-02 (Debian bookworm) on x86-64 with FMA3/AVX2: f32 GEMM 5x16, depthwise
    // up16x9/up8x25, max pooling 9p8x.
    m.tiles = {5, 16, 1, 16, 9, 2240, 64};
    // Measured on the 2-core x86-64 build machine (glibc 2.36), VmHWM of the host trainers minus
    // the exact terms: load base = fashion_cnn and fashion_net b8 on Fashion-MNIST, whose peak
    // is the data read (3575808, 3633152: mean); run base and slope = least squares over
    // fashion_cnn, fashion_net, mobilenet_v1, mobilenet_v2, resnet18, resnet34 at b8 (synthetic
    // data) and mobilenet_v1, resnet18 at b32: residuals within +-0.47 MB. The operator size
    // makes the predicted XNNPACK regions match the measured ones within 2 KB.
    m.fit = {3604480, 4482049, 16013};
    // mpi_smoke, 2 ranks: VmRSS +9896 kB at MPI_Init, +200 kB after an allreduce.
    m.mpi_bytes = (9896 + 200) << 10;
  } else if (target == "pi3") {
    // The same XNNPACK on aarch64 (NEON FMA): f32 GEMM 6x8, depthwise up8x9/up8x25, 9p8x.
    m.tiles = {6, 8, 1, 8, 9, 1024, 16};
    // Measured under qemu-aarch64 -cpu cortex-a53 (no Pi here), as the guest's resident bytes
    // (tests/tools/rss-guest-peak.sh: the mappings below the emulator's own, so QEMU itself is
    // left out): fashion_cnn, fashion_net (synthetic), mobilenet_v2 and resnet18 at 32x32, all
    // b8, minus the exact terms: 3581424, 3591248, 3803088, 3736784 (mean). One batch size only,
    // so no slope. The 20 ms sampler misses the data read's short peak, so the load base is the
    // run base scaled by the host's load/run ratio (3604480 / 4610154): an estimate. A Pi's
    // device profile ("off_arena_model") replaces all three.
    m.fit = {2875704, 3678136, 0};
    // mpi_smoke under QEMU, the guest's resident bytes: about 7.5 MB at MPI_Init (an allreduce adds
    // little).
    m.mpi_bytes = 7500000;
  } else {
    throw std::invalid_argument("unknown target '" + target + "' (known: host, pi3)");
  }
  return m;
}

TrainerData default_trainer_data(const Graph& g) {
  const auto& s = g.at(g.input).shape;
  TrainerData d;
  if (s.size() == 4 && s[1] == 28 && s[2] == 28 && s[3] == 1) d.fashion_mnist = true;
  else d.synthetic_images = g.batch;
  return d;
}

TrainerData parse_trainer_data(const std::string& text) {
  TrainerData d;
  if (text == "fashion-mnist") {
    d.fashion_mnist = true;
    return d;
  }
  const std::string prefix = "synthetic:";
  uint64_t n = 0;
  if (text.rfind(prefix, 0) == 0 && parse_decimal(text.substr(prefix.size()), 999999999, &n) && n > 0) {
    d.synthetic_images = static_cast<uint32_t>(n);
    return d;
  }
  throw std::invalid_argument("--data is fashion-mnist or synthetic:N (N >= 1), got '" + text + "'");
}

PeakPrediction predict_peak(const Graph& g, const OffArenaModel& m, const TrainerData& data) {
  PeakPrediction p;
  const uint64_t page = m.page_bytes;
  // Data: what the trainer holds while training (pixels, labels, its epoch order of uint32) and
  // the most it holds while reading (idx_dataset.cc: train images, train labels, test images,
  // test labels, in this order; each file grows a vector). Synthetic images are generated into
  // the input tensor batch by batch (runtime/image_set.h): only the epoch order is held.
  if (data.fashion_mnist) {
    const uint64_t train_px = kFashionTrainImages * kFashionPixels, test_px = kFashionTestImages * kFashionPixels;
    const uint64_t train = train_px + kFashionTrainImages, test = test_px + kFashionTestImages;
    p.data_bytes = train + test + 4 * kFashionTrainImages;
    p.data_load_peak = std::max({vector_read_peak(train_px + kIdxImagesHeader),
                                 train + vector_read_peak(test_px + kIdxImagesHeader),
                                 train + test});
  } else {
    p.data_bytes = 4 * uint64_t{data.synthetic_images};
    p.data_load_peak = 0;
  }
  // XNNPACK: operators live one at a time (created, run and deleted inside each op), so the
  // first step's peak is the largest op's set; fit_region() then reserves peak + peak/4 + 256 KiB
  // and touches all of it (runtime/xnn_context.cc). Eval ops run in the region.
  GlibcHeap heap;
  for (const Op& op : g.train) {
    const std::vector<XnnAllocation> a = xnnpack_op_allocations(g, op, m.tiles);
    uint64_t bytes = 0;
    for (const XnnAllocation& x : a) bytes += x.bytes;
    p.xnnpack_peak = std::max(p.xnnpack_peak, bytes);
    heap.run_op(a, m.tiles.simd_alignment, page);
  }
  p.xnnpack_region = p.xnnpack_peak + p.xnnpack_peak / 4 + (256u << 10);
  p.first_step_heap = heap.peak;
  p.heap_retained = heap.heap_resident;
  // The arena and params block are allocated with XNN_EXTRA_BYTES of slack and touched whole.
  const uint64_t arena = round_up(g.arena_bytes + kXnnExtraBytes, page);
  const uint64_t params = round_up(g.params_bytes + kXnnExtraBytes, page);
  const double load_base = m.fit.load_base_bytes;
  const double run_base = m.fit.run_base_bytes + m.fit.run_per_image_bytes * g.batch;
  p.load_peak = static_cast<uint64_t>(std::llround(load_base)) + p.data_load_peak;
  const uint64_t training = static_cast<uint64_t>(std::llround(run_base)) + arena + params + p.data_bytes;
  if (g.allreduce_bucket_bytes != 0) {
    // Open MPI's allreduce allocates about half its message; runtime/mpi_communicator.cc sends
    // at most 1 MiB at a time.
    uint64_t largest = 0;
    for (const Tensor& t : g.tensors) {
      if (t.role == Role::ParamGrad) largest = std::max(largest, t.bytes());
    }
    p.mpi_bytes = m.mpi_bytes + round_up(std::min<uint64_t>(largest, 1u << 20) / 2, page);
  }
  p.load_peak += p.mpi_bytes;  // edgetrain-train-mpi initialises MPI before it reads the data
  p.run_peak = training + p.mpi_bytes +
               std::max(p.first_step_heap, p.heap_retained + round_up(p.xnnpack_region, page));
  return p;
}

}  // namespace edgetrain::planner

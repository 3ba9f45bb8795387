// The in-place writes plan_format.h allows (op_allows_in_place) give the same result as writing
// to a separate output, through the runtime's own dispatch (XNNPACK or kernels, threaded).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "../test_random.h"
#include "aligned_buffer.h"
#include "op_context.h"
#include "ops/dispatch.h"
#include "xnn_context.h"

using namespace edgetrain;
using namespace edgetrain::test;

namespace {

constexpr uint32_t kN = 3, kH = 5, kW = 7, kC = 6;

// Tensors of one shape (or per-channel [C]) in one arena: 0..count-1, laid back to back.
struct Arena {
  std::vector<TensorDesc> tensors;
  Plan plan{};
  XnnContext xnn;
  AlignedBuffer bytes;
  OpContext ctx{};

  explicit Arena(const std::vector<bool>& per_channel) {
    uint64_t offset = 0;
    for (bool c : per_channel) {
      TensorDesc t{"t", Region::Arena, DType::F32, Init::None, uint8_t(c ? 1 : 4),
                   {c ? kC : kN, c ? 1 : kH, c ? 1 : kW, c ? 1 : kC}, 0, offset, 0};
      t.bytes = 4ull * t.shape[0] * t.shape[1] * t.shape[2] * t.shape[3];
      offset += (t.bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
      tensors.push_back(t);
    }
    plan.tensors = tensors.data();
    plan.tensor_count = static_cast<uint32_t>(tensors.size());
    plan.arena_bytes = offset;
    REQUIRE(xnn.init(2).is_ok());
    REQUIRE(bytes.allocate(offset + 16, kTensorAlignment));
    ctx = OpContext{&plan, bytes.data(), nullptr, xnn.pool(), {}};
  }
  void fill(std::mt19937& rng) {
    for (uint32_t i = 0; i < plan.tensor_count; ++i) {
      const std::vector<float> v = uniform(rng, tensors[i].bytes / 4, -2.0f, 7.0f);
      std::memcpy(ctx.f32(static_cast<int32_t>(i)), v.data(), tensors[i].bytes);
    }
  }
  std::vector<float> get(int32_t id) const {
    return {ctx.f32(id), ctx.f32(id) + tensors[id].bytes / 4};
  }
  Status run(const OpDesc& op) const {
    return run_op(ctx, op);
  }
};

// Runs `op` once writing out[0] to a separate tensor, once over in[slot]; compares.
void check_in_place(OpKind kind, const std::vector<bool>& inputs_per_channel, int slot,
                    const std::vector<bool>& outputs_per_channel) {
  CAPTURE(op_kind_name(kind));
  REQUIRE(op_allows_in_place(kind, slot));
  std::vector<bool> layout = inputs_per_channel;
  layout.insert(layout.end(), outputs_per_channel.begin(), outputs_per_channel.end());
  EDGETRAIN_SEEDED_RNG(rng);
  Arena a(layout);
  OpDesc op{kind, {-1, -1, -1, -1, -1}, {-1, -1, -1}, -1, {}};
  op.params.eps = 1e-5f;
  const int32_t n_in = static_cast<int32_t>(inputs_per_channel.size());
  for (int32_t i = 0; i < n_in; ++i) op.in[i] = i;
  for (int32_t i = 0; i < static_cast<int32_t>(outputs_per_channel.size()); ++i) op.out[i] = n_in + i;
  a.fill(rng);
  if (kind == OpKind::BatchNormBwd) {  // var must be positive
    float* var = a.ctx.f32(3);
    for (uint32_t c = 0; c < kC; ++c) var[c] = 0.5f + static_cast<float>(c);
  }
  const std::vector<std::vector<float>> inputs = [&] {
    std::vector<std::vector<float>> v;
    for (int32_t i = 0; i < n_in; ++i) v.push_back(a.get(i));
    return v;
  }();
  REQUIRE(a.run(op).is_ok());
  const std::vector<float> separate = a.get(op.out[0]);

  for (int32_t i = 0; i < n_in; ++i) std::memcpy(a.ctx.f32(i), inputs[i].data(), inputs[i].size() * 4);
  op.out[0] = op.in[slot];
  op.params.in_place = static_cast<uint8_t>(slot + 1);
  REQUIRE(a.run(op).is_ok());
  CHECK(a.get(op.in[slot]) == separate);
}

}  // namespace

TEST_CASE("elementwise ops give the same result in place") {
  check_in_place(OpKind::Relu, {false}, 0, {false});
  check_in_place(OpKind::Relu6, {false}, 0, {false});
  check_in_place(OpKind::Relu, {false}, 0, {false, false});  // with the backward's mask
  check_in_place(OpKind::Relu6, {false}, 0, {false, false});
  check_in_place(OpKind::ReluBwd, {false, false}, 1, {false});  // in[0]: random mask bits
  check_in_place(OpKind::Add, {false, false}, 0, {false});
  check_in_place(OpKind::Add, {false, false}, 1, {false});
}

TEST_CASE("BatchNorm backward gives the same dx written over dy") {
  // in [x, gamma, mean, var, dy]  out [dx, dgamma, dbeta]
  check_in_place(OpKind::BatchNormBwd, {false, true, true, true, false}, 4, {false, true, true});
}

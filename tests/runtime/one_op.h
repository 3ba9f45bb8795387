// A one-op plan for the adapter tests (ops_test.cc, pool_ops_test.cc): tensors back to back in
// one arena, filled with random values, and the ops that run on them.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "../test_random.h"
#include "aligned_buffer.h"
#include "op_context.h"
#include "ops/dispatch.h"
#include "xnn_context.h"

namespace edgetrain::test {

class OneOp {
 public:
  explicit OneOp(std::mt19937& rng) : rng_(rng) {}

  int32_t tensor(std::vector<uint32_t> shape) {
    TensorDesc t{};
    t.name = "t";
    t.region = Region::Arena;
    t.rank = static_cast<uint8_t>(shape.size());
    for (int i = 0; i < 4; ++i) t.shape[i] = i < static_cast<int>(shape.size()) ? shape[i] : 1;
    t.bytes = 4;
    for (uint32_t d : shape) t.bytes *= d;
    t.offset = bytes_;
    bytes_ += (t.bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    tensors_.push_back(t);
    return static_cast<int32_t>(tensors_.size() - 1);
  }

  // Runs `op` and returns its first output. The first call fills every tensor with random values;
  // later calls run on what is there (an op chain).
  std::vector<float> run(const OpDesc& op) {
    if (filled_) return run_op(op);
    filled_ = true;
    REQUIRE(xnn_.init(2).is_ok());
    plan_.tensors = tensors_.data();
    plan_.tensor_count = static_cast<uint32_t>(tensors_.size());
    plan_.arena_bytes = bytes_;
    REQUIRE(arena_.allocate(bytes_ + 16, kTensorAlignment));
    ctx_ = OpContext{&plan_, arena_.data(), nullptr, xnn_.pool(), {}, seed_};
    ctx_.optimizer.step = step_;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const std::vector<float> v = uniform(rng_, tensors_[i].bytes / 4, -4.0f, 8.0f);
      std::memcpy(f32(static_cast<int32_t>(i)), v.data(), tensors_[i].bytes);
    }
    return run_op(op);
  }

  std::vector<float> run_op(const OpDesc& op) {
    const Status s = edgetrain::run_op(ctx_, op);
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    return values(op.out[0]);
  }
  std::vector<float> values(int32_t id) const {
    return std::vector<float>(f32(id), f32(id) + tensors_[id].bytes / 4);
  }

  float* f32(int32_t id) const { return ctx_.f32(id); }
  uint8_t* u8(int32_t id) const { return ctx_.u8(id); }
  const OpContext& ctx() const { return ctx_; }
  // What keys Dropout's masks: the session's seed and the step.
  void set_step(uint64_t seed, uint32_t step) {
    seed_ = ctx_.seed = seed;
    step_ = ctx_.optimizer.step = step;
  }

 private:
  std::mt19937& rng_;
  std::vector<TensorDesc> tensors_;
  uint64_t bytes_ = 0;
  Plan plan_{};
  XnnContext xnn_;
  AlignedBuffer arena_;
  OpContext ctx_{};
  bool filled_ = false;
  uint64_t seed_ = 0;
  uint32_t step_ = 1;
};

inline OpDesc op_of(OpKind kind, std::vector<int32_t> in, std::vector<int32_t> out, OpParams p = {}) {
  OpDesc d{kind, {-1, -1, -1, -1, -1}, {-1, -1, -1}, -1, p};
  for (size_t i = 0; i < in.size(); ++i) d.in[i] = in[i];
  for (size_t i = 0; i < out.size(); ++i) d.out[i] = out[i];
  return d;
}

// A square window's params, padded alike on all four sides.
inline OpParams window(uint16_t k, uint16_t stride, uint16_t pad, uint32_t groups = 1) {
  OpParams p{};
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.groups = groups;
  return p;
}

}  // namespace edgetrain::test

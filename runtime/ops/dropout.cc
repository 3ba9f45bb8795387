// Training-mode dropout, forward and backward, over element ranges across the pool. The mask is
// a pure function of (seed, step, salt, element) (kernels/dropout_rng.h): the session's seed,
// the step the optimizer gets, the op's salt from the plan, and each tile's first element, so
// recomputed forwards, resumed runs and any thread count give the same bits. The eval schedule's
// Dropout has ratio 0 (graph/training.cc): the identity, scale 1, every element kept.
#include "kernels/dropout_rng.h"
#include "kernels/kernels.h"
#include "ops/ops.h"
#include "ops/parallel.h"

namespace edgetrain::ops {

Status dropout(const OpContext& c, const OpDesc& d) {
  using S = slot::Dropout;
  const float p = dropout_ratio(d.params);
  const uint64_t key = dropout_key(c.seed, c.optimizer.step, dropout_salt(d.params));
  const float* x = c.f32(d.in[S::x]);
  float* y = c.f32(d.out[S::y]);
  uint8_t* mask = c.u8(d.out[S::mask]);  // null without a backward
  // Tiles start at multiples of kElementTile: whole mask bytes.
  auto fn = [&](size_t i, size_t count) {
    f32_dropout_tiled(count, p, key, i, x + i, y + i, mask == nullptr ? nullptr : mask + i / 8);
  };
  parallel_elements(c, c.elements(d.out[S::y]), fn);
  return Status::ok();
}

Status dropout_bwd(const OpContext& c, const OpDesc& d) {
  using S = slot::DropoutBwd;
  const float p = dropout_ratio(d.params);
  const uint8_t* mask = c.u8(d.in[S::mask]);
  const float* dy = c.f32(d.in[S::dy]);
  float* dx = c.f32(d.out[S::dx]);
  auto fn = [&](size_t i, size_t count) { f32_dropout_bwd_tiled(count, p, mask + i / 8, dy + i, dx + i); };
  parallel_elements(c, c.elements(d.out[S::dx]), fn);
  return Status::ok();
}

}  // namespace edgetrain::ops

#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <vector>

namespace edgetrain {

namespace {

constexpr float kMean = 0.2860f;  // of Fashion-MNIST's training pixels in [0,1]
constexpr float kStd = 0.3530f;

uint64_t next_random(uint64_t& state) {  // splitmix64: the same sequence on every platform
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void shuffle(std::vector<uint32_t>& v, uint64_t& state) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[next_random(state) % i]);
}

}  // namespace

Status select_plan(const PlanSet& plans, uint32_t batch, const Plan** out) {
  if (plans.count == 0) return Status::error(StatusCode::InvalidPlan, "this binary carries no plan");
  for (uint32_t i = 0; i < plans.count; ++i) {
    if (batch == 0 || plans.plans[i]->batch == batch) {
      *out = plans.plans[i];
      return Status::ok();
    }
  }
  char have[128] = {};
  for (uint32_t i = 0, n = 0; i < plans.count && n < sizeof have - 12; ++i) {
    n += static_cast<uint32_t>(std::snprintf(have + n, sizeof have - n, "%s%u", i ? ", " : "", plans.plans[i]->batch));
  }
  return Status::error(StatusCode::InvalidArgument, "no plan for batch %u in this binary (batches: %s)", batch, have);
}

Status check_data_fits(const Plan& plan, const ImageSet& data) {
  const uint32_t* in = plan.tensors[plan.input].shape;
  if (in[1] != data.height || in[2] != data.width || in[3] != 1) {
    return Status::error(StatusCode::InvalidArgument,
                         "plan '%s' takes %ux%ux%u images but the data has %ux%ux1", plan.model,
                         in[1], in[2], in[3], data.height, data.width);
  }
  if (data.count == 0) return Status::error(StatusCode::BadData, "the data set is empty");
  return Status::ok();
}

void fill_batch(const ImageSet& data, const uint32_t* indices, Executor& exec) {
  const size_t pixels = size_t{data.height} * data.width;
  float* x = exec.input();
  int32_t* y = exec.labels();
  for (uint32_t b = 0; b < exec.plan().batch; ++b) {
    const uint8_t* src = data.pixels.data() + size_t{indices[b]} * pixels;
    for (size_t i = 0; i < pixels; ++i) x[b * pixels + i] = (src[i] / 255.0f - kMean) / kStd;
    y[b] = data.labels[indices[b]];
  }
}

Status train(Executor& exec, const ImageSet& data, const TrainOptions& options, FILE* log) {
  const uint32_t batch = exec.plan().batch;
  std::vector<uint32_t> order(data.count);
  std::iota(order.begin(), order.end(), 0u);
  uint64_t rng = options.seed;
  size_t cursor = order.size();  // forces a shuffle before the first batch
  std::vector<uint32_t> indices(batch);

  using Clock = std::chrono::steady_clock;
  auto interval_start = Clock::now();
  double loss_sum = 0;
  for (uint32_t step = 1; step <= options.steps; ++step) {
    for (uint32_t b = 0; b < batch; ++b) {
      if (cursor == order.size()) shuffle(order, rng), cursor = 0;
      indices[b] = order[cursor++];
    }
    fill_batch(data, indices.data(), exec);
    EDGETRAIN_RETURN_IF_ERROR(exec.train_step(options.optimizer));
    const float loss = exec.loss();
    if (!std::isfinite(loss)) {
      return Status::error(StatusCode::NonFinite, "loss is %f at step %u: lower the learning rate (--lr)",
                           static_cast<double>(loss), step);
    }
    loss_sum += loss;
    if (step % options.log_every == 0 || step == options.steps) {
      const uint32_t steps_in_interval = (step - 1) % options.log_every + 1;
      const double seconds = std::chrono::duration<double>(Clock::now() - interval_start).count();
      std::fprintf(log, "step %5u/%u  loss %.4f  %8.1f img/s  arena %llu B\n", step, options.steps,
                   loss_sum / steps_in_interval, steps_in_interval * batch / seconds,
                   static_cast<unsigned long long>(exec.plan().arena_bytes));
      std::fflush(log);
      loss_sum = 0;
      interval_start = Clock::now();
    }
  }
  return Status::ok();
}

void print_op_times(const Plan& plan, const std::vector<double>& seconds, uint32_t steps, FILE* out) {
  std::vector<uint32_t> order(seconds.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return seconds[a] > seconds[b]; });
  const double total = std::accumulate(seconds.begin(), seconds.end(), 0.0);
  std::fprintf(out, "%4s  %-26s %-22s %10s %6s\n", "op", "kind", "writes", "ms/step", "share");
  for (uint32_t i : order) {
    const OpDesc& op = plan.train_ops[i];
    const int32_t shown = op.out[0] >= 0 ? op.out[0] : op.in[0];
    std::fprintf(out, "%4u  %-26s %-22s %10.3f %5.1f%%\n", i, op_kind_name(op.kind),
                 plan.tensors[shown].name, 1e3 * seconds[i] / steps, 100.0 * seconds[i] / total);
  }
  std::fprintf(out, "%4s  %-26s %-22s %10.3f\n", "", "total", "", 1e3 * total / steps);
}

Status evaluate(Executor& exec, const ImageSet& data, uint32_t limit, uint32_t* correct, uint32_t* total) {
  const uint32_t batch = exec.plan().batch;
  const uint32_t n = limit == 0 || limit > data.count ? data.count : limit;
  const uint32_t classes = exec.plan().tensors[exec.plan().logits].shape[1];
  std::vector<uint32_t> indices(batch);
  *correct = 0;
  for (uint32_t start = 0; start < n; start += batch) {
    // The last batch is padded with image 0; padded slots are not scored.
    for (uint32_t b = 0; b < batch; ++b) indices[b] = start + b < n ? start + b : 0;
    fill_batch(data, indices.data(), exec);
    EDGETRAIN_RETURN_IF_ERROR(exec.eval_step());
    for (uint32_t b = 0; b < batch && start + b < n; ++b) {
      const float* row = exec.logits() + size_t{b} * classes;
      uint32_t best = 0;
      for (uint32_t k = 1; k < classes; ++k) best = row[k] > row[best] ? k : best;
      *correct += best == data.labels[start + b] ? 1 : 0;
    }
  }
  *total = n;
  return Status::ok();
}

}  // namespace edgetrain

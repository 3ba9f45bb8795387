// The C++ API's Session (edgetrain/session.h) over the Executor: what it adds is checking the
// caller's buffers and names against the plan, and the step count the state files carry.
#include "edgetrain/session.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "edgetrain/communicator.h"
#include "executor.h"
#include "memory_info.h"
#include "plan_check.h"
#include "session_access.h"
#include "state_file.h"
#include "state_format.h"
#include "xnn_context.h"

namespace edgetrain {

struct Session::Impl {
  const Plan* plan = nullptr;
  XnnContext xnn;  // before exec: the executor uses it until it is destroyed
  Executor exec;
  TrainPosition position;
  int32_t train_floats = -1, eval_floats = -1;  // the Normalize ops' outputs, where a caller may write floats
  std::vector<uint8_t> gradient_kept;           // per tensor: 1 for a gradient intact after the step
  std::vector<double> op_seconds;               // per train op, while profiling
  std::vector<int32_t> trained_state;           // weights and optimizer state: weights_crc()

  const TensorDesc& tensor(int32_t id) const { return plan->tensors[id]; }
  int32_t find(const char* name, Region region) const {
    for (int32_t i = 0; i < static_cast<int32_t>(plan->tensor_count); ++i) {
      if (tensor(i).region == region && std::strcmp(tensor(i).name, name) == 0) return i;
    }
    return -1;
  }

  void take_input(const uint8_t* images) {  // images may be the input tensor itself (Session::input)
    if (images != exec.input()) std::memcpy(exec.input(), images, tensor(plan->input).bytes);
  }

  // One training step, the caller having written the input: u8 images at plan->input, or floats
  // at the Normalize op's output when first_op is 1.
  Status step(const int32_t* labels, const StepSettings& settings, uint32_t first_op, float* loss) {
    const uint32_t classes = logit_classes(tensor(plan->logits));
    for (uint32_t i = 0; i < plan->batch; ++i) {
      if (labels[i] < 0 || static_cast<uint32_t>(labels[i]) >= classes) {
        return Status::error(StatusCode::InvalidArgument, "label %d of image %u is not a class of %s (0 to %u)",
                             labels[i], i, plan->model, classes - 1);
      }
    }
    std::memcpy(exec.labels(), labels, sizeof(int32_t) * plan->batch);
    OptimizerConfig optimizer;
    static_cast<StepSettings&>(optimizer) = settings;
    optimizer.step = static_cast<uint32_t>(position.step + 1);
    EDGETRAIN_RETURN_IF_ERROR(exec.train_step(optimizer, first_op));
    ++position.step;
    *loss = exec.loss();
    if (!std::isfinite(*loss)) {
      return Status::error(StatusCode::NonFinite,
                           "the loss of step %llu is not finite: lower the learning rate, and restore a saved "
                           "state (this step has updated the weights)", static_cast<unsigned long long>(position.step));
    }
    return Status::ok();
  }
};

namespace {

// The output of ops[0] when it is the plan's Normalize and no later op recomputes it: then a
// caller's floats written there stand for the input. -1 otherwise.
int32_t float_input(const OpDesc* ops, uint32_t count) {
  if (count == 0 || ops[0].kind != OpKind::Normalize) return -1;
  for (uint32_t i = 1; i < count; ++i) {
    if (ops[i].kind == OpKind::Normalize) return -1;
  }
  return ops[0].out[0];
}

bool overlaps(const TensorDesc& a, const TensorDesc& b) {
  return a.region == b.region && a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
}

// Which arena tensors still hold their last value once the step's ops have run: none of the ops
// after its last write writes over its bytes.
std::vector<uint8_t> intact_after_step(const Plan& plan) {
  std::vector<int64_t> last_write(plan.tensor_count, -1);
  for (uint32_t i = 0; i < plan.train_op_count; ++i) {
    for (int32_t out : plan.train_ops[i].out) {
      if (out >= 0) last_write[out] = i;
    }
  }
  std::vector<uint8_t> intact(plan.tensor_count, 0);
  for (uint32_t t = 0; t < plan.tensor_count; ++t) {
    if (last_write[t] < 0) continue;
    intact[t] = 1;
    for (uint32_t i = static_cast<uint32_t>(last_write[t]) + 1; i < plan.train_op_count && intact[t]; ++i) {
      const OpDesc& op = plan.train_ops[i];
      for (int32_t out : op.out) {
        if (out >= 0 && out != static_cast<int32_t>(t) && overlaps(plan.tensors[out], plan.tensors[t])) intact[t] = 0;
      }
      if (op.workspace >= 0 && overlaps(plan.tensors[op.workspace], plan.tensors[t])) intact[t] = 0;
    }
  }
  return intact;
}

// The params tensors of the state file but BatchNorm's running statistics, unless they are
// the same on every rank (SyncBatchNorm).
std::vector<int32_t> trained_state(const Plan& plan, bool with_statistics) {
  std::vector<uint8_t> statistic(plan.tensor_count, 0);
  for (uint32_t i = 0; i < plan.train_op_count && !with_statistics; ++i) {
    const OpDesc& op = plan.train_ops[i];
    if (op.kind != OpKind::BatchNormTrain) continue;
    statistic[op.in[slot::BatchNormTrain::running_mean]] = statistic[op.in[slot::BatchNormTrain::running_var]] = 1;
  }
  std::vector<int32_t> ids;
  for (uint32_t t = 0; t < plan.tensor_count; ++t) {
    if (saved_in_state(plan.tensors[t].region, plan.tensors[t].init) && !statistic[t]) ids.push_back(static_cast<int32_t>(t));
  }
  return ids;
}

// Whether the plan was made with --data-parallel (has GradAllReduce ops).
bool data_parallel(const Plan& plan) {
  for (uint32_t i = 0; i < plan.train_op_count; ++i) {
    if (plan.train_ops[i].kind == OpKind::GradAllReduceStart) return true;
  }
  return false;
}

TensorView view_of(const Plan& plan, const OpContext& ctx, int32_t id) {
  const TensorDesc& t = plan.tensors[id];
  TensorView v;
  v.data = ctx.f32(id);
  v.elements = t.bytes / 4;
  v.rank = t.rank;
  for (int i = 0; i < 4; ++i) v.shape[i] = t.shape[i];
  return v;
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Status SessionAccess::open(const Plan& plan, const SessionOptions& options, std::unique_ptr<Session>* out) {
  auto impl = std::make_unique<Session::Impl>();
  impl->plan = &plan;
  EDGETRAIN_RETURN_IF_ERROR(impl->xnn.init(options.threads));
  EDGETRAIN_RETURN_IF_ERROR(impl->exec.init(plan, impl->xnn, options.seed));
  if (options.communicator != nullptr && options.communicator->size() > 1 && !data_parallel(plan)) {
    return Status::error(StatusCode::InvalidArgument,
                         "plan '%s' batch %u has no gradient allreduce, so %u ranks would train apart: plan it with "
                         "--data-parallel", plan.model, plan.batch, options.communicator->size());
  }
  impl->exec.set_communicator(options.communicator, options.sync_batchnorm);
  impl->trained_state = trained_state(plan, options.sync_batchnorm);
  impl->train_floats = float_input(plan.train_ops, plan.train_op_count);
  impl->eval_floats = float_input(plan.eval_ops, plan.eval_op_count);
  impl->gradient_kept = intact_after_step(plan);
  out->reset(new Session(std::move(impl)));
  return Status::ok();
}

Executor& SessionAccess::executor(Session& session) { return session.impl_->exec; }
const Executor& SessionAccess::executor(const Session& session) { return session.impl_->exec; }
TrainPosition& SessionAccess::position(Session& session) { return session.impl_->position; }

const char* Session::model() const { return impl_->plan->model; }
const char* Session::optimizer() const { return plan_optimizer(*impl_->plan); }
uint32_t Session::batch() const { return impl_->plan->batch; }
uint32_t Session::height() const { return impl_->tensor(impl_->plan->input).shape[1]; }
uint32_t Session::width() const { return impl_->tensor(impl_->plan->input).shape[2]; }
uint32_t Session::channels() const { return impl_->tensor(impl_->plan->input).shape[3]; }
uint32_t Session::classes() const { return logit_classes(impl_->tensor(impl_->plan->logits)); }
uint64_t Session::step() const { return impl_->position.step; }
uint32_t Session::threads() const { return static_cast<uint32_t>(impl_->xnn.threads()); }
uint8_t* Session::input() { return impl_->exec.input(); }

PlanSummary Session::plan_summary() const {
  const Plan& p = *impl_->plan;
  PlanSummary s;
  s.arena_bytes = p.arena_bytes;
  s.arena_lower_bound_bytes = p.arena_lower_bound;
  s.params_bytes = p.params_bytes;
  s.predicted_peak_bytes = p.predicted_peak_bytes;
  s.train_ops = p.train_op_count;
  return s;
}

DataPosition Session::data_position() const { return {impl_->position.epoch, impl_->position.cursor}; }
void Session::set_data_position(const DataPosition& position) {
  impl_->position.epoch = position.epoch;
  impl_->position.cursor = position.cursor;
}

void Session::profile(bool on) {
  impl_->op_seconds.assign(on ? impl_->plan->train_op_count : 0, 0.0);
  impl_->exec.set_op_times(on ? &impl_->op_seconds : nullptr);
}

OpTime Session::op_time(uint32_t op) const {
  const Plan& p = *impl_->plan;
  OpTime t;
  if (op >= p.train_op_count) return t;
  const OpDesc& d = p.train_ops[op];
  t.kind = op_kind_name(d.kind);
  t.writes = p.tensors[d.out[0] >= 0 ? d.out[0] : d.in[0]].name;
  t.seconds = op < impl_->op_seconds.size() ? impl_->op_seconds[op] : 0.0;
  return t;
}

namespace {

Status check_pointers(const void* images, const void* other, const char* what) {
  if (images == nullptr || other == nullptr) {
    return Status::error(StatusCode::InvalidArgument, "the images and the %s must not be null", what);
  }
  return Status::ok();
}

Status no_float_input(const Plan& plan) {
  return Status::error(StatusCode::InvalidArgument,
                       "plan '%s' does not start with one Normalize op that nothing recomputes, so it takes "
                       "only u8 images", plan.model);
}

}  // namespace

Status Session::train_step(const uint8_t* images, const int32_t* labels, const StepSettings& settings, float* loss) {
  EDGETRAIN_RETURN_IF_ERROR(check_pointers(images, labels, "labels"));
  impl_->take_input(images);
  return impl_->step(labels, settings, 0, loss);
}

Status Session::train_step(const float* images, const int32_t* labels, const StepSettings& settings, float* loss) {
  EDGETRAIN_RETURN_IF_ERROR(check_pointers(images, labels, "labels"));
  if (impl_->train_floats < 0) return no_float_input(*impl_->plan);
  std::memcpy(impl_->exec.context().f32(impl_->train_floats), images, impl_->tensor(impl_->train_floats).bytes);
  return impl_->step(labels, settings, 1, loss);
}

Status Session::predict(const uint8_t* images, float* logits) {
  EDGETRAIN_RETURN_IF_ERROR(check_pointers(images, logits, "logits"));
  impl_->take_input(images);
  EDGETRAIN_RETURN_IF_ERROR(impl_->exec.eval_step());
  std::memcpy(logits, impl_->exec.logits(), impl_->tensor(impl_->plan->logits).bytes);
  return Status::ok();
}

Status Session::predict(const float* images, float* logits) {
  EDGETRAIN_RETURN_IF_ERROR(check_pointers(images, logits, "logits"));
  if (impl_->eval_floats < 0) return no_float_input(*impl_->plan);
  std::memcpy(impl_->exec.context().f32(impl_->eval_floats), images, impl_->tensor(impl_->eval_floats).bytes);
  EDGETRAIN_RETURN_IF_ERROR(impl_->exec.eval_step(1));
  std::memcpy(logits, impl_->exec.logits(), impl_->tensor(impl_->plan->logits).bytes);
  return Status::ok();
}

Status Session::save(const char* path) const {
  const Plan& plan = *impl_->plan;
  for (uint32_t i = 0; i < plan.tensor_count; ++i) {
    if (plan.tensors[i].region != Region::Params) continue;
    const float* v = impl_->exec.context().f32(static_cast<int32_t>(i));
    for (size_t k = 0; k < plan.tensors[i].bytes / 4; ++k) {
      if (!std::isfinite(v[k])) {
        return Status::error(StatusCode::NonFinite, "parameters are not finite at step %llu: not saved",
                             static_cast<unsigned long long>(impl_->position.step));
      }
    }
  }
  return save_state(path, *impl_->plan, impl_->exec.params(), impl_->position);
}

Status Session::load(const char* path) {
  return load_state(path, *impl_->plan, impl_->exec.params(), &impl_->position);
}

Status Session::load_weights(const char* path) {
  EDGETRAIN_RETURN_IF_ERROR(load_initial_state(path, *impl_->plan, impl_->exec.params()));
  impl_->position = TrainPosition{};
  return Status::ok();
}

Status Session::parameter(const char* name, TensorView* out) const {
  const int32_t id = impl_->find(name, Region::Params);
  if (id < 0 || impl_->tensor(id).dtype != DType::F32) {
    return Status::error(StatusCode::InvalidArgument, "plan '%s' has no parameter '%.128s' (its names: plan "
                         "--list-layers, and .weight, .bias, .running_mean, .running_var, .velocity, .exp_avg)",
                         impl_->plan->model, name);
  }
  *out = view_of(*impl_->plan, impl_->exec.context(), id);
  return Status::ok();
}

Status Session::gradient(const char* name, TensorView* out) const {
  const std::string grad = std::string("d.") + name;
  const int32_t id = impl_->find(grad.c_str(), Region::Arena);
  if (id < 0 && impl_->find(name, Region::Params) >= 0) {
    return Status::error(StatusCode::InvalidArgument, "parameter '%.128s' of plan '%s' is not trained (frozen, or a "
                         "statistic), so it has no gradient", name, impl_->plan->model);
  }
  if (id < 0) {
    return Status::error(StatusCode::InvalidArgument, "plan '%s' has no parameter '%.128s'", impl_->plan->model, name);
  }
  if (!impl_->gradient_kept[id]) {
    return Status::error(StatusCode::InvalidArgument,
                         "the gradient of '%.128s' is overwritten later in plan '%s''s step (its memory is reused "
                         "after the update): plan with --keep-gradients to read gradients", name, impl_->plan->model);
  }
  *out = view_of(*impl_->plan, impl_->exec.context(), id);
  return Status::ok();
}

uint32_t Session::weights_crc() const {
  uLong crc = crc32_z(0, nullptr, 0);
  for (const int32_t id : impl_->trained_state) {
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(impl_->exec.context().f32(id)), impl_->tensor(id).bytes);
  }
  return static_cast<uint32_t>(crc);
}

void top_k(const float* values, uint32_t count, uint32_t k, uint32_t* indices) {
  for (uint32_t j = 0; j < k && j < count; ++j) {
    uint32_t best = count;
    for (uint32_t i = 0; i < count; ++i) {
      bool taken = false;
      for (uint32_t q = 0; q < j; ++q) taken = taken || indices[q] == i;
      if (!taken && (best == count || values[i] > values[best])) best = i;
    }
    indices[j] = best;
  }
}

}  // namespace edgetrain

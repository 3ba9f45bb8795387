#include "plan_check.h"

#include <cstdio>
#include <initializer_list>

namespace edgetrain {

namespace {

// The characters of names in a plan: the planner's import set (planner/util/names.h: letters,
// digits, '.', '_') and the suffixes it adds itself ('~' recompute clones, '@' and '+' gradient
// parts). Messages print a name only after it passed, so a bad one cannot forge log lines.
bool plan_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '~' || c == '@' || c == '+';
}

constexpr uint32_t kMaxPlanNameBytes = 4096;

// The index of the first bad byte of `name`, or -1 when it is a good name.
int64_t bad_name_byte(const char* name) {
  if (name == nullptr || name[0] == '\0') return 0;
  for (uint32_t i = 0; i <= kMaxPlanNameBytes; ++i) {
    if (name[i] == '\0') return -1;
    if (i == kMaxPlanNameBytes || !plan_name_char(name[i])) return i;
  }
  return 0;  // not reached
}

Status check_tensor(const Plan& p, uint32_t id) {
  const TensorDesc& t = p.tensors[id];
  if (const int64_t at = bad_name_byte(t.name); at >= 0) {
    return Status::error(StatusCode::InvalidPlan,
                         "plan tensor %u has a bad name (byte %lld: names hold letters, digits and . _ ~ @ +, "
                         "at most %u bytes): re-run the planner",
                         id, static_cast<long long>(at), kMaxPlanNameBytes);
  }
  uint64_t elements = 1;
  for (uint32_t d : t.shape) elements *= d;
  const uint64_t region = t.region == Region::Arena ? p.arena_bytes : p.params_bytes;
  if (t.rank < 1 || t.rank > 4 || tensor_bytes(t.dtype, elements) != t.bytes) {
    return Status::error(StatusCode::InvalidPlan, "plan tensor %u ('%s'): shape does not match %llu bytes",
                         id, t.name, static_cast<unsigned long long>(t.bytes));
  }
  if (t.offset % kTensorAlignment != 0 || t.offset > region || t.bytes > region - t.offset) {
    return Status::error(StatusCode::InvalidPlan, "plan tensor %u ('%s') lies outside its region", id, t.name);
  }
  return Status::ok();
}

// `forward_only`: the eval schedule, which holds forward ops only.
Status check_ops(const Plan& p, const OpDesc* ops, uint32_t count, const char* schedule, bool forward_only) {
  for (uint32_t i = 0; i < count; ++i) {
    const OpDesc& op = ops[i];
    if (static_cast<uint16_t>(op.kind) >= kOpKindCount) {
      return Status::error(StatusCode::InvalidPlan, "%s op %u has an unknown kind", schedule, i);
    }
    if (forward_only && op_info(op.kind).phase != OpPhase::Forward) {
      return Status::error(StatusCode::InvalidPlan, "%s op %u (%s) is not a forward op: re-run the planner", schedule, i,
                           op_kind_name(op.kind));
    }
    if (const char* problem = op_slot_problem(op)) {
      return Status::error(StatusCode::InvalidPlan, "%s op %u (%s) %s: re-run the planner", schedule, i,
                           op_kind_name(op.kind), problem);
    }
    if ((op.kind == OpKind::Dropout || op.kind == OpKind::DropoutBwd) &&
        !(dropout_ratio(op.params) >= 0.0f && dropout_ratio(op.params) < 1.0f)) {
      return Status::error(StatusCode::InvalidPlan, "%s op %u (%s) has a ratio outside [0, 1): re-run the planner",
                           schedule, i, op_kind_name(op.kind));
    }
    for (int32_t id : op.in) {
      if (id < -1 || id >= static_cast<int32_t>(p.tensor_count)) {
        return Status::error(StatusCode::InvalidPlan, "%s op %u names tensor %d of %u", schedule, i, id, p.tensor_count);
      }
    }
    for (int32_t id : op.out) {
      if (id < -1 || id >= static_cast<int32_t>(p.tensor_count)) {
        return Status::error(StatusCode::InvalidPlan, "%s op %u names tensor %d of %u", schedule, i, id, p.tensor_count);
      }
    }
  }
  return Status::ok();
}

}  // namespace

Status check_plan(const Plan& p) {
  if (p.magic != kPlanMagic || p.version != kPlanVersion) {
    return Status::error(StatusCode::InvalidPlan,
                         "plan has format %08x v%u, this runtime reads %08x v%u: re-run the planner",
                         p.magic, p.version, kPlanMagic, kPlanVersion);
  }
  if (const int64_t at = bad_name_byte(p.model); at >= 0) {
    return Status::error(StatusCode::InvalidPlan, "plan has a bad model name (byte %lld): re-run the planner",
                         static_cast<long long>(at));
  }
  if (p.batch == 0 || p.tensor_count == 0 || p.train_op_count == 0) {
    return Status::error(StatusCode::InvalidPlan, "plan for '%s' is empty", p.model);
  }
  for (uint32_t id = 0; id < p.tensor_count; ++id) EDGETRAIN_RETURN_IF_ERROR(check_tensor(p, id));
  for (int32_t id : {p.input, p.labels, p.loss, p.logits}) {
    if (id < 0 || id >= static_cast<int32_t>(p.tensor_count) || p.tensors[id].region != Region::Arena) {
      return Status::error(StatusCode::InvalidPlan, "plan for '%s' lacks its input, labels, loss or logits", p.model);
    }
  }
  if (p.tensors[p.labels].dtype != DType::I32 || p.tensors[p.input].dtype != DType::U8 ||
      p.tensors[p.input].rank != 4) {
    return Status::error(StatusCode::InvalidPlan, "plan for '%s' has malformed input or labels", p.model);
  }
  EDGETRAIN_RETURN_IF_ERROR(check_ops(p, p.train_ops, p.train_op_count, "train", false));
  return check_ops(p, p.eval_ops, p.eval_op_count, "eval", true);
}

Status select_plan(const PlanSet& plans, uint32_t batch, uint64_t available_bytes, const Plan** out) {
  if (plans.count == 0) return Status::error(StatusCode::InvalidPlan, "this binary carries no plan");
  const Plan* best = nullptr;
  const Plan* smallest = nullptr;
  char have[128] = {};
  for (uint32_t i = 0, n = 0; i < plans.count; ++i) {
    const Plan* p = plans.plans[i];
    if (n < sizeof have - 12) {
      n += static_cast<uint32_t>(std::snprintf(have + n, sizeof have - n, "%s%u", i ? ", " : "", p->batch));
    }
    if (batch != 0) {
      if (p->batch == batch) best = p;
      continue;
    }
    const uint64_t need = p->arena_bytes + p->params_bytes;
    if (!smallest || need < smallest->arena_bytes + smallest->params_bytes) smallest = p;
    if ((available_bytes == 0 || need <= available_bytes) && (!best || p->batch > best->batch)) best = p;
  }
  if (best) {
    *out = best;
    return Status::ok();
  }
  if (batch != 0) {
    return Status::error(StatusCode::InvalidArgument, "no plan for batch %u in this binary (batches: %s)", batch, have);
  }
  return Status::error(StatusCode::OutOfMemory,
                       "no plan fits in the %.1f MiB this system has available (the smallest, batch %u, "
                       "needs %.1f MiB): free memory or build a plan with a smaller batch or budget",
                       static_cast<double>(available_bytes) / (1 << 20), smallest->batch,
                       static_cast<double>(smallest->arena_bytes + smallest->params_bytes) / (1 << 20));
}

const char* plan_optimizer(const Plan& plan) {
  for (uint32_t i = 0; i < plan.train_op_count; ++i) {
    if (const char* name = optimizer_name(plan.train_ops[i].kind)) return name;
  }
  return "none";
}

}  // namespace edgetrain

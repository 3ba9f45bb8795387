// Session::open: the plans baked into the program (kBakedPlans, defined by its generated plan
// file), by model and batch. In a file of its own so that programs without baked plans (the
// tests' sessions over plans made at run time, SessionAccess::open) link without one.
#include <cstring>
#include <string>
#include <vector>

#include "edgetrain/session.h"
#include "memory_info.h"
#include "plan_check.h"
#include "session_access.h"

namespace edgetrain {

namespace {

// The baked plan of `model` (any, when null and the program holds one model's) at options.batch,
// or the largest that fits the memory available now.
Status find_baked(const char* model, const SessionOptions& options, const Plan** out) {
  std::vector<const Plan*> mine;
  std::string have;
  uint32_t models = 0;
  for (uint32_t i = 0; i < kBakedPlans.count; ++i) {
    const Plan* p = kBakedPlans.plans[i];
    if (model == nullptr || std::strcmp(p->model, model) == 0) mine.push_back(p);
    if (i == 0 || std::strcmp(p->model, kBakedPlans.plans[i - 1]->model) != 0) {  // a set holds one model's plans
      have += std::string(have.empty() ? "" : ", ") + p->model;
      ++models;
    }
  }
  if (model == nullptr && models > 1) {
    return Status::error(StatusCode::InvalidArgument, "this program holds plans of %s: name the model to open",
                         have.c_str());
  }
  if (mine.empty()) {
    return Status::error(StatusCode::InvalidArgument,
                         "this program holds plans of %s, not of '%.64s': plan that model and compile its "
                         "FILE.gen.cc in", have.empty() ? "no model" : have.c_str(), model ? model : "");
  }
  const PlanSet set{mine.data(), static_cast<uint32_t>(mine.size())};
  return select_plan(set, options.batch, mem_available_bytes(), out);
}

}  // namespace

Status Session::find_plan(const char* model, const SessionOptions& options, PlanInput* out) {
  const Plan* plan = nullptr;
  EDGETRAIN_RETURN_IF_ERROR(find_baked(model, options, &plan));
  const TensorDesc& input = plan->tensors[plan->input];
  *out = {plan->model, plan_optimizer(*plan), plan->batch, input.shape[1], input.shape[2], input.shape[3],
          logit_classes(plan->tensors[plan->logits])};
  return Status::ok();
}

Status Session::open(const char* model, const SessionOptions& options, std::unique_ptr<Session>* out) {
  const Plan* plan = nullptr;
  EDGETRAIN_RETURN_IF_ERROR(find_baked(model, options, &plan));
  return SessionAccess::open(*plan, options, out);
}

}  // namespace edgetrain

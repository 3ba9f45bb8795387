// The runtime's own access to a Session, beyond the public API: a session over any checked plan
// (the tests' plans, made by the planner at run time rather than baked in), and its executor and
// position (tests inspect the raw parameter block and inject faults). edgetrain-train and apps use
// only edgetrain/session.h.
#pragma once

#include <memory>

#include "edgetrain/session.h"
#include "executor.h"
#include "plan_format.h"
#include "state_file.h"

namespace edgetrain {

struct SessionAccess {
  static Status open(const Plan& plan, const SessionOptions& options, std::unique_ptr<Session>* out);
  static Executor& executor(Session& session);
  static const Executor& executor(const Session& session);
  static TrainPosition& position(Session& session);
};

}  // namespace edgetrain

// Sessions for runtime tests: over any plan (baked, or planned by the test), with the runtime's
// access to the executor, and train() from a position the test picks.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <memory>

#include "session_access.h"
#include "trainer.h"

namespace edgetrain::test {

inline std::unique_ptr<Session> test_session(const Plan& plan, uint32_t seed, uint32_t threads = 1) {
  std::unique_ptr<Session> session;
  const Status s = SessionAccess::open(plan, {plan.batch, threads, seed}, &session);
  REQUIRE_MESSAGE(s.is_ok(), s.message());
  return session;
}

// train() starting at *position (steps done, epoch, cursor), which then holds where it ended.
inline Status train_at(Session& session, const ImageSet& data, const TrainOptions& options, TrainPosition* position,
                       FILE* log) {
  SessionAccess::position(session) = *position;
  const Status s = train(session, data, options, log);
  *position = SessionAccess::position(session);
  return s;
}

}  // namespace edgetrain::test

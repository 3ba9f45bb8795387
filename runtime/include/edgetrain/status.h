// Errors without exceptions or allocation, in the runtime and its API: a code plus one formatted
// line that says what is wrong and, where we know, how to fix it.
#pragma once

#include <cstdarg>
#include <cstdio>

namespace edgetrain {

enum class StatusCode { Ok, InvalidArgument, InvalidPlan, IoError, BadData, OutOfMemory, Xnnpack, NonFinite };

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return {}; }

  // printf-style message; truncated to the buffer.
  [[gnu::format(printf, 2, 3)]] static Status error(StatusCode code, const char* fmt, ...) {
    Status s;
    s.code_ = code;
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(s.message_, sizeof s.message_, fmt, args);
    va_end(args);
    return s;
  }

  bool is_ok() const { return code_ == StatusCode::Ok; }
  StatusCode code() const { return code_; }
  const char* message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::Ok;
  char message_[256] = {};
};

#define EDGETRAIN_RETURN_IF_ERROR(expr)   \
  do {                                    \
    ::edgetrain::Status status_ = (expr); \
    if (!status_.is_ok()) return status_; \
  } while (0)

}  // namespace edgetrain

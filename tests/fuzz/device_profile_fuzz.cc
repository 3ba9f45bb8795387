// Fuzz target for the planner's device-profile reader (planner/cost/device_profile.h): any input
// either parses and yields finite, non-negative times for fashion_cnn with a positive forward
// total (the plan's "+X% forward time" divides by it), or throws one "FILE:LINE: problem" line.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cost/device_profile.h"
#include "graph/training.h"
#include "import/zoo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetrain::planner;
  static const Graph g = [] {
    Graph d = build_zoo_model("fashion_cnn", 32);
    derive_schedules(d);
    return d;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const TimeModel t = time_model_from_profile(g, parse_device_profile(text, "fuzz.json"));
    double forward = 0;
    for (int32_t i = 0; i < static_cast<int32_t>(g.forward.size()); ++i) {
      const double f = t.forward(g, i), b = t.backward(g, i);
      if (!(f >= 0) || !(b >= 0) || std::isnan(f + b)) __builtin_trap();
      forward += f;
    }
    if (!(forward > 0) || !std::isfinite(forward)) __builtin_trap();
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    if (what.rfind("fuzz.json:", 0) != 0 || what.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}

#include "param_init.h"

#include <cmath>
#include <cstring>

#include "kernels/splitmix.h"

namespace edgetrain {

namespace {

// Each tensor gets its own stream, keyed by its name, so adding a layer does not reshuffle the
// initial values of the others.
uint64_t stream_seed(uint64_t seed, const char* name) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (const char* c = name; *c; ++c) h = (h ^ static_cast<unsigned char>(*c)) * 0x100000001b3ull;
  return h;
}

}  // namespace

void init_params(const Plan& plan, unsigned char* params, uint64_t seed) {
  for (uint32_t id = 0; id < plan.tensor_count; ++id) {
    const TensorDesc& t = plan.tensors[id];
    if (t.region != Region::Params || t.init == Init::None) continue;
    float* v = reinterpret_cast<float*>(params + t.offset);
    const size_t n = t.bytes / sizeof(float);
    switch (t.init) {
      case Init::Zeros:
        std::memset(v, 0, t.bytes);
        break;
      case Init::Ones:
        for (size_t i = 0; i < n; ++i) v[i] = 1.0f;
        break;
      case Init::UniformFanIn: {
        const float bound = 1.0f / std::sqrt(static_cast<float>(t.fan_in == 0 ? 1 : t.fan_in));
        uint64_t state = stream_seed(seed, t.name);
        for (size_t i = 0; i < n; ++i) {
          const float u = static_cast<float>(splitmix_next(state) >> 40) * 0x1.0p-24f;  // [0, 1)
          v[i] = (2.0f * u - 1.0f) * bound;
        }
        break;
      }
      case Init::None:
        break;
    }
  }
}

}  // namespace edgetrain

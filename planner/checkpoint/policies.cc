#include "checkpoint/policies.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgetrain::planner {

Strategy store_all(const Chain& c) { return from_segments(c, {0}, "store-all", ""); }

std::vector<Strategy> uniform_segments(const Chain& c, int max_k) {
  const int n = static_cast<int>(c.stages.size());
  std::vector<Strategy> family;
  for (int k = 1; k <= std::min(n, max_k); ++k) {
    std::vector<int> starts;
    for (int j = 0; j < k; ++j) starts.push_back(j * n / k);
    family.push_back(from_segments(c, starts, "uniform", "k=" + std::to_string(k)));
  }
  return family;
}

Strategy chen_sqrt(const Chain& c) {
  const int n = static_cast<int>(c.stages.size());
  const int len = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n)))));
  std::vector<int> starts;
  for (int i = 0; i < n; i += len) starts.push_back(i);
  return from_segments(c, starts, "chen-sqrt", "len=" + std::to_string(len));
}

std::vector<Strategy> seed_heuristic(const Chain& c, int max_k) {
  const int n = static_cast<int>(c.stages.size());
  std::vector<uint64_t> prefix(static_cast<size_t>(n) + 1, 0);  // bytes of stage outputs
  for (int i = 0; i < n; ++i) prefix[static_cast<size_t>(i) + 1] = prefix[static_cast<size_t>(i)] + c.costs[static_cast<size_t>(i)].output;
  auto bytes = [&](int a, int b) { return prefix[static_cast<size_t>(b)] - prefix[static_cast<size_t>(a)]; };
  constexpr uint64_t kInf = std::numeric_limits<uint64_t>::max();
  // best[k][i]: smallest largest-segment bytes splitting stages [0, i) into k segments.
  const int kmax = std::min(n, max_k);
  std::vector<std::vector<uint64_t>> best(static_cast<size_t>(kmax) + 1, std::vector<uint64_t>(static_cast<size_t>(n) + 1, kInf));
  std::vector<std::vector<int>> cut(best.size(), std::vector<int>(static_cast<size_t>(n) + 1, 0));
  best[0][0] = 0;
  for (int k = 1; k <= kmax; ++k) {
    for (int i = 1; i <= n; ++i) {
      for (int j = k - 1; j < i; ++j) {
        if (best[static_cast<size_t>(k) - 1][static_cast<size_t>(j)] == kInf) continue;
        const uint64_t v = std::max(best[static_cast<size_t>(k) - 1][static_cast<size_t>(j)], bytes(j, i));
        if (v < best[static_cast<size_t>(k)][static_cast<size_t>(i)]) {
          best[static_cast<size_t>(k)][static_cast<size_t>(i)] = v;
          cut[static_cast<size_t>(k)][static_cast<size_t>(i)] = j;
        }
      }
    }
  }
  std::vector<Strategy> family;
  for (int k = 1; k <= kmax; ++k) {
    std::vector<int> starts;
    for (int i = n, kk = k; kk > 0; --kk) {
      i = cut[static_cast<size_t>(kk)][static_cast<size_t>(i)];
      starts.push_back(i);
    }
    std::reverse(starts.begin(), starts.end());
    family.push_back(from_segments(c, starts, "seed", "k=" + std::to_string(k)));
  }
  return family;
}

}  // namespace edgetrain::planner

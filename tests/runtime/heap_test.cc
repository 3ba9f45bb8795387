// Invariant 1: steady-state training steps allocate nothing on the heap. Activations and
// gradients live in the arena, parameters in the params block, and XNNPACK's operators come from
// the region XnnContext sized after the first step.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "../test_random.h"
#include "executor.h"
#include "heap_counter.h"
#include "runtime_test_util.h"

using namespace edgetrain;
using namespace edgetrain::test;

TEST_CASE("steady-state training and evaluation steps make no heap allocation") {
  XnnContext xnn;
  REQUIRE(xnn.init(2).is_ok());
  Executor exec;
  REQUIRE(exec.init(baked_plan(8), xnn, 1).is_ok());
  EDGETRAIN_SEEDED_RNG(rng);
  const Plan& p = exec.plan();
  const std::vector<uint8_t> x = random_bytes(rng, p.tensors[p.input].bytes);
  const std::vector<int32_t> y(p.batch, 3);
  auto fill = [&] {
    std::memcpy(exec.input(), x.data(), x.size());
    std::memcpy(exec.labels(), y.data(), y.size() * 4);
  };
  fill();
  REQUIRE(exec.train_step({0.01f, 0.9f, 0.0f}).is_ok());  // measures XNNPACK, sizes its region
  const XnnAllocStats before = XnnContext::alloc_stats();
  CHECK(before.heap_allocations > 0);
  CHECK(before.region_capacity > 0);

  start_counting_heap();
  for (int step = 0; step < 3; ++step) {
    fill();
    const Status s = exec.train_step({0.01f, 0.9f, 0.0f});
    CHECK(s.is_ok());
  }
  fill();
  const Status e = exec.eval_step();
  const uint64_t heap_calls = stop_counting_heap();
  CHECK(e.is_ok());

  const XnnAllocStats after = XnnContext::alloc_stats();
  CHECK(heap_calls == 0);
  CHECK(after.heap_allocations == before.heap_allocations);
  CHECK(after.region_allocations > before.region_allocations);  // XNNPACK did allocate, from us
  CHECK(after.live_bytes == 0);
}

TEST_CASE("the heap counter sees allocations from C and C++ and from other threads") {
  start_counting_heap();
  void* p = std::malloc(16);
  std::free(p);
  std::vector<int> v(100);
  std::thread([] { std::vector<char> w(64); }).join();
  CHECK(stop_counting_heap() >= 3);
}

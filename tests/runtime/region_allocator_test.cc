#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "../test_random.h"
#include "aligned_buffer.h"
#include "region_allocator.h"

using namespace edgetrain;

TEST_CASE("the region allocator aligns, reuses freed space and refuses what does not fit") {
  AlignedBuffer buf;
  REQUIRE(buf.allocate(4096, 64));
  RegionAllocator r;
  r.reset(buf.data(), buf.size());
  void* a = r.allocate(100, 16);
  void* b = r.allocate(1000, 64);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  CHECK(reinterpret_cast<uintptr_t>(b) % 64 == 0);
  CHECK(r.block_bytes(a) >= 100);
  CHECK(r.allocate(10, 128) == nullptr);   // alignment beyond the block alignment
  CHECK(r.allocate(4096, 16) == nullptr);  // larger than the region
  r.free(a);
  CHECK(r.allocate(64, 16) == a);  // first fit takes the freed block
  r.free(a);
  r.free(b);
  CHECK(r.live_bytes() == 0);
  // Everything coalesced: one block of the whole region minus its header fits again.
  void* all = r.allocate(4096 - RegionAllocator::kAlignment, 16);
  CHECK(all != nullptr);
  CHECK(r.reallocate(all, 10) == all);
}

TEST_CASE("random allocate/free sequences never hand out overlapping blocks") {
  EDGETRAIN_SEEDED_RNG(rng);
  AlignedBuffer buf;
  REQUIRE(buf.allocate(1 << 16, 64));
  RegionAllocator r;
  r.reset(buf.data(), buf.size());
  struct Block {
    unsigned char* p;
    size_t n;
    unsigned char tag;
    bool intact() const {
      for (size_t j = 0; j < n; ++j) {
        if (p[j] != tag) return false;
      }
      return true;
    }
  };
  std::vector<Block> live;
  for (int i = 0; i < 2000; ++i) {
    if (live.empty() || rng() % 3 != 0) {
      const size_t n = 1 + rng() % 3000;
      auto* p = static_cast<unsigned char*>(r.allocate(n, 64));
      if (p == nullptr) continue;  // full for now
      const auto tag = static_cast<unsigned char>(i);
      std::memset(p, tag, n);
      live.push_back({p, n, tag});
    } else {
      const size_t k = rng() % live.size();
      REQUIRE(live[k].intact());
      r.free(live[k].p);
      live.erase(live.begin() + static_cast<long>(k));
    }
  }
  for (const Block& b : live) {
    REQUIRE(b.intact());
    r.free(b.p);
  }
  CHECK(r.live_bytes() == 0);
}

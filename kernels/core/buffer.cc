// The library's allocation point and its failure injection (see buffer.h). Compiled with the
// baseline flags like the rest of core/, so the allocation path is never an ISA-specific copy.
#include "core/buffer.h"

#include <atomic>

namespace qgemm::detail {
namespace {

// Allocations still to let through before failing (when g_fail > 0), and failures still to
// inject. Both 0: injection off (the fast path reads one atomic).
std::atomic<long> g_skip{0};
std::atomic<long> g_fail{0};
std::atomic<long> g_injected{0};

}  // namespace

void inject_allocation_failures(long skip, long count) {
  g_fail.store(0);
  g_skip.store(skip < 0 ? 0 : skip);
  g_injected.store(0);
  g_fail.store(count < 0 ? 0 : count);
}

long injected_allocation_failures() { return g_injected.load(); }

bool allocation_permitted() {
  if (g_fail.load(std::memory_order_relaxed) <= 0) return true;
  // Injection is on: consume one skip, else one failure.
  long skip = g_skip.load();
  while (skip > 0)
    if (g_skip.compare_exchange_weak(skip, skip - 1)) return true;
  long fail = g_fail.load();
  while (fail > 0) {
    if (g_fail.compare_exchange_weak(fail, fail - 1)) {
      g_injected.fetch_add(1);
      return false;
    }
  }
  return true;
}

void* allocate_aligned(size_t alignment, size_t bytes) {
  if (!allocation_permitted()) return nullptr;
  return std::aligned_alloc(alignment, bytes);
}

}  // namespace qgemm::detail

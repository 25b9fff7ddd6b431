// A growable, 64-byte-aligned byte buffer: the storage of packed weights and of the per-thread
// workspace. It only grows, so a workspace reaches its steady size after the first large call
// and later calls do not allocate.
//
// Every heap allocation of the library goes through allocate_aligned() or
// allocation_permitted() (buffer.cc), so that the tests can make allocations fail on demand
// (inject_allocation_failures below) and check that each entry point then returns
// QGEMM_ERROR_OUT_OF_MEMORY and writes nothing. The hook is always compiled in; it costs one
// relaxed atomic load per allocation, and allocations are rare by design (steady-state calls
// make none). It is reachable only through this internal header, never through qgemm.h.
#ifndef QGEMM_KERNELS_CORE_BUFFER_H
#define QGEMM_KERNELS_CORE_BUFFER_H

#include <cstddef>
#include <cstdlib>
#include <new>

namespace qgemm::detail {

// Test hook: of the next allocations (on any thread), let `skip` succeed, then make `count`
// fail; inject_allocation_failures(0, 0) turns injection off. Returns nothing; the counters are
// process-wide atomics.
void inject_allocation_failures(long skip, long count);
// Allocations that failed by injection since the last inject_allocation_failures() call.
long injected_allocation_failures();

// False when an injected failure is due (the caller must then report out of memory).
bool allocation_permitted();

// std::aligned_alloc(alignment, bytes) unless an injected failure is due; nullptr on failure.
void* allocate_aligned(size_t alignment, size_t bytes);

class aligned_buffer {
 public:
  static constexpr size_t kAlignment = 64;

  aligned_buffer() = default;
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  ~aligned_buffer() { release(); }

  // Makes room for at least `bytes`; returns false (keeping the old contents) on failure.
  bool reserve(size_t bytes) {
    if (bytes <= capacity_) return true;
    const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded < bytes) return false;  // overflow
    void* p = allocate_aligned(kAlignment, rounded);
    if (p == nullptr) return false;
    release();
    data_ = p;
    capacity_ = rounded;
    return true;
  }
  void release() {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  void* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_BUFFER_H

// A growable, 64-byte-aligned byte buffer: the storage of packed weights and of the per-thread
// workspace. It only grows, so a workspace reaches its steady size after the first large call
// and later calls do not allocate.
#ifndef QGEMM_KERNELS_CORE_BUFFER_H
#define QGEMM_KERNELS_CORE_BUFFER_H

#include <cstddef>
#include <cstdlib>
#include <new>

namespace qgemm::detail {

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
    void* p = std::aligned_alloc(kAlignment, rounded);
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

// The packed-weights object behind the opaque qgemm_packed_b of the C API.
//
// Layout of `storage`: the kernel's B panels (ceil(N / NR) panels of kp x NR packed elements,
// see pack_args in kernel.h), then, from the next 64-byte boundary, col_off (N values) and
// neg_zb (N values, or 1 for a per-tensor zero point). Both correction arrays are in the kernel's shifted domain (kernel.h).
// Nothing in it changes after packing, so any number of threads may read it at once.
#ifndef QGEMM_KERNELS_CORE_PACKED_B_H
#define QGEMM_KERNELS_CORE_PACKED_B_H

#include <cstdint>

#include "core/buffer.h"
#include "core/kernel.h"

struct qgemm_packed_b {
  int64_t K = 0, N = 0;
  qgemm_type type = QGEMM_S8;
  qgemm_transpose trans = QGEMM_NO_TRANS;
  bool zero_point_per_column = false;
  const qgemm::detail::gemm_kernel* kernel = nullptr;
  size_t kp = 0;  // K rounded up to the kernel's KR
  qgemm::detail::aligned_buffer storage;
  const void* panels = nullptr;
  const int32_t* neg_zb = nullptr;
  const int32_t* col_off = nullptr;
  size_t bytes = 0;  // bytes of storage in use
};

#endif  // QGEMM_KERNELS_CORE_PACKED_B_H

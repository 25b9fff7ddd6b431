// The blocked GEMM driver (BLIS loops around a registered microkernel). Arguments reaching
// these functions have been validated by the API layer (validate.h).
#ifndef QGEMM_KERNELS_CORE_DRIVER_H
#define QGEMM_KERNELS_CORE_DRIVER_H

#include <cstddef>

#include "core/packed_b.h"
#include "core/parallel.h"

namespace qgemm::detail {

// Bytes the packed form of a K x N B takes for kernel k (0 with `overflow` set when it does
// not fit size_t).
size_t packed_b_bytes(const gemm_kernel& k, size_t K, size_t N, bool* overflow);

// Packs op(B) (K x N) into `out` for kernel k, reusing out.storage when it is large enough.
qgemm_status pack_b(const gemm_kernel& k, size_t K, size_t N, const qgemm_operand& b,
                    qgemm_packed_b& out);

// qgemm_pack_b for kernel k (api.cc): validates, allocates and packs. Internal: the C API names
// a kernel by its ISA level; the tests also run kernels that no level dispatches
// (tests/test_kernels.h).
qgemm_status new_packed_b(const gemm_kernel& k, int64_t K, int64_t N, const qgemm_operand* b,
                          qgemm_packed_b** out);

// C = epilogue(op(A) * B) with a packed B, cut into tasks for `threads` (core/partition.h);
// the default runs on the calling thread.
qgemm_status gemm_packed(size_t M, const qgemm_operand& a, const qgemm_packed_b& b,
                         const qgemm_epilogue& e, void* C, size_t ldc,
                         const thread_plan& threads = thread_plan{});

// The calling thread's packed-B scratch for one-shot GEMMs.
qgemm_packed_b& thread_scratch_packed_b();

void release_thread_workspace();

// Tests: makes every kernel with pack_a_rows (kernel.h) use it for tasks of at most n columns
// (0: never, SIZE_MAX - 1: always), or, with SIZE_MAX, restores each kernel's own bound.
void set_rows_a_max_n_for_tests(size_t n);

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_DRIVER_H

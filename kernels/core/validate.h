// Argument checks of the public GEMM entry points (SEMANTICS.md §5). Each returns QGEMM_OK or
// records a message naming the argument and returns its status. They read only the arguments
// (and the small per-row/per-column parameter arrays), never the matrices, and write nothing.
#ifndef QGEMM_KERNELS_CORE_VALIDATE_H
#define QGEMM_KERNELS_CORE_VALIDATE_H

#include "qgemm/qgemm.h"

namespace qgemm::detail {

qgemm_status validate_sizes(int64_t M, int64_t N, int64_t K);

// `which` is 'A' or 'B'. For A, (rows, cols) = (M, K) of op(A); for B, (K, N) of op(B).
qgemm_status validate_operand(char which, const qgemm_operand* x, int64_t rows, int64_t cols);

qgemm_status validate_epilogue(const qgemm_epilogue* e, int64_t M, int64_t N);

qgemm_status validate_output(const void* C, int64_t ldc, int64_t M, int64_t N,
                             const qgemm_epilogue& e);

// A context (NULL is the default one): num_threads in [0, 4096], min_macs_per_task >= 0.
qgemm_status validate_context(const qgemm_context* ctx);

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_VALIDATE_H

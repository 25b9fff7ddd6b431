// The scalar reference: the contract (SEMANTICS.md) written as plainly as possible, with loops
// and int64 arithmetic. It is the oracle of every test and benchmark check and is never linked
// into the production path (it lives in its own library, qgemm_reference).
//
// It does not validate: callers pass arguments the public API would accept.
#ifndef QGEMM_KERNELS_REF_REFERENCE_H
#define QGEMM_KERNELS_REF_REFERENCE_H

#include <cstdint>

#include "qgemm/qgemm.h"

namespace qgemm::ref {

// acc[m][n] (SEMANTICS.md §2) as int32, for one element.
int32_t accumulator(int64_t m, int64_t n, int64_t K, const qgemm_operand& a,
                    const qgemm_operand& b);

// C = epilogue(op(A) op(B)), M x N, ldc in elements of the output type.
void gemm(int64_t M, int64_t N, int64_t K, const qgemm_operand& a, const qgemm_operand& b,
          const qgemm_epilogue& e, void* C, int64_t ldc);

// TensorFlow Lite's fixed-point helpers, with the contract's definition of the left-shift wrap.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
int32_t rounding_divide_by_pot(int32_t x, int exponent);
int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);

}  // namespace qgemm::ref

#endif  // QGEMM_KERNELS_REF_REFERENCE_H

// The |a| + sign rows of A of the vpmaddubsw kernels' small-M paths (ukernel_6x16c4__avx2,
// ukernel_12x32c4__avx512bw; pack/split_abs_sign.h has the format): the correction each row's
// sums need. AVX2 code; the AVX-512BW file, compiled with -mavx512bw, includes it as well.
#ifndef QGEMM_KERNELS_X86_ABS_SIGN_AVX2_H
#define QGEMM_KERNELS_X86_ABS_SIGN_AVX2_H

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

// The sum of |a| over the negative a of one contiguous split row of `groups` K-groups (each
// 8 bytes: the 4 |a|, then their 4 sign bytes), modulo 2^32 as every sum here.
inline int32_t row_negative_abs_sum(const uint8_t* row, size_t groups) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t g = 0;
  for (; g + 4 <= groups; g += 4) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8 * g));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v, _mm256_srli_epi64(v, 32)),
                                                zero));
  }
  alignas(32) uint64_t lane[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lane), acc);
  uint32_t sum = static_cast<uint32_t>(lane[0] + lane[1] + lane[2] + lane[3]);
  for (; g < groups; ++g)
    for (size_t i = 0; i < 4; ++i) sum += row[8 * g + i] & row[8 * g + 4 + i];
  return static_cast<int32_t>(sum);
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_X86_ABS_SIGN_AVX2_H

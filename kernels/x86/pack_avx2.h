// Packing A for the AVX2 kernels in K-groups whose one row fills exactly 4 bytes
// (layout_k_groups<MR, KR>): 4 k as s8 for ukernel_6x16c4__avx2 (vpmaddubsw; the kernel then
// splits them into |a| and sign bytes), or 2 k widened to int16 for ukernel_6x16c2__avx2
// (vpmaddwd, the exact int16 kernel built only into the tests and benchmarks as the byte
// kernel's baseline). Included only by files compiled with -mavx2.
//
// When A is k-contiguous (op(A) = A, the common case), 8 such units of a row come from 32 (s8)
// or 16 (int16) consecutive source bytes with one load and one xor (0x80, u8 -> s8) or widen
// (vpmovzxbw / vpmovsxbw), and go to the panel as 8 int32 stores. The generic packer walks the
// panel byte by byte; it took ~6% of sq1024 and most of tiny64. A transposed A still goes to the
// generic packer; both produce the same panels and sums.
#ifndef QGEMM_KERNELS_X86_PACK_AVX2_H
#define QGEMM_KERNELS_X86_PACK_AVX2_H

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/kernel.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

template <size_t MR, packed_elem E = packed_elem::s8>
void pack_a_avx2(const pack_args& p) {
  static_assert(E == packed_elem::s8 || E == packed_elem::s16, "int8 quads or int16 pairs");
  using D = packed_type_t<E>;
  constexpr size_t kKR = E == packed_elem::s16 ? 2 : 4;  // k per 4-byte unit
  constexpr size_t kChunk = 8 * kKR;                      // source bytes per 8 units
  using layout = layout_k_groups<MR, kKR>;
  if (!p.k_contiguous) return pack_panels<MR, E, layout>(p);

  const size_t kp = round_up(p.k, kKR), k_vec = p.k / kChunk * kChunk;
  const bool src_signed = p.type == QGEMM_S8;
  const auto* src = static_cast<const uint8_t*>(p.src);
  auto* dst = static_cast<D*>(p.dst);
  const __m256i ones16 = _mm256_set1_epi16(1);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i flip = _mm256_set1_epi8(src_signed ? 0 : static_cast<char>(0x80));
  for (size_t base = 0; base < p.rows; base += MR) {
    const size_t rn = std::min(MR, p.rows - base);
    D* panel = dst + (base / MR) * kp * MR;
    for (size_t r = 0; r < MR; ++r) {
      D* out = panel + r * kKR;  // unit g of row r at out + g * MR * kKR
      if (r >= rn) {  // padding row
        for (size_t g = 0; g < kp / kKR; ++g) std::memset(out + g * MR * kKR, 0, 4);
        continue;
      }
      const uint8_t* row = src + (p.r0 + base + r) * p.ld;
      __m256i sum = _mm256_setzero_si256();  // int32 lanes, wrapping
      for (size_t k = 0; k < k_vec; k += kChunk) {
        __m256i units;
        if constexpr (E == packed_elem::s16) {
          const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k));
          units = src_signed ? _mm256_cvtepi8_epi16(bytes) : _mm256_cvtepu8_epi16(bytes);
          sum = _mm256_add_epi32(sum, _mm256_madd_epi16(units, ones16));
        } else {
          units = _mm256_xor_si256(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + k)), flip);
          // pairs of int8 summed into int16 (|sum| <= 256, no saturation), then into int32
          sum = _mm256_add_epi32(sum,
                                 _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, units), ones16));
        }
        alignas(32) int32_t unit[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(unit), units);
        D* o = out + (k / kKR) * MR * kKR;
#pragma GCC unroll 8
        for (size_t j = 0; j < 8; ++j) std::memcpy(o + j * MR * kKR, &unit[j], 4);
      }
      alignas(32) int32_t lanes[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
      uint32_t total = 0;
      for (int32_t v : lanes) total += static_cast<uint32_t>(v);
      for (size_t k = k_vec; k < kp; ++k) {
        const D v = k < p.k ? convert_element<E>(row[k], src_signed) : D{0};
        out[(k / kKR) * MR * kKR + k % kKR] = v;
        total += static_cast<uint32_t>(static_cast<int32_t>(v));
      }
      p.sums[base + r] = static_cast<int32_t>(total);
    }
  }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_X86_PACK_AVX2_H

// The generic panel packer: any panel width R, any K-group KR, any packed element. Kernels whose
// layout is the plain [k-group][r][kr] one (see pack_args in core/kernel.h) instantiate it; a
// kernel with a cleverer layout writes its own packer next to its microkernel.
#ifndef QGEMM_KERNELS_PACK_PACK_PANELS_H
#define QGEMM_KERNELS_PACK_PACK_PANELS_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/kernel.h"

namespace qgemm::detail {

template <packed_elem E>
using packed_type_t = std::conditional_t<
    E == packed_elem::s16, int16_t, std::conditional_t<E == packed_elem::s8, int8_t, uint8_t>>;

// Converts a raw source byte into the packed element. For 8-bit panels whose signedness differs
// from the source, x ^ 0x80 adds or subtracts 128 (see zero_point_shift).
template <packed_elem E>
inline packed_type_t<E> convert_element(uint8_t raw, bool src_signed) {
  if constexpr (E == packed_elem::s16) {
    return src_signed ? int16_t{static_cast<int8_t>(raw)} : int16_t{raw};
  } else {
    const bool dst_signed = E == packed_elem::s8;
    return static_cast<packed_type_t<E>>(dst_signed == src_signed ? raw : raw ^ 0x80);
  }
}

inline constexpr size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

template <size_t R, size_t KR, packed_elem E>
void pack_panels(const pack_args& p) {
  using D = packed_type_t<E>;
  const size_t kp = round_up(p.k, KR);
  const bool src_signed = p.type == QGEMM_S8;
  const auto* src = static_cast<const uint8_t*>(p.src);
  auto* dst = static_cast<D*>(p.dst);

  for (size_t base = 0; base < p.rows; base += R) {
    const size_t rn = std::min(R, p.rows - base);
    D* panel = dst + (base / R) * kp * R;
    uint32_t sums[R] = {};
    // index of element (r, k) inside the panel
    auto at = [&](size_t r, size_t k) -> D& { return panel[(k / KR) * R * KR + r * KR + k % KR]; };

    if (p.k_contiguous) {
      for (size_t r = 0; r < rn; ++r) {
        const uint8_t* row = src + (p.r0 + base + r) * p.ld;
        for (size_t k = 0; k < p.k; ++k) {
          const D v = convert_element<E>(row[k], src_signed);
          at(r, k) = v;
          sums[r] += static_cast<uint32_t>(static_cast<int32_t>(v));
        }
      }
    } else {
      for (size_t k = 0; k < p.k; ++k) {
        const uint8_t* line = src + k * p.ld + p.r0 + base;
        for (size_t r = 0; r < rn; ++r) {
          const D v = convert_element<E>(line[r], src_signed);
          at(r, k) = v;
          sums[r] += static_cast<uint32_t>(static_cast<int32_t>(v));
        }
      }
    }
    // Padding: rows past the matrix, and k past the depth, hold zeros.
    for (size_t r = rn; r < R; ++r)
      for (size_t k = 0; k < p.k; ++k) at(r, k) = 0;
    for (size_t k = p.k; k < kp; ++k)
      for (size_t r = 0; r < R; ++r) at(r, k) = 0;

    for (size_t r = 0; r < rn; ++r) p.sums[base + r] = static_cast<int32_t>(sums[r]);
  }
}

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_PACK_PACK_PANELS_H

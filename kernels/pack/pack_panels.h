// The generic panel packer: any panel width R, any K-group KR, any packed element, and one of
// two layouts of the elements inside a panel. Kernels whose layout is one of these instantiate
// it; a kernel with a cleverer layout writes its own packer next to its microkernel.
//
// What every layout keeps (the driver relies on it, see pack_args in core/kernel.h): a panel
// holds kp * R elements (kp = K rounded up to KR, zeros beyond K and beyond the last row), and
// the part of the panel for the K block starting at k0 (a multiple of the kernel's KC) begins
// at element k0 * R.
#ifndef QGEMM_KERNELS_PACK_PACK_PANELS_H
#define QGEMM_KERNELS_PACK_PACK_PANELS_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

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

// Layout 1, K-groups: panel[k / KR][r][k % KR]. Each step of the K loop reads KR consecutive k
// of all R rows at once: the natural layout of dot-product instructions (vpdpbusd: KR = 4).
template <size_t R, size_t KR>
struct layout_k_groups {
  static constexpr size_t kr = KR;
  static size_t index(size_t r, size_t k, size_t /*kp*/) { return (k / KR) * R * KR + r * KR + k % KR; }
};

// Layout 2, K-blocks of rows: within each K block of KC (the last one shorter), row r's k are
// contiguous: panel[k0 * R + r * len + (k - k0)] with k0 = k - k % KC, len = min(KC, kp - k0).
// The layout of kernels that reduce along k, one row against one column.
template <size_t R, size_t KR, size_t KC>
struct layout_k_blocks {
  static_assert(KC % KR == 0, "K blocks hold whole K-groups");
  static constexpr size_t kr = KR;
  static size_t index(size_t r, size_t k, size_t kp) {
    const size_t k0 = k - k % KC;
    return k0 * R + r * std::min(KC, kp - k0) + (k - k0);
  }
};

template <size_t R, packed_elem E, class Layout>
void pack_panels(const pack_args& p) {
  using D = packed_type_t<E>;
  const size_t kp = round_up(p.k, Layout::kr);
  const bool src_signed = p.type == QGEMM_S8;
  const auto* src = static_cast<const uint8_t*>(p.src);
  auto* dst = static_cast<D*>(p.dst);

  for (size_t base = 0; base < p.rows; base += R) {
    const size_t rn = std::min(R, p.rows - base);
    D* panel = dst + (base / R) * kp * R;
    uint32_t sums[R] = {};
    auto at = [&](size_t r, size_t k) -> D& { return panel[Layout::index(r, k, kp)]; };

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

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_PACK_PACK_PANELS_H

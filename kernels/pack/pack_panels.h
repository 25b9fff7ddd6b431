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
#include <cstring>
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

// A layout is described by its runs: the k of one row that lie next to each other in the
// panel. run(k, kp) gives, for the run that starts at k, the index of element (0, k), the
// distance between rows, and the run's length.
struct panel_run {
  size_t offset, row_stride, length;
};

// Layout 1, K-groups: panel[k / KR][r][k % KR]. Each step of the K loop reads KR consecutive k
// of all R rows at once: the natural layout of dot-product instructions (vpdpbusd: KR = 4).
template <size_t R, size_t KR>
struct layout_k_groups {
  static constexpr size_t kr = KR;
  static constexpr bool groups_of_words = KR == 4;  // a K-group of bytes is one 32-bit word
  static panel_run run(size_t k, size_t /*kp*/) { return {k * R, KR, KR}; }  // k % KR == 0
};

// Layout 2, K-blocks of rows: within each K block of KC (the last one shorter), row r's k are
// contiguous: panel[k0 * R + r * len + (k - k0)] with k0 = k - k % KC, len = min(KC, kp - k0).
// The layout of kernels that reduce along k, one row against one column.
template <size_t R, size_t KR, size_t KC>
struct layout_k_blocks {
  static_assert(KC % KR == 0, "K blocks hold whole K-groups");
  static constexpr size_t kr = KR;
  static constexpr bool groups_of_words = false;
  static panel_run run(size_t k, size_t kp) {  // k % KC == 0
    const size_t len = std::min(KC, kp - k);
    return {k * R, len, len};
  }
};

// Packs p.rows rows (of op(A)) or columns (of op(B)) into panels of R, run by run, so that no
// index is recomputed per element: per call this is on the GEMM's critical path for A.
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
    if (p.k_contiguous) {
      // Row by row: the sum is one vectorisable pass over the source row, and each run is a
      // short copy with the element conversion.
      for (size_t r = 0; r < R; ++r) {
        // A row past the matrix is all padding. (Not `in == nullptr`: with K = 0 a real row may
        // have a NULL source.)
        const bool real = r < rn;
        const uint8_t* in = real && p.k > 0 ? src + (p.r0 + base + r) * p.ld : nullptr;
        if (real) {
          uint32_t sum = 0;
          for (size_t k = 0; k < p.k; ++k)
            sum += static_cast<uint32_t>(static_cast<int32_t>(convert_element<E>(in[k], src_signed)));
          p.sums[base + r] = static_cast<int32_t>(sum);
        }
        if constexpr (sizeof(D) == 1 && Layout::groups_of_words) {
          // 8-bit elements in K-groups of 4: whole 32-bit words, the shift by x ^ 0x80 applied
          // to four bytes at once. The hot case: A of the dot-product kernels, every call.
          const uint32_t flip = convert_element<E>(0, src_signed) == 0 ? 0 : 0x80808080u;
          D* out = panel + r * 4;
          const size_t full = real ? p.k / 4 : 0;
          for (size_t g = 0; g < full; ++g, out += R * 4) {
            uint32_t word;
            std::memcpy(&word, in + 4 * g, 4);
            word ^= flip;
            std::memcpy(out, &word, 4);
          }
          for (size_t k = full * 4; k < kp; k += 4, out += R * 4) {
            if (!real) {  // a row past the matrix: zero words
              std::memset(out, 0, 4);
              continue;
            }
            for (size_t j = 0; j < 4; ++j)
              out[j] = k + j < p.k ? convert_element<E>(in[k + j], src_signed) : D{0};
          }
          continue;
        }
        for (size_t k0 = 0; k0 < kp;) {
          const panel_run run = Layout::run(k0, kp);
          D* out = panel + run.offset + r * run.row_stride;
          const size_t valid = real && k0 < p.k ? std::min(run.length, p.k - k0) : 0;
          for (size_t k = 0; k < valid; ++k) out[k] = convert_element<E>(in[k0 + k], src_signed);
          for (size_t k = valid; k < run.length; ++k) out[k] = 0;  // past the depth or the rows
          k0 += run.length;
        }
      }
      continue;
    }
    // k-major source (A^T, or B not transposed): walk the runs, rows inside.
    uint32_t sums[R] = {};
    for (size_t k0 = 0; k0 < kp;) {
      const panel_run run = Layout::run(k0, kp);
      const size_t valid = k0 < p.k ? std::min(run.length, p.k - k0) : 0;
      for (size_t r = 0; r < R; ++r) {
        D* out = panel + run.offset + r * run.row_stride;
        size_t k = 0;
        if (r < rn) {
          const uint8_t* in = src + k0 * p.ld + p.r0 + base + r;
          for (; k < valid; ++k) {
            out[k] = convert_element<E>(in[k * p.ld], src_signed);
            sums[r] += static_cast<uint32_t>(static_cast<int32_t>(out[k]));
          }
        }
        for (; k < run.length; ++k) out[k] = 0;
      }
      k0 += run.length;
    }
    for (size_t r = 0; r < rn; ++r) p.sums[base + r] = static_cast<int32_t>(sums[r]);
  }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_PACK_PACK_PANELS_H

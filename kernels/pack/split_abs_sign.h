// The s8_abs_sign A panels of the vpmaddubsw kernels (ukernel_12x32c4__avx512bw,
// ukernel_6x16c4__avx2): A is first packed as s8 in K-groups of 4 (one 32-bit word per row and
// K-group) by an s8 packer, then each word x is split in place into two, |x| then the sign bytes
// (0x00 / 0xFF): word i moves to bytes [8i, 8i + 8). The walk and its scalar form are here; the
// kernels pass their vector form of a block of W words.
//
// In place: the walk goes downwards, so every word below the current block is still unread.
// A block of W words at word i (i a multiple of W) reads bytes [4i, 4i + 4W) and writes
// [8i, 8i + 8W); for i >= W, 8i >= 4i + 4W, so it writes nothing below its own block that is
// still to be read, and the block at i = 0 is read before it is written.
#ifndef QGEMM_KERNELS_PACK_SPLIT_ABS_SIGN_H
#define QGEMM_KERNELS_PACK_SPLIT_ABS_SIGN_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

// Splits word i of the panel at d: a SWAR form, 4 bytes at once.
inline void split_abs_sign_word(uint8_t* d, size_t i) {
  uint32_t x;
  std::memcpy(&x, d + 4 * i, 4);
  const uint32_t neg = (x >> 7) & 0x01010101u;  // 1 in each negative byte
  const uint32_t sign = neg * 0xFFu;             // 0xFF in each negative byte
  const uint32_t abs = (x ^ sign) + neg;         // per byte; no carry (a byte is <= 0x80)
  std::memcpy(d + 8 * i, &abs, 4);
  std::memcpy(d + 8 * i + 4, &sign, 4);
}

// Splits the `words` words at d: the last words % W one by one, then blocks of W words with
// split_block(d, i), which must read words [i, i + W) before writing bytes [8i, 8i + 8W).
template <size_t W, class SplitBlock>
inline void split_abs_sign_in_place(uint8_t* d, size_t words, SplitBlock split_block) {
  size_t i = words;
  for (; i % W != 0; --i) split_abs_sign_word(d, i - 1);
  while (i > 0) {
    i -= W;
    split_block(d, i);
  }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_PACK_SPLIT_ABS_SIGN_H

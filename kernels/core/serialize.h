// Packed weights as bytes: the blob format of qgemm_packed_b_serialize / qgemm_packed_b_load
// (docs/api.md, "Packed weights as bytes", describes it for users).
//
// Why this shape. A packed B is only meaningful to the one microkernel it was packed for (its
// panel layout, tile and packed element types), and the original B is gone, so a blob cannot
// be repacked for another kernel: it names its kernel exactly (name, ISA level, tile, packed
// element types), and a loader that cannot run that kernel refuses it. A blob comes from a file
// the runtime does not control, so nothing in it is trusted: every size is checked against the
// blob's length before use, a checksum over the header and payload catches corruption, and the
// payload's values are range-checked where a kernel's arithmetic depends on their range.
//
// Layout (every integer little-endian; offsets in bytes):
//     0  magic "QGEMMPKB" (8)          8  format version u32 (1)    12  header bytes u32 (128)
//    16  library version: major, minor, patch u16, then u16 0
//    24  isa u32    28  mr u32    32  nr u32    36  kr u32
//    40  a_elem u8  41  b_elem u8  42  type u8 (qgemm_type)  43  trans u8  44  zero point
//        per column u8 (0/1)  45..47 zero
//    48  K i64      56  N i64
//    64  kernel name, 48 bytes: NUL-terminated, zero after the NUL
//   112  payload bytes u64        120  checksum u64: FNV-1a 64 of bytes 0..119, then the payload
//   128  payload: the panels (ceil(N / NR) * kp * NR packed elements, as the kernel stores them),
//        col_off (N x i32), neg_zb (N x i32 per column, else 1 x i32)
//
// FNV-1a's step h = (h ^ byte) * P is a bijection of h for each byte (P is odd), so two inputs
// that differ in one byte always hash differently: any single corrupted byte is caught.
#ifndef QGEMM_KERNELS_CORE_SERIALIZE_H
#define QGEMM_KERNELS_CORE_SERIALIZE_H

#include <cstddef>
#include <cstdint>

#include "core/kernel.h"

namespace qgemm::detail {

constexpr char kBlobMagic[8] = {'Q', 'G', 'E', 'M', 'M', 'P', 'K', 'B'};
constexpr uint32_t kBlobFormatVersion = 1;
constexpr size_t kBlobHeaderBytes = 128;
constexpr size_t kBlobKernelNameBytes = 48;
constexpr size_t kBlobIsaOffset = 24;
constexpr size_t kBlobKernelNameOffset = 64;
constexpr size_t kBlobPayloadBytesOffset = 112;
constexpr size_t kBlobChecksumOffset = 120;

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

// FNV-1a 64 of `bytes`, continuing from `hash`.
uint64_t fnv1a64(const void* bytes, size_t size, uint64_t hash = kFnvOffsetBasis);

// The checksum a blob of `size` bytes (size >= kBlobHeaderBytes) should carry: FNV-1a 64 of its
// first 120 bytes and its payload (everything after the header).
uint64_t blob_checksum(const void* blob, size_t size);

// qgemm_packed_b_load, with one more kernel it may accept besides the registry's: the tests'
// and fuzzers' test-only kernels (tests/test_kernels.h), which no ISA level names. `extra` is
// used when the blob names exactly it (name, level, tile, element types); may be null.
qgemm_status load_packed_b(const void* data, size_t size, const gemm_kernel* extra,
                           qgemm_packed_b** out);

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_SERIALIZE_H

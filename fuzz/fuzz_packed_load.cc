// fuzz_packed_load: qgemm_packed_b_load on arbitrary bytes.
//
// The first byte picks how the rest is used:
//   bit 0 clear: the rest IS the blob (raw bytes);
//   bit 0 set:   the rest decodes a B (kernel, K, N, type, transpose, zero points, data), which
//                is packed and serialized, then damaged by a few (offset, xor) edits;
//   bit 1:       recompute the checksum (and bit 2: the payload-size field) after the edits, so
//                that the checks behind the checksum are reached too.
// Whatever the bytes: no crash, no UB, no read outside the blob (ASan; the blob is copied into
// an exact-size buffer). When a blob is accepted: a GEMM with it runs, is deterministic, and the
// loaded B serializes back to exactly the bytes that were loaded (but the writer's version). An undamaged blob must load,
// and its GEMM equal the reference's.
#include <cstring>
#include <vector>

#include "core/driver.h"
#include "core/serialize.h"
#include "fuzz_input.h"
#include "qgemm/qgemm.h"
#include "ref/reference.h"
#include "test_kernels.h"

using qgemm_fuzz::input;
using qgemm_fuzz::xorshift;

namespace {

const qgemm::detail::gemm_kernel* test_only_kernel() {
  for (const auto& t : qgemm::detail::test_kernels())
    if (t.runnable) return t.kernel;
  return nullptr;
}

void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Runs a GEMM (M x K times the loaded K x N) twice and checks both agree; returns C.
std::vector<int32_t> run(const qgemm_packed_b* packed, xorshift& rng, std::vector<uint8_t>& a_data,
                         int64_t M) {
  qgemm_packed_b_info info{};
  QGEMM_FUZZ_CHECK(qgemm_packed_b_get_info(packed, &info) == QGEMM_OK, "get_info");
  const int64_t K = info.K, N = info.N;
  // With N = 0 the blob may claim any K up to 2^40 (its payload is one zero point): then A is a
  // single byte standing for M x K, which the library must not read (ASan would see it).
  static const uint8_t dummy = 0;
  if (N > 0) {
    a_data.resize(static_cast<size_t>(M * K));
    for (auto& v : a_data) v = static_cast<uint8_t>(rng.next());
  }
  const uint8_t* a_ptr = N == 0 ? &dummy : (a_data.empty() ? nullptr : a_data.data());
  const qgemm_operand a{QGEMM_U8, QGEMM_NO_TRANS, a_ptr, K, 3, nullptr};
  const qgemm_epilogue e = qgemm_epilogue_s32(nullptr);
  std::vector<int32_t> c1(static_cast<size_t>(M * N) + 1, 0x7E7E7E7E), c2 = c1;
  qgemm_status s = qgemm_gemm_packed(M, N, K, &a, info.type, packed, &e, c1.data(), N);
  QGEMM_FUZZ_CHECK(s == QGEMM_OK, "GEMM with a loaded B: %s", qgemm_last_error());
  s = qgemm_gemm_packed(M, N, K, &a, info.type, packed, &e, c2.data(), N);
  QGEMM_FUZZ_CHECK(s == QGEMM_OK && c1 == c2, "GEMM with a loaded B is not deterministic");
  QGEMM_FUZZ_CHECK(c1.back() == 0x7E7E7E7E, "GEMM wrote past C");
  return c1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  input in(data, size);
  const uint8_t mode = in.u8();
  std::vector<uint8_t> blob;
  bool pristine = false;
  std::vector<uint8_t> b_data;
  std::vector<int32_t> zb_store;
  qgemm_operand b{};
  int64_t K = 0, N = 0;
  const qgemm::detail::gemm_kernel* extra = test_only_kernel();

  if (!(mode & 1)) {
    blob.assign(in.rest(), in.rest() + in.remaining());
  } else {
    // A real blob of a kernel this machine runs.
    std::vector<qgemm_isa> levels;
    for (int i = 0; i < QGEMM_ISA_COUNT; ++i)
      if (qgemm_isa_available(static_cast<qgemm_isa>(i))) levels.push_back(static_cast<qgemm_isa>(i));
    const size_t pick = in.u8() % (levels.size() + (extra ? 1 : 0));
    K = in.in(0, 70);
    N = in.in(0, 70);
    const uint8_t f = in.u8();
    b.type = f & 1 ? QGEMM_U8 : QGEMM_S8;
    b.trans = f & 2 ? QGEMM_TRANS : QGEMM_NO_TRANS;
    const int32_t lo = b.type == QGEMM_U8 ? 0 : -128;
    b.zero_point = lo + in.u8();
    zb_store.assign(static_cast<size_t>(N) + 1, 0);
    if (f & 4) {
      for (auto& z : zb_store) z = lo + in.u8();
      b.zero_points = zb_store.data();
    }
    b.ld = b.trans == QGEMM_TRANS ? K : N;
    b_data.resize(static_cast<size_t>(K * N));
    xorshift rng(in.u32());
    for (auto& v : b_data) v = static_cast<uint8_t>(rng.next());
    b.data = b_data.empty() ? nullptr : b_data.data();
    qgemm_packed_b* packed = nullptr;
    const qgemm_status s = pick < levels.size()
                               ? qgemm_pack_b_for_isa(levels[pick], K, N, &b, &packed)
                               : qgemm::detail::new_packed_b(*extra, K, N, &b, &packed);
    QGEMM_FUZZ_CHECK(s == QGEMM_OK, "pack: %s", qgemm_last_error());
    size_t bytes = 0;
    QGEMM_FUZZ_CHECK(qgemm_packed_b_serialized_size(packed, &bytes) == QGEMM_OK, "size");
    blob.resize(bytes);
    QGEMM_FUZZ_CHECK(qgemm_packed_b_serialize(packed, blob.data(), bytes, nullptr) == QGEMM_OK, "serialize");
    qgemm_packed_b_destroy(packed);
    // Damage: up to 4 edits, and maybe a new length.
    const int edits = in.u8() % 5;
    pristine = edits == 0;
    for (int i = 0; i < edits && !blob.empty(); ++i) {
      const size_t at = in.u16() % blob.size();
      const uint8_t x = in.u8();
      blob[at] ^= x;
      pristine = pristine && x == 0;
    }
    if (mode & 8) {
      const size_t len = in.u16() % (blob.size() + 64);
      pristine = pristine && len == blob.size();
      blob.resize(len, in.u8());
    }
  }
  if ((mode & 4) && blob.size() >= qgemm::detail::kBlobHeaderBytes)
    put_u64(blob, qgemm::detail::kBlobPayloadBytesOffset, blob.size() - qgemm::detail::kBlobHeaderBytes);
  if ((mode & 2) && blob.size() >= qgemm::detail::kBlobHeaderBytes)
    put_u64(blob, qgemm::detail::kBlobChecksumOffset, qgemm::detail::blob_checksum(blob.data(), blob.size()));

  // An exact-size heap copy: a read past its end is an ASan report.
  std::vector<uint8_t> exact(blob);
  const uint8_t empty = 0;
  const void* p = exact.empty() ? &empty : exact.data();
  qgemm_packed_b* loaded = reinterpret_cast<qgemm_packed_b*>(uintptr_t{0x5EB7});
  qgemm_status s = qgemm::detail::load_packed_b(p, exact.size(), extra, &loaded);
  if (s != QGEMM_OK) {
    QGEMM_FUZZ_CHECK(loaded == reinterpret_cast<qgemm_packed_b*>(uintptr_t{0x5EB7}),
                     "a rejected load wrote *out");
    QGEMM_FUZZ_CHECK(!pristine, "an undamaged blob was rejected: %s", qgemm_last_error());
    QGEMM_FUZZ_CHECK(qgemm_last_error()[0] != '\0', "rejected without a message");
    // The public loader rejects it too (it knows fewer kernels, never more).
    qgemm_packed_b* again = nullptr;
    QGEMM_FUZZ_CHECK(qgemm_packed_b_load(p, exact.size(), &again) != QGEMM_OK,
                     "the public loader accepted what the internal one refused");
    return 0;
  }

  // Accepted: the bytes round-trip exactly, and a GEMM runs.
  size_t bytes = 0;
  QGEMM_FUZZ_CHECK(qgemm_packed_b_serialized_size(loaded, &bytes) == QGEMM_OK && bytes == exact.size(),
                   "a loaded blob of %zu bytes serializes to %zu", exact.size(), bytes);
  std::vector<uint8_t> again(bytes);
  QGEMM_FUZZ_CHECK(qgemm_packed_b_serialize(loaded, again.data(), bytes, nullptr) == QGEMM_OK,
                   "serialize a loaded blob: %s", qgemm_last_error());
  // The writer's library version (bytes 16..21) is informational and not checked on load: the
  // re-serialized blob carries this library's. Everything else must come back byte for byte.
  std::memcpy(again.data() + 16, exact.data() + 16, 6);
  put_u64(again, qgemm::detail::kBlobChecksumOffset,
          qgemm::detail::blob_checksum(again.data(), again.size()));
  QGEMM_FUZZ_CHECK(again == exact, "a loaded blob does not serialize back to the same bytes");
  xorshift rng(size);
  std::vector<uint8_t> a_data;
  const int64_t M = 1 + static_cast<int64_t>(size % 20);
  const std::vector<int32_t> c = run(loaded, rng, a_data, M);
  if (pristine) {
    // The blob is the B we packed: the product must be the reference's.
    const qgemm_operand a{QGEMM_U8, QGEMM_NO_TRANS, a_data.empty() ? nullptr : a_data.data(), K, 3, nullptr};
    const qgemm_epilogue e = qgemm_epilogue_s32(nullptr);
    std::vector<int32_t> want(c.size(), 0x7E7E7E7E);
    if (M > 0 && N > 0) qgemm::ref::gemm(M, N, K, a, b, e, want.data(), N);
    QGEMM_FUZZ_CHECK(c == want, "GEMM with an undamaged loaded blob differs from the reference");
  }
  qgemm_packed_b_destroy(loaded);
  return 0;
}

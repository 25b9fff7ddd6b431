// qgemm_packed_b_serialized_size, qgemm_packed_b_serialize and qgemm_packed_b_load: the blob
// format is described in serialize.h. Loading trusts nothing: sizes are checked against the
// blob's length before anything is read at an offset they give, the checksum before any field
// is interpreted, and then every field and every payload value whose range a kernel relies on.
#include "core/serialize.h"

#include <cstring>
#include <new>

#include "core/buffer.h"
#include "core/dispatch.h"
#include "core/driver.h"
#include "core/error.h"
#include "pack/pack_panels.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the packed-B blob stores panels in host order, which must be little-endian"
#endif

#ifndef QGEMM_VERSION_MAJOR
#define QGEMM_VERSION_MAJOR 0
#define QGEMM_VERSION_MINOR 0
#define QGEMM_VERSION_PATCH 0
#endif

namespace qgemm::detail {
namespace {

void put_u16(unsigned char* p, uint16_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
}
void put_u32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint16_t get_u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t get_u32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

const char* elem_name(unsigned e) {
  switch (e) {
    case static_cast<unsigned>(packed_elem::u8): return "u8";
    case static_cast<unsigned>(packed_elem::s8): return "s8";
    case static_cast<unsigned>(packed_elem::s16): return "s16";
    case static_cast<unsigned>(packed_elem::s8_abs_sign): return "s8_abs_sign";
  }
  return "?";
}

// Bytes of each part of the payload of a K x N B packed for k (false on overflow).
struct payload_layout {
  size_t panels, col_off, neg_zb, total;
};
bool payload_of(const gemm_kernel& k, size_t K, size_t N, bool per_column, payload_layout* out) {
  bool overflow = false;
  packed_b_bytes(k, K, N, &overflow);  // bounds every product below
  if (overflow) return false;
  out->panels = round_up(N, k.nr) * round_up(K, k.kr) * packed_elem_bytes(k.b_elem);
  out->col_off = N * sizeof(int32_t);
  out->neg_zb = (per_column ? N : 1) * sizeof(int32_t);
  return !__builtin_add_overflow(out->panels, out->col_off, &out->total) &&
         !__builtin_add_overflow(out->total, out->neg_zb, &out->total);
}

// What a blob's header says, decoded (not yet validated beyond the checks of load_packed_b).
struct blob_header {
  uint32_t isa, mr, nr, kr;
  unsigned a_elem, b_elem, type, trans, per_column;
  int64_t K, N;
  char name[kBlobKernelNameBytes];
};

bool same_kernel(const gemm_kernel& k, const blob_header& h) {
  return std::strcmp(k.name, h.name) == 0 && static_cast<uint32_t>(k.isa) == h.isa &&
         k.mr == h.mr && k.nr == h.nr && k.kr == h.kr &&
         static_cast<unsigned>(k.a_elem) == h.a_elem && static_cast<unsigned>(k.b_elem) == h.b_elem;
}

const char* kNotRepackable =
    "a packed B cannot be repacked for another kernel (the blob holds no original B): pack B "
    "again from its source on this machine";

// The kernel a blob was packed for, if this library can run it here.
qgemm_status resolve_kernel(const blob_header& h, const gemm_kernel* extra,
                            const gemm_kernel** out) {
  if (extra != nullptr && same_kernel(*extra, h)) {
    *out = extra;
    return QGEMM_OK;
  }
  const auto isa = static_cast<qgemm_isa>(h.isa);
  const char* best = qgemm_isa_name(qgemm_best_isa());
  const gemm_kernel* k = kernel_for_isa(isa);
  if (k == nullptr)
    return fail(QGEMM_ERROR_UNSUPPORTED_ISA,
                "packed-B blob was packed for %s (ISA level %s), which is not built into this "
                "qgemm (best level here: %s); %s",
                h.name, qgemm_isa_name(isa), best, kNotRepackable);
  if (!qgemm_isa_available(isa))
    return fail(QGEMM_ERROR_UNSUPPORTED_ISA,
                "packed-B blob was packed for %s (ISA level %s), which this CPU/OS cannot run "
                "(best level here: %s); %s",
                h.name, qgemm_isa_name(isa), best, kNotRepackable);
  if (!same_kernel(*k, h))
    return fail(QGEMM_ERROR_UNSUPPORTED_ISA,
                "packed-B blob was packed for %s (%ux%uc%u, A %s, B %s) of ISA level %s; this "
                "qgemm's %s kernel is %s (%zux%zuc%zu, A %s, B %s); %s",
                h.name, h.mr, h.nr, h.kr, elem_name(h.a_elem), elem_name(h.b_elem),
                qgemm_isa_name(isa), qgemm_isa_name(isa), k->name, k->mr, k->nr, k->kr,
                elem_name(static_cast<unsigned>(k->a_elem)),
                elem_name(static_cast<unsigned>(k->b_elem)), kNotRepackable);
  *out = k;
  return QGEMM_OK;
}

// The payload's values where a kernel's arithmetic depends on their range: int16 panel elements
// (the portable kernel's int32 sums are exact only for 8-bit-range values) and the zero points.
qgemm_status check_payload_values(const gemm_kernel& k, const blob_header& h,
                                  const unsigned char* panels, const payload_layout& p) {
  const auto type = static_cast<qgemm_type>(h.type);
  const int32_t lo = type == QGEMM_U8 ? 0 : -128, hi = type == QGEMM_U8 ? 255 : 127;
  switch (k.b_elem) {
    case packed_elem::u8:
    case packed_elem::s8:
      break;  // every byte is a value of the element type
    case packed_elem::s16:
      for (size_t i = 0; i < p.panels / 2; ++i) {
        int16_t v;
        std::memcpy(&v, panels + 2 * i, 2);
        if (v < lo || v > hi)
          return fail(QGEMM_ERROR_INVALID_DATA,
                      "packed-B blob: panel element %zu = %d is outside B's type range [%d, %d]",
                      i, v, lo, hi);
      }
      break;
    case packed_elem::s8_abs_sign:
      // No kernel packs B this way; one that does adds its check here.
      return fail(QGEMM_ERROR_UNSUPPORTED_ISA,
                  "packed-B blob: kernel %s packs B as s8_abs_sign, which the loader cannot check",
                  k.name);
  }
  const int32_t shift = zero_point_shift(type, k.b_elem);
  const unsigned char* neg_zb = panels + p.panels + p.col_off;
  for (size_t i = 0; i < p.neg_zb / 4; ++i) {
    const int64_t zb = -int64_t{static_cast<int32_t>(get_u32(neg_zb + 4 * i))} - shift;
    if (zb < lo || zb > hi)
      return fail(QGEMM_ERROR_INVALID_DATA,
                  "packed-B blob: zero point %zu = %lld is outside B's type range [%d, %d]", i,
                  static_cast<long long>(zb), lo, hi);
  }
  return QGEMM_OK;
}

}  // namespace

uint64_t fnv1a64(const void* bytes, size_t size, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * kFnvPrime;
  return hash;
}

uint64_t blob_checksum(const void* blob, size_t size) {
  const auto* p = static_cast<const unsigned char*>(blob);
  const uint64_t h = fnv1a64(p, kBlobChecksumOffset);
  return fnv1a64(p + kBlobHeaderBytes, size - kBlobHeaderBytes, h);
}

qgemm_status load_packed_b(const void* data, size_t size, const gemm_kernel* extra,
                           qgemm_packed_b** out) {
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `out` is NULL");
  if (data == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "packed-B blob `data` is NULL");
  const auto* b = static_cast<const unsigned char*>(data);

  // Identity and version first (from as many bytes as there are), then the length.
  if (std::memcmp(b, kBlobMagic, size < 8 ? size : 8) != 0)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "not a qgemm packed-B blob: it does not start with the magic \"QGEMMPKB\"");
  if (size >= 12 && get_u32(b + 8) != kBlobFormatVersion)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "packed-B blob has format version %u; this qgemm (%d.%d.%d) reads version %u",
                get_u32(b + 8), QGEMM_VERSION_MAJOR, QGEMM_VERSION_MINOR, QGEMM_VERSION_PATCH,
                kBlobFormatVersion);
  if (size < kBlobHeaderBytes)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "packed-B blob is truncated: %zu bytes, shorter than its %zu-byte header", size,
                kBlobHeaderBytes);
  if (get_u32(b + 12) != kBlobHeaderBytes)
    return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: header size %u, format 1 has %zu",
                get_u32(b + 12), kBlobHeaderBytes);
  const uint64_t payload_bytes = get_u64(b + kBlobPayloadBytesOffset);
  if (payload_bytes != size - kBlobHeaderBytes)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "packed-B blob is %zu bytes but its header announces %zu + %llu: truncated, or "
                "with trailing bytes",
                size, kBlobHeaderBytes, static_cast<unsigned long long>(payload_bytes));
  const uint64_t stored = get_u64(b + kBlobChecksumOffset), computed = blob_checksum(b, size);
  if (stored != computed)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "packed-B blob is corrupted: checksum 0x%016llx, its bytes hash to 0x%016llx",
                static_cast<unsigned long long>(stored),
                static_cast<unsigned long long>(computed));

  // The header's fields, each checked before it is used.
  blob_header h{};
  h.isa = get_u32(b + kBlobIsaOffset);
  h.mr = get_u32(b + 28);
  h.nr = get_u32(b + 32);
  h.kr = get_u32(b + 36);
  h.a_elem = b[40];
  h.b_elem = b[41];
  h.type = b[42];
  h.trans = b[43];
  h.per_column = b[44];
  h.K = static_cast<int64_t>(get_u64(b + 48));
  h.N = static_cast<int64_t>(get_u64(b + 56));
  if (get_u16(b + 22) != 0 || b[45] != 0 || b[46] != 0 || b[47] != 0)
    return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: reserved header bytes are not zero");
  if (h.type != QGEMM_U8 && h.type != QGEMM_S8)
    return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: B type %u is not QGEMM_U8 or QGEMM_S8",
                h.type);
  if (h.trans > 1 || h.per_column > 1)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "packed-B blob: transpose %u or zero-point-per-column flag %u is not 0 or 1",
                h.trans, h.per_column);
  const int64_t limit = int64_t{1} << 40;
  if (h.K < 0 || h.N < 0 || h.K > limit || h.N > limit)
    return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: K = %lld, N = %lld outside [0, 2^40]",
                static_cast<long long>(h.K), static_cast<long long>(h.N));
  std::memcpy(h.name, b + kBlobKernelNameOffset, kBlobKernelNameBytes);
  const void* nul = std::memchr(h.name, 0, kBlobKernelNameBytes);
  if (nul == nullptr || h.name[0] == '\0')
    return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: the kernel name is empty or unterminated");
  for (size_t i = static_cast<const char*>(nul) - h.name; i < kBlobKernelNameBytes; ++i)
    if (h.name[i] != '\0')
      return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: bytes after the kernel name are not zero");
  if (h.isa >= QGEMM_ISA_COUNT)
    return fail(QGEMM_ERROR_INVALID_DATA, "packed-B blob: ISA level %u is not a qgemm_isa", h.isa);

  const gemm_kernel* k = nullptr;
  QGEMM_RETURN_IF_ERROR(resolve_kernel(h, extra, &k));

  const size_t K = static_cast<size_t>(h.K), N = static_cast<size_t>(h.N);
  payload_layout p{};
  if (!payload_of(*k, K, N, h.per_column != 0, &p) || p.total != payload_bytes)
    return fail(QGEMM_ERROR_INVALID_DATA,
                "packed-B blob: a payload of %llu bytes does not fit K = %zu, N = %zu packed for %s",
                static_cast<unsigned long long>(payload_bytes), K, N, k->name);
  const unsigned char* payload = b + kBlobHeaderBytes;
  QGEMM_RETURN_IF_ERROR(check_payload_values(*k, h, payload, p));

  // Valid: build the object, with the layout pack_b gives it (packed_b.h).
  auto* packed = allocation_permitted() ? new (std::nothrow) qgemm_packed_b : nullptr;
  bool overflow = false;
  const size_t bytes = packed_b_bytes(*k, K, N, &overflow);
  if (packed == nullptr || !packed->storage.reserve(bytes)) {
    delete packed;
    return fail(QGEMM_ERROR_OUT_OF_MEMORY, "cannot allocate %zu bytes for a packed B", bytes);
  }
  auto* base = static_cast<unsigned char*>(packed->storage.data());
  auto* col_off = reinterpret_cast<int32_t*>(base + round_up(p.panels, 64));
  int32_t* neg_zb = col_off + N;
  std::memcpy(base, payload, p.panels);
  std::memcpy(col_off, payload + p.panels, p.col_off);
  std::memcpy(neg_zb, payload + p.panels + p.col_off, p.neg_zb);
  packed->K = h.K;
  packed->N = h.N;
  packed->type = static_cast<qgemm_type>(h.type);
  packed->trans = static_cast<qgemm_transpose>(h.trans);
  packed->zero_point_per_column = h.per_column != 0;
  packed->kernel = k;
  packed->kp = round_up(K, k->kr);
  packed->panels = base;
  packed->col_off = col_off;
  packed->neg_zb = neg_zb;
  packed->bytes = bytes;
  *out = packed;
  return QGEMM_OK;
}

}  // namespace qgemm::detail

using namespace qgemm::detail;

namespace {

payload_layout payload_of_packed(const qgemm_packed_b& packed) {
  payload_layout p{};
  payload_of(*packed.kernel, static_cast<size_t>(packed.K), static_cast<size_t>(packed.N),
             packed.zero_point_per_column, &p);  // fits: the object holds it
  return p;
}

}  // namespace

extern "C" qgemm_status qgemm_packed_b_serialized_size(const qgemm_packed_b* packed,
                                                      size_t* size) {
  if (packed == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "packed B is NULL");
  if (size == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `size` is NULL");
  *size = kBlobHeaderBytes + payload_of_packed(*packed).total;
  return QGEMM_OK;
}

extern "C" qgemm_status qgemm_packed_b_serialize(const qgemm_packed_b* packed, void* buffer,
                                                size_t capacity, size_t* written) {
  if (packed == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "packed B is NULL");
  if (buffer == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output `buffer` is NULL");
  const payload_layout p = payload_of_packed(*packed);
  const size_t size = kBlobHeaderBytes + p.total;
  if (capacity < size)
    return fail(QGEMM_ERROR_INVALID_SIZE,
                "buffer of %zu bytes is too small: this packed B serializes to %zu bytes "
                "(qgemm_packed_b_serialized_size)",
                capacity, size);
  const gemm_kernel& k = *packed->kernel;
  auto* b = static_cast<unsigned char*>(buffer);
  std::memset(b, 0, kBlobHeaderBytes);
  std::memcpy(b, kBlobMagic, sizeof kBlobMagic);
  put_u32(b + 8, kBlobFormatVersion);
  put_u32(b + 12, kBlobHeaderBytes);
  put_u16(b + 16, QGEMM_VERSION_MAJOR);
  put_u16(b + 18, QGEMM_VERSION_MINOR);
  put_u16(b + 20, QGEMM_VERSION_PATCH);
  put_u32(b + kBlobIsaOffset, static_cast<uint32_t>(k.isa));
  put_u32(b + 28, static_cast<uint32_t>(k.mr));
  put_u32(b + 32, static_cast<uint32_t>(k.nr));
  put_u32(b + 36, static_cast<uint32_t>(k.kr));
  b[40] = static_cast<unsigned char>(k.a_elem);
  b[41] = static_cast<unsigned char>(k.b_elem);
  b[42] = static_cast<unsigned char>(packed->type);
  b[43] = static_cast<unsigned char>(packed->trans);
  b[44] = packed->zero_point_per_column ? 1 : 0;
  put_u64(b + 48, static_cast<uint64_t>(packed->K));
  put_u64(b + 56, static_cast<uint64_t>(packed->N));
  std::strncpy(reinterpret_cast<char*>(b + kBlobKernelNameOffset), k.name,
               kBlobKernelNameBytes - 1);
  put_u64(b + kBlobPayloadBytesOffset, p.total);
  unsigned char* payload = b + kBlobHeaderBytes;
  std::memcpy(payload, packed->panels, p.panels);
  std::memcpy(payload + p.panels, packed->col_off, p.col_off);
  std::memcpy(payload + p.panels + p.col_off, packed->neg_zb, p.neg_zb);
  put_u64(b + kBlobChecksumOffset, blob_checksum(b, size));
  if (written != nullptr) *written = size;
  return QGEMM_OK;
}

extern "C" qgemm_status qgemm_packed_b_load(const void* data, size_t size, qgemm_packed_b** out) {
  return load_packed_b(data, size, nullptr, out);
}

// fuzz_gemm: differential fuzzing of the GEMM against the scalar reference (kernels/ref).
//
// The input decodes into a problem: shape (small, bounded), element types, transposes, leading
// dimensions, zero points (per tensor, per row of A, per column of B), the epilogue and its
// parameters, the data (from the input, or extreme fills), and, one input in four, exactly one
// invalid argument. Every kernel this CPU runs (each ISA level's, one-shot through
// qgemm_set_isa and packed through qgemm_pack_b_for_isa, and each runnable test-only kernel,
// packed) must then
//   - for a valid problem: return QGEMM_OK and write exactly the reference's bytes, with every
//     byte of C's buffer outside the M x N elements (row padding, before and after) untouched;
//   - for an invalid one: return the status the invalid argument calls for and leave C's whole
//     buffer untouched.
// A packed B is also serialized and loaded back (for the kernel the input picks) and must give
// the same bytes.
#include <cmath>
#include <cstdint>
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

struct kernel_choice {
  qgemm_isa isa;
  const qgemm::detail::gemm_kernel* test_only;  // null: the level's registered kernel
};

const std::vector<kernel_choice>& kernels() {
  static const std::vector<kernel_choice> list = [] {
    std::vector<kernel_choice> v;
    for (int i = 0; i < QGEMM_ISA_COUNT; ++i)
      if (qgemm_isa_available(static_cast<qgemm_isa>(i))) v.push_back({static_cast<qgemm_isa>(i), nullptr});
    for (const auto& t : qgemm::detail::test_kernels())
      if (t.runnable) v.push_back({t.kernel->isa, t.kernel});
    return v;
  }();
  return list;
}

const char* kernel_name(const kernel_choice& k) {
  return k.test_only ? k.test_only->name : qgemm_kernel_name(k.isa);
}

int32_t type_min(qgemm_type t) { return t == QGEMM_U8 ? 0 : -128; }
int32_t type_max(qgemm_type t) { return t == QGEMM_U8 ? 255 : 127; }

// A finite float > 0 spanning many binades (scales).
float positive_float(input& in, int lo_exp, int hi_exp) {
  const float mant = 1.0f + static_cast<float>(in.u16()) / 65536.0f;
  return std::ldexp(mant, static_cast<int>(in.in(lo_exp, hi_exp)));
}

enum invalid_kind {
  kValid = 0,
  kNegativeK, kNegativeM, kATypeBad, kBTypeBad, kATransBad, kBTransBad, kLdaSmall, kLdbSmall,
  kLdcSmall, kZaRange, kZbRange, kOutputBad, kOutTypeBad, kOutZeroRange, kClampReversed,
  kScaleBad, kMultiplierNegative, kShiftRange, kF32ScaleBad, kF32BiasNaN, kF32ClampNaN,
  kNullA, kNullBData, kNullC, kInvalidCount
};

struct problem {
  int64_t M, N, K;
  qgemm_operand a{}, b{};
  qgemm_epilogue e{};
  int64_t ldc;
  size_t out_bytes;
  std::vector<uint8_t> a_data, b_data;
  std::vector<int32_t> za, zb, bias, multiplier, shift;
  std::vector<float> scale, a_scale, b_scale, bias_f32;
  invalid_kind invalid = kValid;
  qgemm_status expected = QGEMM_OK;
  bool b_invalid = false;  // the invalid argument is B's (qgemm_pack_b rejects it too)
  bool null_c = false;
};

template <class E>
E raw_enum(int v) {
  E e;
  std::memcpy(&e, &v, sizeof e);
  return e;
}

void decode(input& in, problem& p) {
  const uint8_t shape_mode = in.u8();
  p.M = in.in(0, shape_mode & 1 ? 40 : 8);
  p.N = in.in(0, shape_mode & 2 ? 80 : 20);
  p.K = shape_mode & 4 ? in.in(0, 1100) : in.in(0, 40);
  const uint8_t flags = in.u8();
  const qgemm_type ta = flags & 1 ? QGEMM_S8 : QGEMM_U8;
  const qgemm_type tb = flags & 2 ? QGEMM_U8 : QGEMM_S8;
  const qgemm_transpose xa = flags & 4 ? QGEMM_TRANS : QGEMM_NO_TRANS;
  const qgemm_transpose xb = flags & 8 ? QGEMM_TRANS : QGEMM_NO_TRANS;
  const bool za_per_row = flags & 16, zb_per_column = flags & 32;
  const int fill_mode = flags >> 6;  // 0: input/random bytes, 1: all min, 2: all max, 3: alternate

  const int64_t a_rows = xa == QGEMM_TRANS ? p.K : p.M, a_len = xa == QGEMM_TRANS ? p.M : p.K;
  const int64_t b_rows = xb == QGEMM_TRANS ? p.N : p.K, b_len = xb == QGEMM_TRANS ? p.K : p.N;
  const uint8_t pads = in.u8();
  const int64_t lda = a_len + (pads & 3), ldb = b_len + ((pads >> 2) & 3);
  p.ldc = p.N + ((pads >> 4) & 3);

  // Zero points.
  p.a = qgemm_operand{ta, xa, nullptr, lda, static_cast<int32_t>(in.in(type_min(ta), type_max(ta))), nullptr};
  p.b = qgemm_operand{tb, xb, nullptr, ldb, static_cast<int32_t>(in.in(type_min(tb), type_max(tb))), nullptr};
  if (za_per_row) {
    p.za.resize(static_cast<size_t>(std::max<int64_t>(p.M, 1)));
    for (auto& z : p.za) z = static_cast<int32_t>(in.in(type_min(ta), type_max(ta)));
    p.a.zero_points = p.za.data();
  }
  if (zb_per_column) {
    p.zb.resize(static_cast<size_t>(std::max<int64_t>(p.N, 1)));
    for (auto& z : p.zb) z = static_cast<int32_t>(in.in(type_min(tb), type_max(tb)));
    p.b.zero_points = p.zb.data();
  }

  // Epilogue.
  const size_t n = static_cast<size_t>(std::max<int64_t>(p.N, 1));
  const size_t m = static_cast<size_t>(std::max<int64_t>(p.M, 1));
  const uint8_t epi = in.u8();
  const int kind = epi % 6;
  const bool per_column = epi & 8, with_bias = epi & 16, clamp = epi & 32, per_row = epi & 64;
  p.bias.resize(n);
  for (auto& b : p.bias) b = static_cast<int32_t>(in.u32()) >> (in.u8() % 32);
  const int32_t* bias = with_bias ? p.bias.data() : nullptr;
  const qgemm_type q = (kind == 1 || kind == 3) ? QGEMM_U8 : QGEMM_S8;
  const int32_t zc = static_cast<int32_t>(in.in(type_min(q), type_max(q)));
  switch (kind) {
    case 0:
      p.e = qgemm_epilogue_s32(bias);
      break;
    case 1:
    case 2:
      p.scale.resize(n);
      for (auto& s : p.scale) s = positive_float(in, -40, 4);
      p.e = qgemm_epilogue_requant_float(q, p.scale.data(), per_column, zc, bias);
      break;
    case 3:
    case 4:
      p.multiplier.resize(n);
      p.shift.resize(n);
      for (size_t i = 0; i < n; ++i) {
        p.multiplier[i] = static_cast<int32_t>(in.u32() & 0x7fffffffu);
        p.shift[i] = static_cast<int32_t>(in.in(-31, 30));
      }
      p.e = qgemm_epilogue_requant_fixed(q, p.multiplier.data(), p.shift.data(), per_column, zc, bias);
      break;
    default:
      p.a_scale.resize(m);
      p.b_scale.resize(n);
      p.bias_f32.resize(n);
      for (auto& s : p.a_scale) s = positive_float(in, -20, 2);
      for (auto& s : p.b_scale) s = positive_float(in, -20, 2);
      for (auto& b : p.bias_f32) b = static_cast<float>(static_cast<int16_t>(in.u16())) / 64.0f;
      p.e = qgemm_epilogue_f32(p.a_scale.data(), per_row, p.b_scale.data(), per_column,
                               with_bias ? p.bias_f32.data() : nullptr);
      break;
  }
  if (clamp) {
    if (kind == 5) {
      const float lo = static_cast<float>(static_cast<int16_t>(in.u16())) / 16.0f;
      p.e.f32_min = lo;
      p.e.f32_max = lo + static_cast<float>(in.u16()) / 16.0f;
    } else if (kind != 0) {
      const int32_t lo = static_cast<int32_t>(in.in(type_min(q), type_max(q)));
      p.e.out_min = lo;
      p.e.out_max = static_cast<int32_t>(in.in(lo, type_max(q)));
    }
  }
  p.out_bytes = (kind == 0 || kind == 5) ? 4 : 1;

  // One invalid argument, one input in four.
  const uint8_t inv = in.u8();
  if (inv % 4 == 0) p.invalid = static_cast<invalid_kind>(1 + (inv / 4) % (kInvalidCount - 1));

  // Data: exactly rows * ld bytes each (so ASan sees a read past the last row's end).
  p.a_data.resize(static_cast<size_t>(a_rows * lda));
  p.b_data.resize(static_cast<size_t>(b_rows * ldb));
  xorshift rng(in.u32());
  auto fill = [&](std::vector<uint8_t>& v, qgemm_type t) {
    for (size_t i = 0; i < v.size(); ++i) {
      switch (fill_mode) {
        case 0: v[i] = in.remaining() ? in.u8() : static_cast<uint8_t>(rng.next()); break;
        case 1: v[i] = static_cast<uint8_t>(type_min(t)); break;
        case 2: v[i] = static_cast<uint8_t>(type_max(t)); break;
        default: v[i] = static_cast<uint8_t>(rng.next() & 1 ? type_min(t) : type_max(t)); break;
      }
    }
  };
  fill(p.a_data, ta);
  fill(p.b_data, tb);
  p.a.data = p.a_data.empty() ? nullptr : p.a_data.data();
  p.b.data = p.b_data.empty() ? nullptr : p.b_data.data();
}

// Applies p.invalid and sets the status it calls for. Returns false, changing nothing, when the
// problem has no such argument (another epilogue kind, or no elements for it to matter).
bool apply_invalid(problem& p) {
  const qgemm_output out = p.e.output;
  const bool requant = out == QGEMM_OUTPUT_REQUANT_FLOAT || out == QGEMM_OUTPUT_REQUANT_FIXED;
  switch (p.invalid) {
    case kValid: return true;
    case kNegativeK: p.K = -1 - (p.K & 7); p.expected = QGEMM_ERROR_INVALID_SIZE; p.b_invalid = true; return true;
    case kNegativeM: p.M = -1; p.expected = QGEMM_ERROR_INVALID_SIZE; return true;
    case kATypeBad: p.a.type = raw_enum<qgemm_type>(2 + (p.K & 3)); p.expected = QGEMM_ERROR_INVALID_TYPE; return true;
    case kBTypeBad: p.b.type = raw_enum<qgemm_type>(-1); p.expected = QGEMM_ERROR_INVALID_TYPE; p.b_invalid = true; return true;
    case kATransBad: p.a.trans = raw_enum<qgemm_transpose>(2); p.expected = QGEMM_ERROR_INVALID_TYPE; return true;
    case kBTransBad: p.b.trans = raw_enum<qgemm_transpose>(-7); p.expected = QGEMM_ERROR_INVALID_TYPE; p.b_invalid = true; return true;
    case kLdaSmall: {
      const int64_t len = p.a.trans == QGEMM_TRANS ? p.M : p.K;
      if (len == 0) return false;
      p.a.ld = len - 1;
      p.expected = QGEMM_ERROR_INVALID_STRIDE;
      return true;
    }
    case kLdbSmall: {
      const int64_t len = p.b.trans == QGEMM_TRANS ? p.K : p.N;
      if (len == 0) return false;
      p.b.ld = len - 1;
      p.expected = QGEMM_ERROR_INVALID_STRIDE;
      p.b_invalid = true;
      return true;
    }
    case kLdcSmall:
      if (p.M == 0 || p.N == 0) return false;
      p.ldc = p.N - 1;
      p.expected = QGEMM_ERROR_INVALID_STRIDE;
      return true;
    case kZaRange:
      if (p.a.zero_points) {
        if (p.M == 0) return false;
        p.za[static_cast<size_t>(p.M - 1)] = type_max(p.a.type) + 1;
      } else {
        p.a.zero_point = type_min(p.a.type) - 1;
      }
      p.expected = QGEMM_ERROR_ZERO_POINT_RANGE;
      return true;
    case kZbRange:
      if (p.b.zero_points) {
        if (p.N == 0) return false;
        p.zb[0] = 1000;
      } else {
        p.b.zero_point = -129;
      }
      p.expected = QGEMM_ERROR_ZERO_POINT_RANGE;
      p.b_invalid = true;
      return true;
    case kOutputBad: p.e.output = raw_enum<qgemm_output>(4 + (p.N & 7)); p.expected = QGEMM_ERROR_INVALID_TYPE; return true;
    case kOutTypeBad:
      if (!requant) return false;
      p.e.out_type = QGEMM_S32;
      p.expected = QGEMM_ERROR_INVALID_TYPE;
      return true;
    case kOutZeroRange:
      if (!requant) return false;
      p.e.out_zero_point = 256;
      p.expected = QGEMM_ERROR_ZERO_POINT_RANGE;
      return true;
    case kClampReversed:
      if (!requant || p.e.out_min == p.e.out_max) return false;
      std::swap(p.e.out_min, p.e.out_max);
      p.expected = QGEMM_ERROR_INVALID_ARGUMENT;
      return true;
    case kScaleBad: {
      if (out != QGEMM_OUTPUT_REQUANT_FLOAT || p.N == 0) return false;
      const float bad[] = {0.0f, -1.0f, NAN, INFINITY, -0.0f};
      p.scale[0] = bad[p.K % 5];
      p.expected = QGEMM_ERROR_INVALID_SCALE;
      return true;
    }
    case kMultiplierNegative:
      if (out != QGEMM_OUTPUT_REQUANT_FIXED || p.N == 0) return false;
      p.multiplier[0] = -1 - static_cast<int32_t>(p.K);
      p.expected = QGEMM_ERROR_INVALID_SCALE;
      return true;
    case kShiftRange:
      if (out != QGEMM_OUTPUT_REQUANT_FIXED || p.N == 0) return false;
      p.shift[0] = p.K & 1 ? 31 : -32;
      p.expected = QGEMM_ERROR_INVALID_ARGUMENT;
      return true;
    case kF32ScaleBad:
      if (out != QGEMM_OUTPUT_F32 || p.M == 0 || p.N == 0) return false;
      (p.K & 1 ? p.a_scale : p.b_scale)[0] = p.K & 2 ? NAN : 0.0f;
      p.expected = QGEMM_ERROR_INVALID_SCALE;
      return true;
    case kF32BiasNaN:
      if (out != QGEMM_OUTPUT_F32 || p.N == 0 || p.e.bias_f32 == nullptr) return false;
      p.bias_f32[static_cast<size_t>(p.N - 1)] = p.K & 1 ? NAN : -INFINITY;
      p.expected = QGEMM_ERROR_INVALID_ARGUMENT;
      return true;
    case kF32ClampNaN:
      if (out != QGEMM_OUTPUT_F32) return false;
      p.e.f32_min = NAN;
      p.expected = QGEMM_ERROR_INVALID_ARGUMENT;
      return true;
    case kNullA:
      if (p.M == 0 || p.K == 0) return false;
      p.a.data = nullptr;
      p.expected = QGEMM_ERROR_NULL_POINTER;
      return true;
    case kNullBData:
      if (p.K == 0 || p.N == 0) return false;
      p.b.data = nullptr;
      p.expected = QGEMM_ERROR_NULL_POINTER;
      p.b_invalid = true;
      return true;
    case kNullC:
      if (p.M == 0 || p.N == 0) return false;
      p.null_c = true;
      p.expected = QGEMM_ERROR_NULL_POINTER;
      return true;
    case kInvalidCount: break;
  }
  return false;
}

// C's buffer: 64 guard bytes, M rows of ldc elements, 64 guard bytes, all a known pattern.
struct output {
  std::vector<uint8_t> bytes;
  size_t offset = 64;
  explicit output(const problem& p) {
    const size_t rows = static_cast<size_t>(std::max<int64_t>(p.M, 0));
    const size_t ldc = static_cast<size_t>(std::max<int64_t>(p.ldc, 0));
    bytes.resize(offset + rows * ldc * p.out_bytes + 64);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(0x5A ^ (i * 13));
  }
  void* c() { return bytes.data() + offset; }
};

void check_result(const problem& p, qgemm_status s, const output& got, const output& want,
                  const char* what, const char* kernel) {
  if (p.invalid != kValid) {
    QGEMM_FUZZ_CHECK(s == p.expected, "%s on %s: invalid argument %d gave %s, want %s (%s)", what,
                     kernel, p.invalid, qgemm_status_name(s), qgemm_status_name(p.expected),
                     qgemm_last_error());
    QGEMM_FUZZ_CHECK(got.bytes == want.bytes, "%s on %s: C written by a rejected call (%d)", what,
                     kernel, p.invalid);
    return;
  }
  QGEMM_FUZZ_CHECK(s == QGEMM_OK, "%s on %s: a valid problem was rejected: %s: %s", what, kernel,
                   qgemm_status_name(s), qgemm_last_error());
  if (got.bytes != want.bytes) {
    size_t i = 0;
    while (got.bytes[i] == want.bytes[i]) ++i;
    QGEMM_FUZZ_CHECK(false,
                     "%s on %s differs from the reference at byte %zu of C's buffer (got 0x%02x, "
                     "want 0x%02x): M=%lld N=%lld K=%lld out=%d",
                     what, kernel, i, got.bytes[i], want.bytes[i], (long long)p.M, (long long)p.N,
                     (long long)p.K, static_cast<int>(p.e.output));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  input in(data, size);
  problem p;
  decode(in, p);
  if (!apply_invalid(p)) p.invalid = kValid, p.expected = QGEMM_OK;
  const uint8_t roundtrip_pick = in.u8();

  // The reference result (or, for an invalid problem, the untouched buffer).
  output want(p);
  if (p.invalid == kValid && p.M > 0 && p.N > 0)
    qgemm::ref::gemm(p.M, p.N, p.K, p.a, p.b, p.e, want.c(), p.ldc);

  const auto& ks = kernels();
  for (size_t i = 0; i < ks.size(); ++i) {
    const kernel_choice& k = ks[i];
    const char* name = kernel_name(k);
    if (k.test_only == nullptr) {
      QGEMM_FUZZ_CHECK(qgemm_set_isa(k.isa) == QGEMM_OK, "cannot select %s", name);
      output got(p);
      const qgemm_status s = qgemm_gemm(p.M, p.N, p.K, &p.a, &p.b, &p.e,
                                        p.null_c ? nullptr : got.c(), p.ldc);
      check_result(p, s, got, want, "qgemm_gemm", name);
    }
    // Packed: B must be valid to pack (B's own invalid arguments are pack's to reject).
    qgemm_packed_b* packed = nullptr;
    const qgemm_status ps =
        k.test_only ? qgemm::detail::new_packed_b(*k.test_only, p.K, p.N, &p.b, &packed)
                    : qgemm_pack_b_for_isa(k.isa, p.K, p.N, &p.b, &packed);
    if (p.invalid != kValid && p.b_invalid) {
      QGEMM_FUZZ_CHECK(ps == p.expected && packed == nullptr,
                       "pack on %s: invalid B argument %d gave %s, want %s", name, p.invalid,
                       qgemm_status_name(ps), qgemm_status_name(p.expected));
      continue;
    }
    QGEMM_FUZZ_CHECK(ps == QGEMM_OK, "pack on %s rejected a valid B: %s", name, qgemm_last_error());
    if (roundtrip_pick % ks.size() == i) {
      // Through bytes and back: the loaded B must behave identically.
      size_t bytes = 0;
      QGEMM_FUZZ_CHECK(qgemm_packed_b_serialized_size(packed, &bytes) == QGEMM_OK, "size");
      std::vector<uint8_t> blob(bytes);
      QGEMM_FUZZ_CHECK(qgemm_packed_b_serialize(packed, blob.data(), blob.size(), nullptr) == QGEMM_OK,
                       "serialize on %s: %s", name, qgemm_last_error());
      qgemm_packed_b* loaded = nullptr;
      const qgemm_status ls = qgemm::detail::load_packed_b(blob.data(), blob.size(), k.test_only, &loaded);
      QGEMM_FUZZ_CHECK(ls == QGEMM_OK, "load on %s of its own blob: %s", name, qgemm_last_error());
      qgemm_packed_b_destroy(packed);
      packed = loaded;
    }
    output got(p);
    const qgemm_status s = qgemm_gemm_packed(p.M, p.N, p.K, &p.a, p.b.type, packed, &p.e,
                                             p.null_c ? nullptr : got.c(), p.ldc);
    qgemm_packed_b_destroy(packed);
    check_result(p, s, got, want, "qgemm_gemm_packed", name);
  }
  return 0;
}

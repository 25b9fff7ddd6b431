#include "gemm_problem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/dispatch.h"
#include "core/driver.h"
#include "ref/reference.h"
#include "test_kernels.h"

namespace qgemm_test {

const char* out_kind_name(out_kind k) {
  switch (k) {
    case out_kind::s32: return "s32";
    case out_kind::requant_float_u8: return "requant_float_u8";
    case out_kind::requant_float_s8: return "requant_float_s8";
    case out_kind::requant_fixed_u8: return "requant_fixed_u8";
    case out_kind::requant_fixed_s8: return "requant_fixed_s8";
    case out_kind::f32: return "f32";
  }
  return "?";
}

size_t out_elem_bytes(out_kind k) {
  return (k == out_kind::s32 || k == out_kind::f32) ? 4 : 1;
}

std::string gemm_case::describe() const {
  static const char* fills[] = {"random", "zeros", "max", "min"};
  std::ostringstream s;
  s << "M=" << M << " N=" << N << " K=" << K << " A=" << (a_type == QGEMM_U8 ? "u8" : "s8")
    << (a_trans == QGEMM_TRANS ? "^T" : "") << " B=" << (b_type == QGEMM_U8 ? "u8" : "s8")
    << (b_trans == QGEMM_TRANS ? "^T" : "") << " zA=" << (za_per_row ? "row" : "tensor")
    << " zB=" << (zb_per_column ? "column" : "tensor") << " out=" << out_kind_name(out)
    << " data=" << fills[static_cast<int>(data)] << " ld_pad=" << ld_pad
    << " misalign=" << misalign << (bias ? " bias" : "") << (clamp ? " clamp" : "")
    << (extreme_params ? " extreme" : "") << " seed=" << seed;
  return s.str();
}

namespace {

int32_t type_min(qgemm_type t) { return t == QGEMM_U8 ? 0 : -128; }
int32_t type_max(qgemm_type t) { return t == QGEMM_U8 ? 255 : 127; }

uint8_t fill_byte(fill f, qgemm_type t, std::mt19937& rng) {
  switch (f) {
    case fill::random: return static_cast<uint8_t>(rng());
    case fill::zeros: return 0;
    case fill::max: return static_cast<uint8_t>(type_max(t));
    case fill::min: return static_cast<uint8_t>(type_min(t));
  }
  return 0;
}

int32_t uniform_int(std::mt19937& rng, int64_t lo, int64_t hi) {
  return static_cast<int32_t>(std::uniform_int_distribution<int64_t>(lo, hi)(rng));
}

int32_t zero_point(std::mt19937& rng, qgemm_type t, bool extreme) {
  if (extreme) return (rng() & 1) ? type_min(t) : type_max(t);
  return uniform_int(rng, type_min(t), type_max(t));
}

float log_uniform(std::mt19937& rng, double lo, double hi) {
  return static_cast<float>(std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng)));
}

}  // namespace

gemm_problem::gemm_problem(const gemm_case& c) : c_(c) {
  std::mt19937 rng(c.seed);
  const int64_t M = c.M, N = c.N, K = c.K;

  // A: op(A) is M x K; stored K x M when transposed. B: op(B) K x N; stored N x K transposed.
  const int64_t a_rows = c.a_trans == QGEMM_TRANS ? K : M;
  const int64_t a_len = c.a_trans == QGEMM_TRANS ? M : K;
  const int64_t b_rows = c.b_trans == QGEMM_TRANS ? N : K;
  const int64_t b_len = c.b_trans == QGEMM_TRANS ? K : N;
  const int64_t lda = a_len + c.ld_pad, ldb = b_len + c.ld_pad;
  // Exactly rows * ld bytes after the offset: the last row's padding is there too, unread.
  a_data_.resize(c.misalign + static_cast<size_t>(a_rows * lda));
  b_data_.resize(c.misalign + static_cast<size_t>(b_rows * ldb));
  for (auto& v : a_data_) v = fill_byte(c.data, c.a_type, rng);
  for (auto& v : b_data_) v = fill_byte(c.data, c.b_type, rng);

  a_ = qgemm_operand{c.a_type, c.a_trans, a_data_.data() + c.misalign, lda,
                     zero_point(rng, c.a_type, c.extreme_params), nullptr};
  b_ = qgemm_operand{c.b_type, c.b_trans, b_data_.data() + c.misalign, ldb,
                     zero_point(rng, c.b_type, c.extreme_params), nullptr};
  if (c.zero_points_zero) a_.zero_point = b_.zero_point = 0;
  if (c.za_per_row) {
    za_.resize(static_cast<size_t>(M));
    for (auto& z : za_) z = zero_point(rng, c.a_type, c.extreme_params);
    a_.zero_points = za_.data();
  }
  if (c.zb_per_column) {
    zb_.resize(static_cast<size_t>(N));
    for (auto& z : zb_) z = zero_point(rng, c.b_type, c.extreme_params);
    b_.zero_points = zb_.data();
  }

  // Epilogue parameters. Per-channel arrays always hold N (or M) values; whether the epilogue
  // reads one or all is drawn at random, independently of the zero-point modes.
  const size_t n = static_cast<size_t>(std::max<int64_t>(N, 1));
  const size_t m = static_cast<size_t>(std::max<int64_t>(M, 1));
  const bool per_column = rng() & 1;
  bias_.resize(n);
  for (auto& b : bias_)
    b = c.extreme_params ? ((rng() & 1) ? INT32_MIN : INT32_MAX)
                         : uniform_int(rng, -(1 << 20), 1 << 20);
  const int32_t* bias = c.bias ? bias_.data() : nullptr;
  // A scale that maps the typical |acc| (about 100^2 sqrt(K)) onto the 8-bit range, with spread.
  const double typical = 1e4 * std::sqrt(static_cast<double>(K) + 1.0);
  scale_.resize(n);
  // A quarter of the time a power of two, so that products land exactly on .5 and the
  // round-half-to-even ties are exercised.
  const bool ties = rng() % 4 == 0;
  for (auto& s : scale_) {
    if (c.extreme_params)
      s = (rng() & 1) ? 1e-30f : 1e30f;
    else if (ties)
      s = std::ldexp(1.0f, -static_cast<int>(std::log2(typical / 40)) - uniform_int(rng, 0, 2));
    else
      s = log_uniform(rng, 20 / typical, 600 / typical);
  }
  multiplier_.resize(n);
  shift_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (c.extreme_params) {
      const int pick = static_cast<int>(rng() % 3);
      multiplier_[i] = pick == 0 ? 0 : (pick == 1 ? INT32_MAX : uniform_int(rng, 1 << 30, INT32_MAX));
      shift_[i] = uniform_int(rng, -31, 30);
    } else {
      // m = M0 2^(shift-31) close to the float scale above
      int exponent = 0;
      const double mant = std::frexp(static_cast<double>(scale_[i]), &exponent);
      multiplier_[i] = ties ? (1 << 30)  // exactly 0.5 * 2^shift: ties in the rounding shift
                            : static_cast<int32_t>(std::min<double>(std::round(mant * 2147483648.0), INT32_MAX));
      shift_[i] = std::max(-31, std::min(30, exponent + uniform_int(rng, -1, 1)));
    }
  }
  a_scale_.resize(m);
  for (auto& s : a_scale_) s = log_uniform(rng, 1e-3, 1e-1);
  b_scale_.resize(n);
  for (auto& s : b_scale_) s = log_uniform(rng, 1e-3, 1e-1);
  bias_f_.resize(n);
  for (auto& b : bias_f_) b = std::uniform_real_distribution<float>(-10.f, 10.f)(rng);

  const qgemm_type q = (c.out == out_kind::requant_float_u8 || c.out == out_kind::requant_fixed_u8)
                           ? QGEMM_U8 : QGEMM_S8;
  const int32_t zc = zero_point(rng, q, c.extreme_params);
  switch (c.out) {
    case out_kind::s32:
      e_ = qgemm_epilogue_s32(bias);
      break;
    case out_kind::requant_float_u8:
    case out_kind::requant_float_s8:
      e_ = qgemm_epilogue_requant_float(q, scale_.data(), per_column, zc, bias);
      break;
    case out_kind::requant_fixed_u8:
    case out_kind::requant_fixed_s8:
      e_ = qgemm_epilogue_requant_fixed(q, multiplier_.data(), shift_.data(), per_column, zc, bias);
      break;
    case out_kind::f32:
      e_ = qgemm_epilogue_f32(a_scale_.data(), rng() & 1, b_scale_.data(), per_column,
                              c.bias ? bias_f_.data() : nullptr);
      if (c.clamp) {
        e_.f32_min = std::uniform_real_distribution<float>(-20.f, 0.f)(rng);
        e_.f32_max = std::uniform_real_distribution<float>(0.f, 20.f)(rng);
      }
      break;
  }
  if (c.clamp && c.out != out_kind::s32 && c.out != out_kind::f32) {
    const int32_t lo = uniform_int(rng, type_min(q), type_max(q));
    const int32_t hi = uniform_int(rng, lo, type_max(q));
    e_.out_min = lo;
    e_.out_max = hi;
  }
  ldc_ = N + c.ld_pad;
}

std::vector<uint8_t> gemm_problem::fresh_output() const {
  const size_t elems = c_.misalign + static_cast<size_t>(c_.M * ldc_);
  std::vector<uint8_t> buffer(elems * out_elem_bytes(c_.out));
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<uint8_t>(0xA5 ^ (i * 7));
  return buffer;
}

std::vector<uint8_t> gemm_problem::reference() const {
  std::vector<uint8_t> buffer = fresh_output();
  if (c_.M > 0 && c_.N > 0)
    qgemm::ref::gemm(c_.M, c_.N, c_.K, a_, b_, e_, buffer.data() + c_offset_bytes(), ldc_);
  return buffer;
}

namespace {

std::string compare(const gemm_problem& p, const std::vector<uint8_t>& got,
                    const std::vector<uint8_t>& want, const char* how) {
  if (got == want) return "";
  size_t i = 0;
  while (got[i] == want[i]) ++i;
  const size_t elem = out_elem_bytes(p.spec().out);
  const int64_t e = static_cast<int64_t>((i - p.c_offset_bytes()) / elem);
  std::ostringstream s;
  s << how << ": first difference at byte " << i << " (row " << e / p.ldc() << ", column "
    << e % p.ldc() << "): got 0x" << std::hex << int{got[i]} << ", want 0x" << int{want[i]}
    << std::dec << " — " << p.spec().describe();
  return s.str();
}

}  // namespace

std::vector<kernel_under_test> kernels_under_test() {
  std::vector<kernel_under_test> out;
  for (qgemm_isa isa : runnable_isas()) {
    kernel_under_test k{isa, nullptr, {}};
    if (qgemm_get_kernel_info(isa, &k.info) == QGEMM_OK) out.push_back(k);
  }
  for (const qgemm::detail::test_kernel& t : qgemm::detail::test_kernels()) {
    if (!t.runnable) continue;
    const qgemm::detail::gemm_kernel& g = *t.kernel;
    out.push_back({g.isa, &g, qgemm::detail::kernel_info_of(g)});
  }
  return out;
}

std::string select_for_one_shot(const kernel_under_test& k) {
  if (k.test_only != nullptr) return "test-only";
  if (qgemm_set_isa(k.isa) != QGEMM_OK)
    return std::string("cannot select ") + qgemm_isa_name(k.isa) + ": " + qgemm_last_error();
  return "";
}

qgemm_status pack_b_for(const kernel_under_test& k, int64_t K, int64_t N, const qgemm_operand* b,
                        qgemm_packed_b** out) {
  return k.test_only != nullptr ? qgemm::detail::new_packed_b(*k.test_only, K, N, b, out)
                                : qgemm_pack_b_for_isa(k.isa, K, N, b, out);
}

qgemm_packed_b* sentinel_packed_b() {
  return reinterpret_cast<qgemm_packed_b*>(static_cast<uintptr_t>(0x5EB7C0DE0ull));
}

std::vector<uint8_t> serialize_packed_b(const qgemm_packed_b* packed) {
  size_t size = 0;
  EXPECT_EQ(qgemm_packed_b_serialized_size(packed, &size), QGEMM_OK) << qgemm_last_error();
  std::vector<uint8_t> blob(size, 0xEE);
  size_t written = 0;
  EXPECT_EQ(qgemm_packed_b_serialize(packed, blob.data(), blob.size(), &written), QGEMM_OK)
      << qgemm_last_error();
  EXPECT_EQ(written, size);
  return blob;
}

std::vector<uint8_t> packed_b_blob(const kernel_under_test& k, const gemm_problem& p) {
  const gemm_case& g = p.spec();
  qgemm_packed_b* packed = nullptr;
  EXPECT_EQ(pack_b_for(k, g.K, g.N, &p.b(), &packed), QGEMM_OK) << qgemm_last_error();
  std::vector<uint8_t> blob = serialize_packed_b(packed);
  qgemm_packed_b_destroy(packed);
  return blob;
}

std::vector<uint8_t> run_packed(const gemm_problem& p, const qgemm_packed_b* packed) {
  const gemm_case& g = p.spec();
  std::vector<uint8_t> out = p.fresh_output();
  EXPECT_EQ(qgemm_gemm_packed(g.M, g.N, g.K, &p.a(), g.b_type, packed, &p.epilogue(), p.out(out),
                              p.ldc()),
            QGEMM_OK)
      << qgemm_last_error();
  return out;
}

std::string for_each_a_layout(const qgemm_packed_b* packed,
                              const std::function<std::string(const char* what)>& gemm) {
  struct layout_run {
    size_t rows_a_max_n;  // qgemm::detail::set_rows_a_max_n_for_tests
    const char* what;
  };
  std::vector<layout_run> runs{{SIZE_MAX, " packed"}};
  if (packed->kernel->pack_a_rows != nullptr)
    runs = {{0, " packed, A in panels"}, {SIZE_MAX - 1, " packed, A in rows"}};
  for (const layout_run& run : runs) {
    qgemm::detail::set_rows_a_max_n_for_tests(run.rows_a_max_n);
    std::string diff = gemm(run.what);
    qgemm::detail::set_rows_a_max_n_for_tests(SIZE_MAX);
    if (!diff.empty()) return diff;
  }
  return "";
}

std::string check_on_kernel(const gemm_problem& p, const kernel_under_test& k,
                            const std::vector<uint8_t>& ref) {
  const gemm_case& c = p.spec();
  const std::string name = k.name();
  std::vector<uint8_t> out;
  qgemm_status s;
  if (k.test_only == nullptr) {
    const std::string selected = select_for_one_shot(k);
    if (!selected.empty()) return selected;
    out = p.fresh_output();
    s = qgemm_gemm(c.M, c.N, c.K, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc());
    if (s != QGEMM_OK) return name + " one-shot failed: " + qgemm_last_error();
    std::string diff = compare(p, out, ref, (name + " one-shot").c_str());
    if (!diff.empty()) return diff;
  }

  qgemm_packed_b* packed = nullptr;
  s = pack_b_for(k, c.K, c.N, &p.b(), &packed);
  if (s != QGEMM_OK) return name + " pack failed: " + qgemm_last_error();
  const std::string diff = for_each_a_layout(packed, [&](const char* what) {
    out = p.fresh_output();
    if (qgemm_gemm_packed(c.M, c.N, c.K, &p.a(), c.b_type, packed, &p.epilogue(), p.out(out),
                          p.ldc()) != QGEMM_OK)
      return name + what + " GEMM failed: " + qgemm_last_error();
    return compare(p, out, ref, (name + what).c_str());
  });
  qgemm_packed_b_destroy(packed);
  return diff;
}

std::vector<combo> all_combos(bool zero_point_modes) {
  std::vector<combo> v;
  for (out_kind o : kAllOutputs)
    for (qgemm_type ta : {QGEMM_U8, QGEMM_S8})
      for (qgemm_type tb : {QGEMM_S8, QGEMM_U8})
        for (qgemm_transpose xa : {QGEMM_NO_TRANS, QGEMM_TRANS})
          for (qgemm_transpose xb : {QGEMM_NO_TRANS, QGEMM_TRANS})
            for (bool zr : {false, true})
              for (bool zc : {false, true})
                if (zero_point_modes || (!zr && !zc)) v.push_back({o, ta, tb, xa, xb, zr, zc});
  return v;
}

std::string combo_name(const combo& c, bool zero_point_modes) {
  std::string s = out_kind_name(c.out);
  s += c.a_type == QGEMM_U8 ? "_Au8" : "_As8";
  s += c.a_trans == QGEMM_TRANS ? "T" : "";
  s += c.b_type == QGEMM_U8 ? "_Bu8" : "_Bs8";
  s += c.b_trans == QGEMM_TRANS ? "T" : "";
  if (zero_point_modes) {
    s += c.za_per_row ? "_zArow" : "_zAtensor";
    s += c.zb_per_column ? "_zBcol" : "_zBtensor";
  }
  return s;
}

gemm_case case_for(const combo& c) {
  gemm_case g;
  g.out = c.out;
  g.a_type = c.a_type;
  g.b_type = c.b_type;
  g.a_trans = c.a_trans;
  g.b_trans = c.b_trans;
  g.za_per_row = c.za_per_row;
  g.zb_per_column = c.zb_per_column;
  return g;
}

std::vector<std::array<int64_t, 3>> block_crossing_shapes(const qgemm_kernel_info& k) {
  return {{k.mc + k.mr + 1, 2 * k.nr + 3, 37},
          {5, k.nc + k.nr + 3, 19},
          {2 * k.mr + 1, 2 * k.nr + 1, k.kc + k.kr + 1},
          {3, 5, 2 * k.kc + 3}};
}

std::vector<qgemm_isa> runnable_isas() {
  std::vector<qgemm_isa> out;
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i)
    if (qgemm_isa_available(static_cast<qgemm_isa>(i))) out.push_back(static_cast<qgemm_isa>(i));
  return out;
}

}  // namespace qgemm_test

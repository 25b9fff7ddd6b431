// qgemm C++ API: a thin layer over the C API (qgemm.h) that adds types, RAII and exceptions.
//
// Errors: every function here throws qgemm::error (a std::runtime_error carrying the
// qgemm_status and the library's message) where the C function would return a failure status.
// Nothing is written to any output when it throws.
//
//   std::vector<uint8_t> a(M * K);  std::vector<int8_t> w(N * K);  std::vector<int32_t> c(M * N);
//   qgemm::packed_b weights(K, N, qgemm::operand(w.data(), K, /*zero_point=*/0, QGEMM_TRANS));
//   qgemm::gemm(M, N, K, qgemm::operand(a.data(), K, /*zero_point=*/128), weights,
//               qgemm_epilogue_s32(nullptr), c.data(), N);
#ifndef QGEMM_QGEMM_HPP
#define QGEMM_QGEMM_HPP

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "qgemm/qgemm.h"

namespace qgemm {

class error : public std::runtime_error {
 public:
  error(qgemm_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  qgemm_status status() const noexcept { return status_; }

 private:
  qgemm_status status_;
};

// Throws qgemm::error for a failing status, with the calling thread's message.
inline void check(qgemm_status status) {
  if (status != QGEMM_OK)
    throw error(status, std::string(qgemm_status_name(status)) + ": " + qgemm_last_error());
}

// The qgemm_type of an element type.
template <class T>
constexpr qgemm_type type_of() {
  static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>,
                "qgemm operands are uint8_t or int8_t");
  return std::is_same_v<T, uint8_t> ? QGEMM_U8 : QGEMM_S8;
}

// An operand with one zero point.
template <class T>
qgemm_operand operand(const T* data, int64_t ld, int32_t zero_point = 0,
                      qgemm_transpose trans = QGEMM_NO_TRANS) {
  return qgemm_operand{type_of<T>(), trans, data, ld, zero_point, nullptr};
}

// An operand with one zero point per row of op(A) or per column of op(B).
template <class T>
qgemm_operand operand_per_channel(const T* data, int64_t ld, const int32_t* zero_points,
                                  qgemm_transpose trans = QGEMM_NO_TRANS) {
  return qgemm_operand{type_of<T>(), trans, data, ld, 0, zero_points};
}

// One-shot GEMM: C = epilogue(op(A) op(B)).
inline void gemm(int64_t M, int64_t N, int64_t K, const qgemm_operand& a, const qgemm_operand& b,
                 const qgemm_epilogue& epilogue, void* C, int64_t ldc) {
  check(qgemm_gemm(M, N, K, &a, &b, &epilogue, C, ldc));
}

// Packed weights: immutable, movable, shareable across threads (const access only).
class packed_b {
 public:
  // Packs op(B) (K x N) for the selected kernel.
  packed_b(int64_t K, int64_t N, const qgemm_operand& b) {
    qgemm_packed_b* p = nullptr;
    check(qgemm_pack_b(K, N, &b, &p));
    ptr_.reset(p);
  }
  // Packs op(B) for the kernel of a given ISA level.
  packed_b(qgemm_isa isa, int64_t K, int64_t N, const qgemm_operand& b) {
    qgemm_packed_b* p = nullptr;
    check(qgemm_pack_b_for_isa(isa, K, N, &b, &p));
    ptr_.reset(p);
  }

  qgemm_packed_b_info info() const {
    qgemm_packed_b_info i{};
    check(qgemm_packed_b_get_info(ptr_.get(), &i));
    return i;
  }
  int64_t K() const { return info().K; }
  int64_t N() const { return info().N; }
  qgemm_type type() const { return info().type; }
  const qgemm_packed_b* get() const noexcept { return ptr_.get(); }

  // The blob of this packed B (qgemm_packed_b_serialize).
  std::vector<uint8_t> serialize() const {
    size_t size = 0;
    check(qgemm_packed_b_serialized_size(ptr_.get(), &size));
    std::vector<uint8_t> blob(size);
    check(qgemm_packed_b_serialize(ptr_.get(), blob.data(), blob.size(), nullptr));
    return blob;
  }
  // A packed B from a blob (qgemm_packed_b_load): throws for a truncated, corrupted or foreign
  // blob.
  static packed_b load(const void* data, size_t size) {
    qgemm_packed_b* p = nullptr;
    check(qgemm_packed_b_load(data, size, &p));
    return packed_b(p);
  }
  static packed_b load(const std::vector<uint8_t>& blob) { return load(blob.data(), blob.size()); }

 private:
  explicit packed_b(qgemm_packed_b* p) noexcept { ptr_.reset(p); }
  struct deleter {
    void operator()(qgemm_packed_b* p) const noexcept { qgemm_packed_b_destroy(p); }
  };
  std::unique_ptr<qgemm_packed_b, deleter> ptr_;
};

// GEMM with packed weights; N and K are checked against the packed ones.
inline void gemm(int64_t M, int64_t N, int64_t K, const qgemm_operand& a, const packed_b& b,
                 const qgemm_epilogue& epilogue, void* C, int64_t ldc) {
  check(qgemm_gemm_packed(M, N, K, &a, b.type(), b.get(), &epilogue, C, ldc));
}

// The same two GEMMs with a threading context (qgemm.h: num_threads, an optional pool of the
// caller's own threads): qgemm::gemm(ctx, M, N, K, ...).
inline void gemm(const qgemm_context& ctx, int64_t M, int64_t N, int64_t K, const qgemm_operand& a,
                 const qgemm_operand& b, const qgemm_epilogue& epilogue, void* C, int64_t ldc) {
  check(qgemm_gemm_ctx(&ctx, M, N, K, &a, &b, &epilogue, C, ldc));
}
inline void gemm(const qgemm_context& ctx, int64_t M, int64_t N, int64_t K, const qgemm_operand& a,
                 const packed_b& b, const qgemm_epilogue& epilogue, void* C, int64_t ldc) {
  check(qgemm_gemm_packed_ctx(&ctx, M, N, K, &a, b.type(), b.get(), &epilogue, C, ldc));
}
// A context of `threads` threads (0 = OpenMP's default) on OpenMP.
inline qgemm_context threads(int32_t threads) {
  qgemm_context c = qgemm_context_default();
  c.num_threads = threads;
  return c;
}

// Dispatch.
inline qgemm_isa selected_isa() {
  qgemm_isa isa{};
  check(qgemm_selected_isa(&isa));
  return isa;
}
inline void set_isa(qgemm_isa isa) { check(qgemm_set_isa(isa)); }
inline std::string isa_name(qgemm_isa isa) { return qgemm_isa_name(isa); }
inline qgemm_isa isa_from_name(const std::string& name) {
  qgemm_isa isa{};
  check(qgemm_isa_from_name(name.c_str(), &isa));
  return isa;
}
// Every level whose kernel is built in and runnable here, lowest first.
inline std::vector<qgemm_isa> available_isas() {
  std::vector<qgemm_isa> out;
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i)
    if (qgemm_isa_available(static_cast<qgemm_isa>(i))) out.push_back(static_cast<qgemm_isa>(i));
  return out;
}

// Quantization toolkit.
inline qgemm_qrange qrange_from_bits(int32_t bits, bool is_signed) {
  qgemm_qrange r{};
  check(qgemm_qrange_from_bits(bits, is_signed ? 1 : 0, &r));
  return r;
}
inline qgemm_qparams calibrate_asymmetric(double alpha, double beta, qgemm_qrange range) {
  qgemm_qparams p{};
  check(qgemm_calibrate_asymmetric_range(alpha, beta, range, &p));
  return p;
}
inline qgemm_qparams calibrate_asymmetric(const std::vector<float>& x, qgemm_qrange range) {
  qgemm_qparams p{};
  check(qgemm_calibrate_asymmetric(x.data(), x.size(), range, &p));
  return p;
}
inline qgemm_qparams calibrate_symmetric(const std::vector<float>& x, int32_t bits) {
  qgemm_qparams p{};
  check(qgemm_calibrate_symmetric(x.data(), x.size(), bits, &p));
  return p;
}
inline qgemm_qparams calibrate_symmetric_unsigned(const std::vector<float>& x, int32_t bits) {
  qgemm_qparams p{};
  check(qgemm_calibrate_symmetric_unsigned(x.data(), x.size(), bits, &p));
  return p;
}
inline qgemm_qparams calibrate_percentile(const std::vector<float>& x, int32_t bits, double p) {
  qgemm_qparams out{};
  check(qgemm_calibrate_percentile(x.data(), x.size(), bits, p, &out));
  return out;
}
template <class Q>
std::vector<Q> quantize(const std::vector<float>& x, const qgemm_qparams& params) {
  static_assert(std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t> ||
                    std::is_same_v<Q, uint16_t> || std::is_same_v<Q, int16_t>,
                "quantize into uint8_t, int8_t, uint16_t or int16_t");
  constexpr qgemm_type t = std::is_same_v<Q, uint8_t>   ? QGEMM_U8
                           : std::is_same_v<Q, int8_t>  ? QGEMM_S8
                           : std::is_same_v<Q, uint16_t> ? QGEMM_U16
                                                         : QGEMM_S16;
  std::vector<Q> q(x.size());
  check(qgemm_quantize(x.data(), x.size(), &params, t, q.data()));
  return q;
}
template <class Q>
std::vector<float> dequantize(const std::vector<Q>& q, const qgemm_qparams& params) {
  constexpr qgemm_type t = std::is_same_v<Q, uint8_t>   ? QGEMM_U8
                           : std::is_same_v<Q, int8_t>  ? QGEMM_S8
                           : std::is_same_v<Q, uint16_t> ? QGEMM_U16
                                                         : QGEMM_S16;
  std::vector<float> x(q.size());
  check(qgemm_dequantize(q.data(), t, q.size(), &params, x.data()));
  return x;
}
inline qgemm_error_report error_report(const std::vector<float>& x, const std::vector<float>& y) {
  if (x.size() != y.size())
    throw error(QGEMM_ERROR_INVALID_ARGUMENT, "error_report: x and y differ in length");
  qgemm_error_report r{};
  check(qgemm_error_report_compute(x.data(), y.data(), x.size(), &r));
  return r;
}
inline float requant_scale(double a_scale, double b_scale, double c_scale) {
  float s = 0;
  check(qgemm_requant_scale(a_scale, b_scale, c_scale, &s));
  return s;
}
struct quantized_multiplier {
  int32_t multiplier;
  int32_t shift;
};
inline quantized_multiplier quantize_multiplier(double m) {
  quantized_multiplier q{};
  check(qgemm_quantize_multiplier(m, &q.multiplier, &q.shift));
  return q;
}

}  // namespace qgemm

#endif  // QGEMM_QGEMM_HPP

// The quantization toolkit: calibration (asymmetric, symmetric, percentile), quantize and
// dequantize, error reports, and the two requantization helpers the GEMM epilogues take their
// parameters from (a float scale, a TensorFlow Lite fixed-point multiplier). The contract is
// SEMANTICS.md section 4 (and 3c for QuantizeMultiplier); this file restates only what the
// code needs to be read.
//
// Why everything is in double. The parameters are what a model is exported with; computing
// them in float would make s and z depend on the order of float roundings and differ from the
// NumPy / PyTorch references people check them against. The inputs are float, so every
// min, max and |x| below is exact in double, and the only roundings are the ones the formulas
// name.
//
// Why rounding is written out instead of calling std::nearbyint. nearbyint follows the
// caller's floating-point rounding mode; a host application that left it at FE_UPWARD would
// silently shift every zero point and quantized value. round_half_even below gives the
// contract's answer in any mode.
//
// Validation. Every entry point checks all of its arguments, and scans all of its data, before
// it writes anything, so a rejected call leaves its outputs untouched. The status codes follow
// one rule per kind of fault, so a caller can branch on them:
//   QGEMM_ERROR_NULL_POINTER      a pointer that must hold data or receive a result is NULL.
//   QGEMM_ERROR_INVALID_DATA      an array's contents: n == 0 (empty data), or a NaN or an
//                                 infinity in x or y (the message names the index).
//   QGEMM_ERROR_INVALID_ARGUMENT  a bad plain argument: bits outside 2..16, p outside (0, 100],
//                                 alpha or beta non-finite or alpha > beta, a range so wide or
//                                 narrow that its scale is not a finite positive double, or a
//                                 qrange with qmin >= qmax or outside [-32768, 65535].
//   QGEMM_ERROR_INVALID_SCALE     a scale or multiplier that is non-finite or <= 0, or whose
//                                 result cannot be represented: a requant scale that overflows
//                                 float or rounds to 0, a multiplier that needs shift > 30, a
//                                 dequantized value beyond float's range.
//   QGEMM_ERROR_ZERO_POINT_RANGE  params->zero_point outside [params->qmin, params->qmax].
//   QGEMM_ERROR_INVALID_TYPE      a storage type other than U8, S8, U16, S16, or (quantize) one
//                                 that cannot hold [qmin, qmax].
//   QGEMM_ERROR_OUT_OF_MEMORY     percentile could not allocate its copy of |x|.
// Empty data is an error everywhere (SEMANTICS §4 lists it as bad input), quantize and
// dequantize included. Dequantize does not require q to lie in [qmin, qmax]: it computes
// s * (q - z) for any stored value.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "core/buffer.h"
#include "core/error.h"
#include "qgemm/qgemm.h"

namespace {

using qgemm::detail::allocation_permitted;
using qgemm::detail::fail;

// What the 16-bit storage types hold between them: every qrange must fit here.
constexpr int32_t kStorageMin = -32768;
constexpr int32_t kStorageMax = 65535;
constexpr int32_t kMinBits = 2;
constexpr int32_t kMaxBits = 16;

// Smallest magnitude that float32 rounds to infinity: FLT_MAX plus half an ulp (the tie rounds
// to the even neighbour, 2^128). Comparing against it avoids converting an out-of-range double
// to float, which C++ leaves undefined.
constexpr double kFloatOverflowThreshold = 0x1.ffffffp+127;

// Round to nearest, ties to even, independent of the floating-point environment. v - floor(v)
// is exact for every finite double (large ones are integers already), so the tie test is exact.
double round_half_even(double v) {
  const double below = std::floor(v);
  const double fraction = v - below;
  if (fraction > 0.5) return below + 1.0;
  if (fraction < 0.5) return below;
  return std::fmod(below, 2.0) == 0.0 ? below : below + 1.0;
}

// Clamping to integer bounds before rounding gives the same result as rounding first (rounding
// is monotone and leaves integers alone), and it turns an infinite x / s into a bound before
// round_half_even could see it.
double round_half_even_clamped(double v, int32_t lo, int32_t hi) {
  return round_half_even(std::min(std::max(v, static_cast<double>(lo)), static_cast<double>(hi)));
}

qgemm_status reject_non_finite(qgemm_status status, const char* function, const char* name,
                               double value) {
  if (std::isnan(value)) return fail(status, "%s: %s is NaN", function, name);
  return fail(status, "%s: %s = %g is not finite", function, name, value);
}

// Checks a data array: present, non-empty, every element finite.
qgemm_status check_data(const char* function, const char* name, const float* x, size_t n) {
  if (x == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: %s is NULL", function, name);
  if (n == 0) {
    return fail(QGEMM_ERROR_INVALID_DATA, "%s: n = 0: %s is empty", function, name);
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(x[i])) continue;
    if (std::isnan(x[i])) {
      return fail(QGEMM_ERROR_INVALID_DATA, "%s: %s[%zu] is NaN", function, name, i);
    }
    return fail(QGEMM_ERROR_INVALID_DATA, "%s: %s[%zu] = %g is not finite", function, name, i,
                static_cast<double>(x[i]));
  }
  return QGEMM_OK;
}

qgemm_status check_bits(const char* function, int32_t bits) {
  if (bits < kMinBits || bits > kMaxBits) {
    return fail(QGEMM_ERROR_INVALID_ARGUMENT, "%s: bits = %d is outside %d..%d", function,
                static_cast<int>(bits), static_cast<int>(kMinBits), static_cast<int>(kMaxBits));
  }
  return QGEMM_OK;
}

// `owner` prefixes the field names in messages: "range." or "params->".
qgemm_status check_qrange(const char* function, const char* owner, int32_t qmin, int32_t qmax) {
  if (qmin < kStorageMin) {
    return fail(QGEMM_ERROR_INVALID_ARGUMENT, "%s: %sqmin = %d is below %d (16-bit storage)",
                function, owner, static_cast<int>(qmin), static_cast<int>(kStorageMin));
  }
  if (qmax > kStorageMax) {
    return fail(QGEMM_ERROR_INVALID_ARGUMENT, "%s: %sqmax = %d is above %d (16-bit storage)",
                function, owner, static_cast<int>(qmax), static_cast<int>(kStorageMax));
  }
  if (qmin >= qmax) {
    return fail(QGEMM_ERROR_INVALID_ARGUMENT, "%s: %sqmin = %d must be < %sqmax = %d", function,
                owner, static_cast<int>(qmin), owner, static_cast<int>(qmax));
  }
  return QGEMM_OK;
}

qgemm_status check_qparams(const char* function, const qgemm_qparams* params) {
  if (params == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: params is NULL", function);
  if (!std::isfinite(params->scale)) {
    return reject_non_finite(QGEMM_ERROR_INVALID_SCALE, function, "params->scale",
                             params->scale);
  }
  if (!(params->scale > 0.0)) {
    return fail(QGEMM_ERROR_INVALID_SCALE, "%s: params->scale = %.17g is not > 0", function,
                params->scale);
  }
  if (const qgemm_status s = check_qrange(function, "params->", params->qmin, params->qmax)) {
    return s;
  }
  if (params->zero_point < params->qmin || params->zero_point > params->qmax) {
    return fail(QGEMM_ERROR_ZERO_POINT_RANGE,
                "%s: params->zero_point = %d is outside [qmin, qmax] = [%d, %d]", function,
                static_cast<int>(params->zero_point), static_cast<int>(params->qmin),
                static_cast<int>(params->qmax));
  }
  return QGEMM_OK;
}

// The values a storage type holds; false for a type the toolkit does not store into.
bool storage_range(qgemm_type type, int32_t* lo, int32_t* hi) {
  switch (type) {
    case QGEMM_U8: *lo = 0; *hi = 255; return true;
    case QGEMM_S8: *lo = -128; *hi = 127; return true;
    case QGEMM_U16: *lo = 0; *hi = 65535; return true;
    case QGEMM_S16: *lo = -32768; *hi = 32767; return true;
    default: return false;
  }
}

const char* storage_type_name(qgemm_type type) {
  switch (type) {
    case QGEMM_U8: return "QGEMM_U8";
    case QGEMM_S8: return "QGEMM_S8";
    case QGEMM_U16: return "QGEMM_U16";
    case QGEMM_S16: return "QGEMM_S16";
    default: return "?";
  }
}

qgemm_status reject_storage_type(const char* function, const char* name, qgemm_type type) {
  return fail(QGEMM_ERROR_INVALID_TYPE,
              "%s: %s = %d is not a storage type (QGEMM_U8, QGEMM_S8, QGEMM_U16, QGEMM_S16)",
              function, name, static_cast<int>(type));
}

// The affine parameters of [alpha, beta] (alpha <= beta, finite) on `range`. The range is first
// widened to hold 0 so that 0 is exactly representable (zero padding, ReLU outputs). For
// all-zero input the scale is 1 and the zero point is the representable value nearest 0: 0 for
// a signed range, qmin for an unsigned one.
qgemm_status asymmetric_params(const char* function, double alpha, double beta,
                               qgemm_qrange range, qgemm_qparams* out) {
  const double low = std::min(alpha, 0.0);
  const double high = std::max(beta, 0.0);
  qgemm_qparams params;
  params.qmin = range.qmin;
  params.qmax = range.qmax;
  if (high == low) {
    params.scale = 1.0;
    params.zero_point = std::min(std::max(int32_t{0}, range.qmin), range.qmax);
    *out = params;
    return QGEMM_OK;
  }
  params.scale = (high - low) / (static_cast<double>(range.qmax) - range.qmin);
  // Finite doubles can still give an unusable scale: high - low overflows for a range near
  // +-DBL_MAX, and a range of a few subnormals divided by qmax - qmin underflows to 0. Float
  // data, as qgemm_calibrate_asymmetric takes, can do neither.
  if (!std::isfinite(params.scale) || !(params.scale > 0.0)) {
    return fail(QGEMM_ERROR_INVALID_ARGUMENT,
                "%s: the range [alpha, beta] = [%.17g, %.17g] gives scale %.17g, which is not a "
                "finite positive double",
                function, alpha, beta, params.scale);
  }
  // qmin - low/s lies in [qmin, qmax] mathematically (low <= 0, -low <= high - low); the clamp
  // only absorbs the rounding of the division.
  params.zero_point = static_cast<int32_t>(
      round_half_even_clamped(range.qmin - low / params.scale, range.qmin, range.qmax));
  *out = params;
  return QGEMM_OK;
}

// The narrow signed range [-(2^(b-1)-1), 2^(b-1)-1] with z = 0: symmetric about 0, so that
// negating a quantized value never saturates.
qgemm_qparams symmetric_params(double clip, int32_t bits) {
  const int32_t qmax = (int32_t{1} << (bits - 1)) - 1;
  qgemm_qparams params;
  // A percentile interpolated between 0 and a tiny |x| can be a subnormal double whose quotient
  // underflows to 0 (found by fuzz_quant): such a clip is 0 at float precision (NumPy's float32
  // percentile gives 0), so it takes the zero clip's s = 1 rather than an invalid s = 0.
  const double scale = clip / qmax;
  params.scale = clip > 0.0 && scale > 0.0 ? scale : 1.0;
  params.zero_point = 0;
  params.qmin = -qmax;
  params.qmax = qmax;
  return params;
}

double max_abs(const float* x, size_t n) {
  double result = 0.0;
  for (size_t i = 0; i < n; ++i) result = std::max(result, std::fabs(static_cast<double>(x[i])));
  return result;
}

template <typename T>
void quantize_into(const float* x, size_t n, const qgemm_qparams& params, T* out) {
  const double scale = params.scale;
  const double zero_point = params.zero_point;
  for (size_t i = 0; i < n; ++i) {
    // The zero point is added before rounding: for an odd z, rounding x/s alone first would
    // move exact ties to the other neighbour. x / s may be infinite for a tiny s; it clamps.
    const double shifted = static_cast<double>(x[i]) / scale + zero_point;
    out[i] = static_cast<T>(round_half_even_clamped(shifted, params.qmin, params.qmax));
  }
}

// Index of the first q whose dequantized value overflows float, or n if none does.
template <typename T>
size_t first_float_overflow(const T* q, size_t n, double scale, double zero_point) {
  for (size_t i = 0; i < n; ++i) {
    if (std::fabs(scale * (static_cast<double>(q[i]) - zero_point)) >= kFloatOverflowThreshold) {
      return i;
    }
  }
  return n;
}

template <typename T>
void dequantize_into(const T* q, size_t n, double scale, double zero_point, float* out) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(scale * (static_cast<double>(q[i]) - zero_point));
  }
}

}  // namespace

extern "C" {

qgemm_status qgemm_qrange_from_bits(int32_t bits, int32_t is_signed, qgemm_qrange* out) {
  constexpr const char* kFunction = "qgemm_qrange_from_bits";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_bits(kFunction, bits)) return s;
  if (is_signed) {
    out->qmin = -(int32_t{1} << (bits - 1));
    out->qmax = (int32_t{1} << (bits - 1)) - 1;
  } else {
    out->qmin = 0;
    out->qmax = (int32_t{1} << bits) - 1;
  }
  return QGEMM_OK;
}

qgemm_status qgemm_calibrate_asymmetric_range(double alpha, double beta, qgemm_qrange range,
                                              qgemm_qparams* out) {
  constexpr const char* kFunction = "qgemm_calibrate_asymmetric_range";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_qrange(kFunction, "range.", range.qmin, range.qmax)) return s;
  if (!std::isfinite(alpha)) {
    return reject_non_finite(QGEMM_ERROR_INVALID_ARGUMENT, kFunction, "alpha", alpha);
  }
  if (!std::isfinite(beta)) {
    return reject_non_finite(QGEMM_ERROR_INVALID_ARGUMENT, kFunction, "beta", beta);
  }
  if (alpha > beta) {
    return fail(QGEMM_ERROR_INVALID_ARGUMENT, "%s: alpha = %.17g > beta = %.17g", kFunction,
                alpha, beta);
  }
  return asymmetric_params(kFunction, alpha, beta, range, out);
}

qgemm_status qgemm_calibrate_asymmetric(const float* x, size_t n, qgemm_qrange range,
                                        qgemm_qparams* out) {
  constexpr const char* kFunction = "qgemm_calibrate_asymmetric";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_qrange(kFunction, "range.", range.qmin, range.qmax)) return s;
  if (const qgemm_status s = check_data(kFunction, "x", x, n)) return s;
  const auto [min_it, max_it] = std::minmax_element(x, x + n);
  return asymmetric_params(kFunction, *min_it, *max_it, range, out);
}

qgemm_status qgemm_calibrate_symmetric(const float* x, size_t n, int32_t bits,
                                       qgemm_qparams* out) {
  constexpr const char* kFunction = "qgemm_calibrate_symmetric";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_bits(kFunction, bits)) return s;
  if (const qgemm_status s = check_data(kFunction, "x", x, n)) return s;
  *out = symmetric_params(max_abs(x, n), bits);
  return QGEMM_OK;
}

qgemm_status qgemm_calibrate_symmetric_unsigned(const float* x, size_t n, int32_t bits,
                                                qgemm_qparams* out) {
  constexpr const char* kFunction = "qgemm_calibrate_symmetric_unsigned";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_bits(kFunction, bits)) return s;
  if (const qgemm_status s = check_data(kFunction, "x", x, n)) return s;
  // Negative values are expected to be rare noise in one-tailed data (ReLU outputs); they do not
  // widen the range and quantize to 0.
  const double clip = *std::max_element(x, x + n);
  const int32_t qmax = (int32_t{1} << bits) - 1;
  qgemm_qparams params;
  params.scale = clip > 0.0 ? clip / qmax : 1.0;
  params.zero_point = 0;
  params.qmin = 0;
  params.qmax = qmax;
  *out = params;
  return QGEMM_OK;
}

qgemm_status qgemm_calibrate_percentile(const float* x, size_t n, int32_t bits, double p,
                                        qgemm_qparams* out) {
  constexpr const char* kFunction = "qgemm_calibrate_percentile";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_bits(kFunction, bits)) return s;
  if (!(p > 0.0 && p <= 100.0)) {  // also rejects NaN
    return fail(QGEMM_ERROR_INVALID_ARGUMENT, "%s: percentile p = %g is outside (0, 100]",
                kFunction, p);
  }
  if (const qgemm_status s = check_data(kFunction, "x", x, n)) return s;

  // NumPy's default ("linear") percentile: rank = p/100 * (n-1) into the sorted |x|, linear
  // interpolation between the elements at floor(rank) and floor(rank)+1. Only those two order
  // statistics are needed, so nth_element (O(n) average) replaces a full sort; it needs a
  // mutable copy, which costs n floats of memory.
  std::vector<float> magnitudes;
  try {
    if (!allocation_permitted()) throw std::bad_alloc();  // the tests' injected failure
    magnitudes.resize(n);
  } catch (const std::bad_alloc&) {
    return fail(QGEMM_ERROR_OUT_OF_MEMORY, "%s: cannot allocate a copy of |x| (n = %zu floats)",
                kFunction, n);
  }
  for (size_t i = 0; i < n; ++i) magnitudes[i] = std::fabs(x[i]);
  const double rank = p / 100.0 * static_cast<double>(n - 1);
  const size_t lower_index = std::min(static_cast<size_t>(std::floor(rank)), n - 1);
  const double fraction = rank - static_cast<double>(lower_index);
  float* const first = magnitudes.data();
  std::nth_element(first, first + lower_index, first + n);
  const double lower = first[lower_index];
  const double upper =
      lower_index + 1 < n ? *std::min_element(first + lower_index + 1, first + n) : lower;
  // NumPy's _lerp: interpolate from the nearer end, so the result is exact at both ends.
  const double difference = upper - lower;
  const double clip = fraction >= 0.5 ? upper - difference * (1.0 - fraction)
                                      : lower + difference * fraction;
  *out = symmetric_params(clip, bits);
  return QGEMM_OK;
}

qgemm_status qgemm_quantize(const float* x, size_t n, const qgemm_qparams* params,
                            qgemm_type out_type, void* out) {
  constexpr const char* kFunction = "qgemm_quantize";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_qparams(kFunction, params)) return s;
  int32_t type_min = 0, type_max = 0;
  if (!storage_range(out_type, &type_min, &type_max)) {
    return reject_storage_type(kFunction, "out_type", out_type);
  }
  if (params->qmin < type_min || params->qmax > type_max) {
    return fail(QGEMM_ERROR_INVALID_TYPE,
                "%s: out_type = %s holds [%d, %d], not params [qmin, qmax] = [%d, %d]", kFunction,
                storage_type_name(out_type), static_cast<int>(type_min),
                static_cast<int>(type_max), static_cast<int>(params->qmin),
                static_cast<int>(params->qmax));
  }
  if (const qgemm_status s = check_data(kFunction, "x", x, n)) return s;
  switch (out_type) {
    case QGEMM_U8: quantize_into(x, n, *params, static_cast<uint8_t*>(out)); break;
    case QGEMM_S8: quantize_into(x, n, *params, static_cast<int8_t*>(out)); break;
    case QGEMM_U16: quantize_into(x, n, *params, static_cast<uint16_t*>(out)); break;
    case QGEMM_S16: quantize_into(x, n, *params, static_cast<int16_t*>(out)); break;
    default: break;  // rejected above
  }
  return QGEMM_OK;
}

qgemm_status qgemm_dequantize(const void* q, qgemm_type type, size_t n,
                              const qgemm_qparams* params, float* out) {
  constexpr const char* kFunction = "qgemm_dequantize";
  if (q == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: q is NULL", kFunction);
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_qparams(kFunction, params)) return s;
  int32_t type_min = 0, type_max = 0;
  if (!storage_range(type, &type_min, &type_max)) {
    return reject_storage_type(kFunction, "type", type);
  }
  if (n == 0) return fail(QGEMM_ERROR_INVALID_DATA, "%s: n = 0: q is empty", kFunction);

  // A huge (but finite) scale could send s * (q - z) past float's range and write infinities.
  // If even the type's farthest value from z stays finite, no element can overflow and the data
  // need not be scanned; otherwise find the first element that does.
  const double scale = params->scale;
  const double zero_point = params->zero_point;
  const double farthest = std::max(zero_point - type_min, type_max - zero_point);
  if (scale * farthest >= kFloatOverflowThreshold) {
    size_t bad = n;
    switch (type) {
      case QGEMM_U8: bad = first_float_overflow(static_cast<const uint8_t*>(q), n, scale,
                                                zero_point); break;
      case QGEMM_S8: bad = first_float_overflow(static_cast<const int8_t*>(q), n, scale,
                                                zero_point); break;
      case QGEMM_U16: bad = first_float_overflow(static_cast<const uint16_t*>(q), n, scale,
                                                 zero_point); break;
      case QGEMM_S16: bad = first_float_overflow(static_cast<const int16_t*>(q), n, scale,
                                                 zero_point); break;
      default: break;
    }
    if (bad < n) {
      return fail(QGEMM_ERROR_INVALID_SCALE,
                  "%s: params->scale = %.17g is too large: q[%zu] dequantizes beyond float's "
                  "range",
                  kFunction, scale, bad);
    }
  }
  switch (type) {
    case QGEMM_U8: dequantize_into(static_cast<const uint8_t*>(q), n, scale, zero_point, out);
      break;
    case QGEMM_S8: dequantize_into(static_cast<const int8_t*>(q), n, scale, zero_point, out);
      break;
    case QGEMM_U16: dequantize_into(static_cast<const uint16_t*>(q), n, scale, zero_point, out);
      break;
    case QGEMM_S16: dequantize_into(static_cast<const int16_t*>(q), n, scale, zero_point, out);
      break;
    default: break;  // rejected above
  }
  return QGEMM_OK;
}

qgemm_status qgemm_error_report_compute(const float* x, const float* y, size_t n,
                                        qgemm_error_report* out) {
  constexpr const char* kFunction = "qgemm_error_report_compute";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  if (const qgemm_status s = check_data(kFunction, "x", x, n)) return s;
  if (const qgemm_status s = check_data(kFunction, "y", y, n)) return s;
  // Differences and squares of floats are exact or nearly so in double and cannot overflow it
  // (FLT_MAX^2 * n is far below DBL_MAX), so the sums need no compensation for the sizes met.
  double sum_squared_error = 0.0;
  double sum_squared_signal = 0.0;
  double max_abs_error = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double reference = x[i];
    const double error = reference - static_cast<double>(y[i]);
    sum_squared_error += error * error;
    sum_squared_signal += reference * reference;
    max_abs_error = std::max(max_abs_error, std::fabs(error));
  }
  qgemm_error_report report;
  report.sse = sum_squared_error;
  report.mse = sum_squared_error / static_cast<double>(n);
  report.max_abs_error = max_abs_error;
  // No error is a perfect reconstruction (+inf dB) even for an all-zero signal; a zero signal
  // with some error has no signal at all (-inf dB). Neither is left to 0/0.
  if (sum_squared_error == 0.0) {
    report.sqnr_db = INFINITY;
  } else if (sum_squared_signal == 0.0) {
    report.sqnr_db = -INFINITY;
  } else {
    report.sqnr_db = 10.0 * std::log10(sum_squared_signal / sum_squared_error);
  }
  *out = report;
  return QGEMM_OK;
}

qgemm_status qgemm_requant_scale(double a_scale, double b_scale, double c_scale, float* out) {
  constexpr const char* kFunction = "qgemm_requant_scale";
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: out is NULL", kFunction);
  const char* const names[3] = {"a_scale", "b_scale", "c_scale"};
  const double scales[3] = {a_scale, b_scale, c_scale};
  for (int i = 0; i < 3; ++i) {
    if (!std::isfinite(scales[i])) {
      return reject_non_finite(QGEMM_ERROR_INVALID_SCALE, kFunction, names[i], scales[i]);
    }
    if (!(scales[i] > 0.0)) {
      return fail(QGEMM_ERROR_INVALID_SCALE, "%s: %s = %.17g is not > 0", kFunction, names[i],
                  scales[i]);
    }
  }
  // One rounding to float, at the end: rounding sA*sB to float first would double-round.
  const double scale = a_scale * b_scale / c_scale;
  if (scale >= kFloatOverflowThreshold) {
    return fail(QGEMM_ERROR_INVALID_SCALE,
                "%s: a_scale * b_scale / c_scale = %.17g * %.17g / %.17g = %g overflows float",
                kFunction, a_scale, b_scale, c_scale, scale);
  }
  const float rounded = static_cast<float>(scale);
  if (rounded == 0.0f) {
    return fail(QGEMM_ERROR_INVALID_SCALE,
                "%s: a_scale * b_scale / c_scale = %.17g * %.17g / %.17g = %g rounds to 0 in "
                "float",
                kFunction, a_scale, b_scale, c_scale, scale);
  }
  *out = rounded;
  return QGEMM_OK;
}

qgemm_status qgemm_quantize_multiplier(double m, int32_t* multiplier, int32_t* shift) {
  constexpr const char* kFunction = "qgemm_quantize_multiplier";
  if (multiplier == nullptr) {
    return fail(QGEMM_ERROR_NULL_POINTER, "%s: multiplier is NULL", kFunction);
  }
  if (shift == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "%s: shift is NULL", kFunction);
  if (!std::isfinite(m)) return reject_non_finite(QGEMM_ERROR_INVALID_SCALE, kFunction, "m", m);
  // TFLite maps m == 0 to (0, 0); a zero real multiplier means a zero scale somewhere upstream,
  // which the rest of the library rejects, so it is rejected here too.
  if (!(m > 0.0)) {
    return fail(QGEMM_ERROR_INVALID_SCALE, "%s: m = %.17g is not > 0", kFunction, m);
  }
  // TensorFlow Lite's QuantizeMultiplier, step for step: m = fraction * 2^exponent with
  // fraction in [0.5, 1); M0 = round_half_away(fraction * 2^31) (TfLiteRound is std::round,
  // which ignores the rounding mode); a fraction that rounds up to 2^31 is renormalised.
  int exponent = 0;
  const double fraction = std::frexp(m, &exponent);
  int64_t fixed = static_cast<int64_t>(std::round(fraction * 2147483648.0));
  if (fixed == (int64_t{1} << 31)) {
    fixed /= 2;
    ++exponent;
  }
  // The fixed-point epilogue shifts left by at most 30 (SEMANTICS §3c); m >= 2^30 (or just
  // below it, once rounded) would need more.
  if (exponent > 30) {
    return fail(QGEMM_ERROR_INVALID_SCALE,
                "%s: m = %.17g is too large: it needs shift = %d, above the maximum 30 (m must "
                "be below about 2^30)",
                kFunction, m, exponent);
  }
  // Below 2^-32 the result would round to 0 for every int32 accumulator; TFLite returns (0, 0).
  if (exponent < -31) {
    exponent = 0;
    fixed = 0;
  }
  *multiplier = static_cast<int32_t>(fixed);
  *shift = static_cast<int32_t>(exponent);
  return QGEMM_OK;
}

}  // extern "C"

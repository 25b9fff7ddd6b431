#include "core/validate.h"

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/kernel.h"

namespace qgemm::detail {
namespace {

bool type_range(qgemm_type t, int32_t* lo, int32_t* hi) {
  switch (t) {
    case QGEMM_U8: *lo = 0; *hi = 255; return true;
    case QGEMM_S8: *lo = -128; *hi = 127; return true;
    default: return false;
  }
}

// rows x ld elements of `elem` bytes, addressed with int64 and size_t arithmetic, must not
// overflow: (rows - 1) * ld + row_len elements, times elem bytes.
bool extent_fits(int64_t rows, int64_t ld, int64_t row_len, int64_t elem) {
  if (rows == 0 || row_len == 0) return true;
  int64_t last = 0, total = 0, bytes = 0;
  return !__builtin_mul_overflow(rows - 1, ld, &last) &&
         !__builtin_add_overflow(last, row_len, &total) &&
         !__builtin_mul_overflow(total, elem, &bytes) &&
         static_cast<uint64_t>(bytes) <= static_cast<uint64_t>(SIZE_MAX / 2);
}

qgemm_status check_positive_finite(const float* values, int64_t count, const char* name) {
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i]) || !(values[i] > 0.0f))
      return fail(QGEMM_ERROR_INVALID_SCALE, "epilogue %s[%lld] = %g: a scale must be finite and > 0",
                  name, static_cast<long long>(i), static_cast<double>(values[i]));
  }
  return QGEMM_OK;
}

}  // namespace

qgemm_status validate_sizes(int64_t M, int64_t N, int64_t K) {
  if (M < 0) return fail(QGEMM_ERROR_INVALID_SIZE, "M = %lld is negative", (long long)M);
  if (N < 0) return fail(QGEMM_ERROR_INVALID_SIZE, "N = %lld is negative", (long long)N);
  if (K < 0) return fail(QGEMM_ERROR_INVALID_SIZE, "K = %lld is negative", (long long)K);
  // Internal index arithmetic is size_t; keep every dimension well inside it and int32 tiles.
  const int64_t limit = int64_t{1} << 40;
  if (M > limit || N > limit || K > limit)
    return fail(QGEMM_ERROR_INVALID_SIZE, "M = %lld, N = %lld, K = %lld: a dimension exceeds 2^40",
                (long long)M, (long long)N, (long long)K);
  return QGEMM_OK;
}

qgemm_status validate_operand(char which, const qgemm_operand* x, int64_t rows, int64_t cols) {
  if (x == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "operand %c is NULL", which);
  int32_t lo = 0, hi = 0;
  if (!type_range(x->type, &lo, &hi))
    return fail(QGEMM_ERROR_INVALID_TYPE, "%c.type = %d: operands must be QGEMM_U8 or QGEMM_S8",
                which, static_cast<int>(x->type));
  if (x->trans != QGEMM_NO_TRANS && x->trans != QGEMM_TRANS)
    return fail(QGEMM_ERROR_INVALID_TYPE, "%c.trans = %d is not QGEMM_NO_TRANS or QGEMM_TRANS",
                which, static_cast<int>(x->trans));
  // Stored shape: A is M x K (K x M transposed); B is K x N (N x K transposed).
  const bool a = which == 'A';
  const bool stored_as_op = (x->trans == QGEMM_NO_TRANS);
  const int64_t stored_rows = stored_as_op ? rows : cols;
  const int64_t row_len = stored_as_op ? cols : rows;
  const char* ld_name = a ? "lda" : "ldb";
  const char* len_name = a ? (stored_as_op ? "K" : "M") : (stored_as_op ? "N" : "K");
  if (x->ld < row_len)
    return fail(QGEMM_ERROR_INVALID_STRIDE, "%s = %lld is smaller than the stored row length %s = %lld",
                ld_name, (long long)x->ld, len_name, (long long)row_len);
  if (!extent_fits(stored_rows, x->ld, row_len, 1))
    return fail(QGEMM_ERROR_INVALID_SIZE, "operand %c: %lld rows of %s = %lld overflow the address range",
                which, (long long)stored_rows, ld_name, (long long)x->ld);
  if (x->data == nullptr && rows > 0 && cols > 0)
    return fail(QGEMM_ERROR_NULL_POINTER, "%c.data is NULL", which);

  const char* zp_dim = a ? "row of op(A)" : "column of op(B)";
  if (x->zero_points != nullptr) {
    const int64_t count = a ? rows : cols;
    for (int64_t i = 0; i < count; ++i) {
      if (x->zero_points[i] < lo || x->zero_points[i] > hi)
        return fail(QGEMM_ERROR_ZERO_POINT_RANGE,
                    "%c.zero_points[%lld] = %d (per %s) is outside [%d, %d]", which,
                    (long long)i, x->zero_points[i], zp_dim, lo, hi);
    }
  } else if (x->zero_point < lo || x->zero_point > hi) {
    return fail(QGEMM_ERROR_ZERO_POINT_RANGE, "%c.zero_point = %d is outside [%d, %d]", which,
                x->zero_point, lo, hi);
  }
  return QGEMM_OK;
}

qgemm_status validate_epilogue(const qgemm_epilogue* e, int64_t M, int64_t N) {
  if (e == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "epilogue is NULL");
  switch (e->output) {
    case QGEMM_OUTPUT_S32:
      return QGEMM_OK;
    case QGEMM_OUTPUT_REQUANT_FLOAT:
    case QGEMM_OUTPUT_REQUANT_FIXED: {
      int32_t lo = 0, hi = 0;
      if (!type_range(e->out_type, &lo, &hi))
        return fail(QGEMM_ERROR_INVALID_TYPE,
                    "epilogue out_type = %d: requantization writes QGEMM_U8 or QGEMM_S8",
                    static_cast<int>(e->out_type));
      if (e->out_zero_point < lo || e->out_zero_point > hi)
        return fail(QGEMM_ERROR_ZERO_POINT_RANGE, "epilogue out_zero_point = %d is outside [%d, %d]",
                    e->out_zero_point, lo, hi);
      if (e->out_min < lo || e->out_min > hi || e->out_max < lo || e->out_max > hi ||
          e->out_min > e->out_max)
        return fail(QGEMM_ERROR_INVALID_ARGUMENT,
                    "epilogue clamp [out_min, out_max] = [%d, %d] must be ordered and within [%d, %d]",
                    e->out_min, e->out_max, lo, hi);
      if (e->output == QGEMM_OUTPUT_REQUANT_FLOAT) {
        if (e->scale == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "epilogue scale is NULL");
        return check_positive_finite(e->scale, e->scale_per_column ? N : 1, "scale");
      }
      if (e->multiplier == nullptr)
        return fail(QGEMM_ERROR_NULL_POINTER, "epilogue multiplier is NULL");
      if (e->shift == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "epilogue shift is NULL");
      const int64_t count = e->multiplier_per_column ? N : 1;
      for (int64_t i = 0; i < count; ++i) {
        if (e->multiplier[i] < 0)
          return fail(QGEMM_ERROR_INVALID_SCALE, "epilogue multiplier[%lld] = %d is negative",
                      (long long)i, e->multiplier[i]);
        if (e->shift[i] < -31 || e->shift[i] > 30)
          return fail(QGEMM_ERROR_INVALID_ARGUMENT, "epilogue shift[%lld] = %d is outside [-31, 30]",
                      (long long)i, e->shift[i]);
      }
      return QGEMM_OK;
    }
    case QGEMM_OUTPUT_F32: {
      if (e->a_scale == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "epilogue a_scale is NULL");
      if (e->b_scale == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "epilogue b_scale is NULL");
      QGEMM_RETURN_IF_ERROR(check_positive_finite(e->a_scale, e->a_scale_per_row ? M : 1, "a_scale"));
      QGEMM_RETURN_IF_ERROR(check_positive_finite(e->b_scale, e->b_scale_per_column ? N : 1, "b_scale"));
      if (e->bias_f32 != nullptr) {
        for (int64_t i = 0; i < N; ++i)
          if (!std::isfinite(e->bias_f32[i]))
            return fail(QGEMM_ERROR_INVALID_ARGUMENT, "epilogue bias_f32[%lld] = %g is not finite",
                        (long long)i, static_cast<double>(e->bias_f32[i]));
      }
      if (std::isnan(e->f32_min) || std::isnan(e->f32_max) || e->f32_min > e->f32_max)
        return fail(QGEMM_ERROR_INVALID_ARGUMENT,
                    "epilogue clamp [f32_min, f32_max] = [%g, %g] must be ordered numbers",
                    static_cast<double>(e->f32_min), static_cast<double>(e->f32_max));
      return QGEMM_OK;
    }
    default:
      break;
  }
  return fail(QGEMM_ERROR_INVALID_TYPE, "epilogue output = %d is not a qgemm_output",
              static_cast<int>(e->output));
}

qgemm_status validate_output(const void* C, int64_t ldc, int64_t M, int64_t N,
                             const qgemm_epilogue& e) {
  if (ldc < N)
    return fail(QGEMM_ERROR_INVALID_STRIDE, "ldc = %lld is smaller than N = %lld", (long long)ldc,
                (long long)N);
  const int64_t elem = static_cast<int64_t>(output_elem_bytes(e.output));
  if (!extent_fits(M, ldc, N, elem))
    return fail(QGEMM_ERROR_INVALID_SIZE, "C: %lld rows of ldc = %lld overflow the address range",
                (long long)M, (long long)ldc);
  if (C == nullptr && M > 0 && N > 0) return fail(QGEMM_ERROR_NULL_POINTER, "C is NULL");
  return QGEMM_OK;
}

qgemm_status validate_context(const qgemm_context* ctx) {
  if (ctx == nullptr) return QGEMM_OK;
  if (ctx->num_threads < 0 || ctx->num_threads > 4096)
    return fail(QGEMM_ERROR_INVALID_ARGUMENT,
                "context num_threads = %d is outside [0, 4096] (0 = the default)",
                static_cast<int>(ctx->num_threads));
  if (ctx->min_macs_per_task < 0)
    return fail(QGEMM_ERROR_INVALID_ARGUMENT,
                "context min_macs_per_task = %lld is negative (0 = the default)",
                static_cast<long long>(ctx->min_macs_per_task));
  return QGEMM_OK;
}

}  // namespace qgemm::detail

// The C API entry points: validate everything, then hand over to the driver. Validation happens
// before the first byte of C (or of an output object) is written, so a rejected call leaves
// every output untouched.
#include <cmath>
#include <new>

#include "core/buffer.h"
#include "core/dispatch.h"
#include "core/driver.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/validate.h"

using namespace qgemm::detail;

namespace {

qgemm_epilogue base_epilogue(qgemm_output output) {
  qgemm_epilogue e{};
  e.output = output;
  e.out_type = QGEMM_S8;
  e.out_min = -128;
  e.out_max = 127;
  e.f32_min = -HUGE_VALF;
  e.f32_max = HUGE_VALF;
  return e;
}

void set_requant_type(qgemm_epilogue& e, qgemm_type out_type) {
  e.out_type = out_type;
  e.out_min = out_type == QGEMM_U8 ? 0 : -128;
  e.out_max = out_type == QGEMM_U8 ? 255 : 127;
}

}  // namespace

namespace qgemm::detail {

qgemm_status new_packed_b(const gemm_kernel& k, int64_t K, int64_t N, const qgemm_operand* b,
                          qgemm_packed_b** out) {
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `out` is NULL");
  QGEMM_RETURN_IF_ERROR(validate_sizes(0, N, K));
  QGEMM_RETURN_IF_ERROR(validate_operand('B', b, K, N));
  auto* packed = allocation_permitted() ? new (std::nothrow) qgemm_packed_b : nullptr;
  if (packed == nullptr) return fail(QGEMM_ERROR_OUT_OF_MEMORY, "cannot allocate a packed B");
  const qgemm_status s = pack_b(k, static_cast<size_t>(K), static_cast<size_t>(N), *b, *packed);
  if (s != QGEMM_OK) {
    delete packed;
    return s;
  }
  *out = packed;
  return QGEMM_OK;
}

}  // namespace qgemm::detail

extern "C" {

qgemm_epilogue qgemm_epilogue_s32(const int32_t* bias) {
  qgemm_epilogue e = base_epilogue(QGEMM_OUTPUT_S32);
  e.out_type = QGEMM_S32;
  e.bias = bias;
  return e;
}

qgemm_epilogue qgemm_epilogue_requant_float(qgemm_type out_type, const float* scale,
                                            int32_t scale_per_column, int32_t out_zero_point,
                                            const int32_t* bias) {
  qgemm_epilogue e = base_epilogue(QGEMM_OUTPUT_REQUANT_FLOAT);
  set_requant_type(e, out_type);
  e.scale = scale;
  e.scale_per_column = scale_per_column;
  e.out_zero_point = out_zero_point;
  e.bias = bias;
  return e;
}

qgemm_epilogue qgemm_epilogue_requant_fixed(qgemm_type out_type, const int32_t* multiplier,
                                            const int32_t* shift, int32_t per_column,
                                            int32_t out_zero_point, const int32_t* bias) {
  qgemm_epilogue e = base_epilogue(QGEMM_OUTPUT_REQUANT_FIXED);
  set_requant_type(e, out_type);
  e.multiplier = multiplier;
  e.shift = shift;
  e.multiplier_per_column = per_column;
  e.out_zero_point = out_zero_point;
  e.bias = bias;
  return e;
}

qgemm_epilogue qgemm_epilogue_f32(const float* a_scale, int32_t a_scale_per_row,
                                  const float* b_scale, int32_t b_scale_per_column,
                                  const float* bias_f32) {
  qgemm_epilogue e = base_epilogue(QGEMM_OUTPUT_F32);
  e.out_type = QGEMM_F32;
  e.a_scale = a_scale;
  e.a_scale_per_row = a_scale_per_row;
  e.b_scale = b_scale;
  e.b_scale_per_column = b_scale_per_column;
  e.bias_f32 = bias_f32;
  return e;
}

qgemm_status qgemm_gemm(int64_t M, int64_t N, int64_t K, const qgemm_operand* a,
                        const qgemm_operand* b, const qgemm_epilogue* epilogue, void* C,
                        int64_t ldc) {
  return qgemm_gemm_ctx(nullptr, M, N, K, a, b, epilogue, C, ldc);
}

qgemm_status qgemm_gemm_ctx(const qgemm_context* ctx, int64_t M, int64_t N, int64_t K,
                            const qgemm_operand* a, const qgemm_operand* b,
                            const qgemm_epilogue* epilogue, void* C, int64_t ldc) {
  QGEMM_RETURN_IF_ERROR(validate_context(ctx));
  QGEMM_RETURN_IF_ERROR(validate_sizes(M, N, K));
  QGEMM_RETURN_IF_ERROR(validate_operand('A', a, M, K));
  QGEMM_RETURN_IF_ERROR(validate_operand('B', b, K, N));
  QGEMM_RETURN_IF_ERROR(validate_epilogue(epilogue, M, N));
  QGEMM_RETURN_IF_ERROR(validate_output(C, ldc, M, N, *epilogue));
  const gemm_kernel* k = nullptr;
  QGEMM_RETURN_IF_ERROR(selected_kernel(&k));
  if (M == 0 || N == 0) return QGEMM_OK;
  qgemm_packed_b& scratch = thread_scratch_packed_b();
  QGEMM_RETURN_IF_ERROR(pack_b(*k, static_cast<size_t>(K), static_cast<size_t>(N), *b, scratch));
  return gemm_packed(static_cast<size_t>(M), *a, scratch, *epilogue, C, static_cast<size_t>(ldc),
                     resolve_threads(ctx));
}

qgemm_status qgemm_pack_b(int64_t K, int64_t N, const qgemm_operand* b, qgemm_packed_b** out) {
  const gemm_kernel* k = nullptr;
  QGEMM_RETURN_IF_ERROR(selected_kernel(&k));
  return new_packed_b(*k, K, N, b, out);
}

qgemm_status qgemm_pack_b_for_isa(qgemm_isa isa, int64_t K, int64_t N, const qgemm_operand* b,
                                  qgemm_packed_b** out) {
  const gemm_kernel* k = nullptr;
  QGEMM_RETURN_IF_ERROR(available_kernel(isa, &k));
  return new_packed_b(*k, K, N, b, out);
}

void qgemm_packed_b_destroy(qgemm_packed_b* packed) { delete packed; }

qgemm_status qgemm_packed_b_get_info(const qgemm_packed_b* packed, qgemm_packed_b_info* info) {
  if (packed == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "packed B is NULL");
  if (info == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `info` is NULL");
  info->K = packed->K;
  info->N = packed->N;
  info->type = packed->type;
  info->trans = packed->trans;
  info->zero_point_per_column = packed->zero_point_per_column;
  info->isa = packed->kernel->isa;
  info->kernel = packed->kernel->name;
  info->bytes = packed->bytes;
  return QGEMM_OK;
}

qgemm_status qgemm_gemm_packed(int64_t M, int64_t N, int64_t K, const qgemm_operand* a,
                               qgemm_type b_type, const qgemm_packed_b* b,
                               const qgemm_epilogue* epilogue, void* C, int64_t ldc) {
  return qgemm_gemm_packed_ctx(nullptr, M, N, K, a, b_type, b, epilogue, C, ldc);
}

qgemm_status qgemm_gemm_packed_ctx(const qgemm_context* ctx, int64_t M, int64_t N, int64_t K,
                                   const qgemm_operand* a, qgemm_type b_type,
                                   const qgemm_packed_b* b, const qgemm_epilogue* epilogue,
                                   void* C, int64_t ldc) {
  QGEMM_RETURN_IF_ERROR(validate_context(ctx));
  QGEMM_RETURN_IF_ERROR(validate_sizes(M, N, K));
  if (b == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "packed B is NULL");
  if (N != b->N || K != b->K || b_type != b->type)
    return fail(QGEMM_ERROR_PACKED_MISMATCH,
                "packed B holds K = %lld, N = %lld, type %s; the call asks for K = %lld, N = %lld, "
                "type %s",
                (long long)b->K, (long long)b->N, b->type == QGEMM_U8 ? "u8" : "s8", (long long)K,
                (long long)N, b_type == QGEMM_U8 ? "u8" : (b_type == QGEMM_S8 ? "s8" : "other"));
  QGEMM_RETURN_IF_ERROR(validate_operand('A', a, M, K));
  QGEMM_RETURN_IF_ERROR(validate_epilogue(epilogue, M, N));
  QGEMM_RETURN_IF_ERROR(validate_output(C, ldc, M, N, *epilogue));
  return gemm_packed(static_cast<size_t>(M), *a, *b, *epilogue, C, static_cast<size_t>(ldc),
                     resolve_threads(ctx));
}

qgemm_context qgemm_context_default(void) {
  qgemm_context c{};
  c.num_threads = 0;
  c.parallel_for = nullptr;
  c.pool = nullptr;
  c.min_macs_per_task = 0;
  return c;
}

void qgemm_release_thread_workspace(void) { release_thread_workspace(); }

}  // extern "C"

/*
 * qgemm — int8 x int8 -> int32 matrix multiplication for quantized inference.
 *
 * This is the stable C API: plain structs, enums and status codes, usable from C, C++ and any
 * FFI. The arithmetic is fixed to the bit by the project's contract (docs/numerics.md restates
 * it); every kernel on every instruction set returns exactly what the scalar reference returns.
 *
 * Errors. Every function that can fail returns a qgemm_status. On failure it writes nothing to
 * its outputs and records a message that names the offending argument; qgemm_last_error()
 * returns that message for the calling thread (it stays valid until the thread's next failing
 * call). Success does not clear it.
 *
 * Threads. Every function may be called from many threads at once. A packed B is immutable
 * after qgemm_pack_b returns and may be shared by any number of concurrent GEMMs. One GEMM may
 * itself use several threads (OpenMP, or the caller's pool): see qgemm_context below.
 *
 * Memory. A GEMM packs A into a per-thread workspace that is allocated on the thread's first
 * call and grown only when a larger problem arrives, so steady-state calls do not allocate.
 * A threaded call keeps every task's share in the calling thread's workspace.
 * qgemm_release_thread_workspace() returns it; thread exit frees it.
 */
#ifndef QGEMM_QGEMM_H
#define QGEMM_QGEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------------------------- */
typedef enum qgemm_status {
  QGEMM_OK = 0,
  QGEMM_ERROR_NULL_POINTER = 1,     /* a pointer that must hold data is NULL */
  QGEMM_ERROR_INVALID_SIZE = 2,     /* a negative size, or sizes whose byte count overflows */
  QGEMM_ERROR_INVALID_STRIDE = 3,   /* a leading dimension smaller than its row length */
  QGEMM_ERROR_INVALID_TYPE = 4,     /* an element type or enum value this call does not take */
  QGEMM_ERROR_ZERO_POINT_RANGE = 5, /* a zero point outside its element type's range */
  QGEMM_ERROR_INVALID_SCALE = 6,    /* a scale that is non-finite or not positive */
  QGEMM_ERROR_INVALID_ARGUMENT = 7, /* any other bad value (clamp bounds, bits, percentile...) */
  QGEMM_ERROR_INVALID_DATA = 8,     /* empty data, or a NaN/Inf in data to calibrate; a
                                       packed-B blob that is truncated, corrupted or of an
                                       unknown format */
  QGEMM_ERROR_PACKED_MISMATCH = 9,  /* a packed B used with another K, N or type */
  QGEMM_ERROR_UNSUPPORTED_ISA = 10, /* an unknown ISA name, or one this build/CPU cannot run */
  QGEMM_ERROR_OUT_OF_MEMORY = 11
} qgemm_status;

/* The message of the calling thread's last failure ("" if none). Never NULL. */
const char* qgemm_last_error(void);
/* A fixed name for a status, e.g. "QGEMM_ERROR_NULL_POINTER". Never NULL. */
const char* qgemm_status_name(qgemm_status status);

/* ---------------------------------------------------------------------------------------------
 * Element types and operands
 *
 * The *_FORCE_INT32_ enumerators are not values to pass: they make each enum a 32-bit signed
 * type in which every int is a valid value, so that a wrong number from C or an FFI is rejected
 * with a clear error instead of being undefined behaviour in the library's C++.
 * ------------------------------------------------------------------------------------------- */
typedef enum qgemm_type {
  QGEMM_U8 = 0,
  QGEMM_S8 = 1,
  QGEMM_S32 = 2, /* output of the int32 epilogue */
  QGEMM_F32 = 3, /* output of the float32 epilogue */
  QGEMM_U16 = 4, /* quantization toolkit only */
  QGEMM_S16 = 5, /* quantization toolkit only */
  QGEMM_TYPE_FORCE_INT32_ = -0x7fffffff - 1 /* see below */
} qgemm_type;

typedef enum qgemm_transpose {
  QGEMM_NO_TRANS = 0, /* op(X) = X */
  QGEMM_TRANS = 1,    /* op(X) = X^T: A stored K x M, B stored N x K */
  QGEMM_TRANSPOSE_FORCE_INT32_ = -0x7fffffff - 1
} qgemm_transpose;

/*
 * One input matrix. A is op(A) of size M x K, B is op(B) of size K x N; storage is row-major
 * with leading dimension `ld` in elements (ld >= stored row length). The zero point is one value
 * (`zero_point`) or, when `zero_points` is not NULL, one per row of op(A) (length M) or one per
 * column of op(B) (length N). Zero points lie in the element type's range.
 */
typedef struct qgemm_operand {
  qgemm_type type;             /* QGEMM_U8 or QGEMM_S8 */
  qgemm_transpose trans;
  const void* data;
  int64_t ld;
  int32_t zero_point;          /* per tensor (used when zero_points == NULL) */
  const int32_t* zero_points;  /* per row of op(A) / per column of op(B), or NULL */
} qgemm_operand;

/* ---------------------------------------------------------------------------------------------
 * Epilogues: what is written to C (exactly one per call). acc[m][n] is the exact dot product of
 * the zero-point-corrected inputs, reduced modulo 2^32 to int32.
 * ------------------------------------------------------------------------------------------- */
typedef enum qgemm_output {
  /* C (int32) = acc + bias[n]                                   (ONNX MatMulInteger) */
  QGEMM_OUTPUT_S32 = 0,
  /* C (int8/uint8) = clamp(nearbyint(float(acc + bias[n]) * scale[n])...) + zc
   *                                                             (ONNX QLinearMatMul) */
  QGEMM_OUTPUT_REQUANT_FLOAT = 1,
  /* C (int8/uint8) = clamp(zc + MultiplyByQuantizedMultiplier(acc + bias[n], M0[n], shift[n]))
   *                                                             (TensorFlow Lite reference) */
  QGEMM_OUTPUT_REQUANT_FIXED = 2,
  /* C (float32) = clamp(fmaf(float(acc), sA[m] * sB[n], bias[n]))  (dynamic quantization) */
  QGEMM_OUTPUT_F32 = 3,
  QGEMM_OUTPUT_FORCE_INT32_ = -0x7fffffff - 1
} qgemm_output;

/*
 * Every field not used by the chosen output is ignored. Arrays marked "per column" hold N
 * values when their *_per_column flag is non-zero and 1 value otherwise; likewise per row.
 * Start from one of the qgemm_epilogue_* initialisers below and set what you need.
 */
typedef struct qgemm_epilogue {
  qgemm_output output;
  qgemm_type out_type;          /* REQUANT_*: QGEMM_U8 or QGEMM_S8 */

  const int32_t* bias;          /* S32, REQUANT_*: int32 per column, or NULL for none */

  const float* scale;           /* REQUANT_FLOAT: sA*sB/sC, finite and > 0 */
  int32_t scale_per_column;

  const int32_t* multiplier;    /* REQUANT_FIXED: M0 in [0, 2^31) */
  const int32_t* shift;         /* REQUANT_FIXED: in [-31, 30]; > 0 shifts left */
  int32_t multiplier_per_column;

  int32_t out_zero_point;       /* REQUANT_*: zc, in out_type's range */
  int32_t out_min, out_max;     /* REQUANT_*: clamp, out_type's range by default, min <= max */

  const float* a_scale;         /* F32: sA per tensor, or per row of op(A) */
  int32_t a_scale_per_row;
  const float* b_scale;         /* F32: sB per tensor, or per column of op(B) */
  int32_t b_scale_per_column;
  const float* bias_f32;        /* F32: float per column, or NULL for none */
  float f32_min, f32_max;       /* F32: clamp; -INFINITY / +INFINITY for none */
} qgemm_epilogue;

/* Initialisers: every optional pointer NULL, clamps set to the full range. */
qgemm_epilogue qgemm_epilogue_s32(const int32_t* bias);
qgemm_epilogue qgemm_epilogue_requant_float(qgemm_type out_type, const float* scale,
                                            int32_t scale_per_column, int32_t out_zero_point,
                                            const int32_t* bias);
qgemm_epilogue qgemm_epilogue_requant_fixed(qgemm_type out_type, const int32_t* multiplier,
                                            const int32_t* shift, int32_t per_column,
                                            int32_t out_zero_point, const int32_t* bias);
qgemm_epilogue qgemm_epilogue_f32(const float* a_scale, int32_t a_scale_per_row,
                                  const float* b_scale, int32_t b_scale_per_column,
                                  const float* bias_f32);

/* ---------------------------------------------------------------------------------------------
 * GEMM
 * ------------------------------------------------------------------------------------------- */

/*
 * One-shot: C[M x N] = epilogue(op(A) * op(B)). C points to M rows of ldc elements of the
 * epilogue's output type (int32, int8/uint8 or float). M or N == 0 writes nothing; K == 0 runs
 * the epilogue on acc = 0. Uses the selected kernel (qgemm_selected_isa).
 * Rejects: NULL a/b/epilogue/C (and NULL data when M*K or K*N > 0), negative M/N/K or one
 * above 2^40, lda/ldb smaller than the stored row length, ldc < N, types other than U8/S8 and
 * transposes other than the two, zero points out of range, bad epilogue fields (an unknown
 * output or out_type; NULL, non-finite or non-positive scales; a negative multiplier or a shift
 * outside [-31, 30]; a non-finite bias_f32; clamp bounds out of range or reversed), sizes whose
 * byte counts overflow, and a QGEMM_ISA that names no usable level.
 */
qgemm_status qgemm_gemm(int64_t M, int64_t N, int64_t K, const qgemm_operand* a,
                        const qgemm_operand* b, const qgemm_epilogue* epilogue, void* C,
                        int64_t ldc);

/*
 * Packed weights: B (K x N after op) is packed once, with its column sums and zero points,
 * for one kernel. The object is immutable and thread-safe to share.
 */
typedef struct qgemm_packed_b qgemm_packed_b;

/* Packs for the selected kernel. `b->data` is read only during the call. */
qgemm_status qgemm_pack_b(int64_t K, int64_t N, const qgemm_operand* b, qgemm_packed_b** out);
void qgemm_packed_b_destroy(qgemm_packed_b* packed); /* NULL is a no-op */

typedef struct qgemm_packed_b_info {
  int64_t K, N;
  qgemm_type type;        /* B's element type as given */
  qgemm_transpose trans;  /* B's layout as given */
  int32_t zero_point_per_column;
  int32_t isa;            /* a qgemm_isa */
  const char* kernel;     /* name of the microkernel the panels were packed for */
  size_t bytes;           /* memory held by the object */
} qgemm_packed_b_info;
qgemm_status qgemm_packed_b_get_info(const qgemm_packed_b* packed, qgemm_packed_b_info* info);

/*
 * C[M x N] = epilogue(op(A) * B) with a packed B. N, K and b_type must equal the packed ones
 * (QGEMM_ERROR_PACKED_MISMATCH otherwise): they are repeated so that a caller who swapped two
 * weights is told, not silently given the wrong product.
 */
qgemm_status qgemm_gemm_packed(int64_t M, int64_t N, int64_t K, const qgemm_operand* a,
                               qgemm_type b_type, const qgemm_packed_b* b,
                               const qgemm_epilogue* epilogue, void* C, int64_t ldc);

/*
 * Packed weights as bytes: a packed B written to a caller's buffer (a "blob", e.g. to store in
 * a model file) and loaded back, so a runtime packs once and maps the result later. The blob
 * holds a versioned header (format version, the library version that wrote it), the kernel it
 * was packed for (name, ISA level, tile, packed element types), K, N, B's type, transpose and
 * zero-point mode, the panels with their column sums and zero points, and an FNV-1a 64
 * checksum of all of it. Its layout is fixed (little-endian) and documented in docs/api.md.
 *
 * A blob is only usable by the kernel it was packed for, and it does not hold the original B,
 * so it cannot be repacked for another ISA: loading a blob whose kernel this library does not
 * have, or that this CPU/OS cannot run, fails with QGEMM_ERROR_UNSUPPORTED_ISA and a message
 * naming the blob's kernel and level and this machine's best level. Keep B (or a blob per ISA
 * level) to serve machines of several kinds.
 */
/* The exact size in bytes of the blob of `packed`. Rejects NULL arguments. */
qgemm_status qgemm_packed_b_serialized_size(const qgemm_packed_b* packed, size_t* size);
/* Writes the blob of `packed` to buffer[0 .. size) and sets *written (if not NULL) to its size.
 * Rejects NULL packed/buffer, and a capacity below the size (QGEMM_ERROR_INVALID_SIZE; nothing
 * is written then). */
qgemm_status qgemm_packed_b_serialize(const qgemm_packed_b* packed, void* buffer,
                                      size_t capacity, size_t* written);
/* Creates a packed B from a blob of exactly `size` bytes (the data is copied; it may be freed
 * after the call). Nothing in it is trusted. Rejects NULL data/out; with
 * QGEMM_ERROR_INVALID_DATA a blob that is truncated, has trailing bytes, lacks the magic, has
 * another format version, fails its checksum, or holds an invalid field or value; with
 * QGEMM_ERROR_UNSUPPORTED_ISA a blob packed for a kernel not built in or not runnable here;
 * QGEMM_ERROR_OUT_OF_MEMORY. On failure *out is not written. */
qgemm_status qgemm_packed_b_load(const void* data, size_t size, qgemm_packed_b** out);

/* Frees the calling thread's cached workspace (the next call allocates it again). */
void qgemm_release_thread_workspace(void);

/* ---------------------------------------------------------------------------------------------
 * Threads (docs/threading.md). One GEMM may run on several threads: its tiles of C are cut
 * into tasks by a cost model (small M splits N, large M splits M and N; K is split only when C
 * has fewer tiles than there are threads). Every cut gives bit-identical results: each output
 * element comes from the same exact int32 sum and the same epilogue, whatever the thread count.
 *
 * A context says how many threads and whose: OpenMP's (the default; with a build without
 * OpenMP, the calling thread only) or the caller's own pool through parallel_for. The calls
 * without a context (qgemm_gemm, qgemm_gemm_packed) use the default context. Nothing about
 * threads is global: two callers with different contexts never affect each other.
 * ------------------------------------------------------------------------------------------- */

/* One task of a GEMM: runs task number `task` of the call; `arg` is the library's. */
typedef void (*qgemm_task_fn)(void* arg, size_t task);

/*
 * A caller-supplied thread pool. It must call task(arg, i) exactly once for every i in
 * [0, n_tasks) and return only when every call has returned. The calls may run in any order,
 * on any threads (the calling thread included), any number at once or one after another: tasks
 * never wait for each other, so a busy or single-threaded pool is slower, never deadlocked.
 * Tasks do not fail and do not throw. `pool` is qgemm_context.pool, passed through. The library
 * calls it only with n_tasks >= 2 and at most num_threads.
 */
typedef void (*qgemm_parallel_for_fn)(void* pool, size_t n_tasks, qgemm_task_fn task,
                                      void* arg);

typedef struct qgemm_context {
  /* Threads (tasks at once) per call: 1 = the calling thread only; 0 = the default,
   * qgemm_default_num_threads(). In [0, 4096]. With OpenMP (parallel_for NULL), a call made
   * inside an OpenMP parallel region runs on the calling thread only, whatever this says. */
  int32_t num_threads;
  /* NULL: OpenMP. Otherwise the pool that runs the tasks, with `pool` as its first argument. */
  qgemm_parallel_for_fn parallel_for;
  void* pool;
  /* A GEMM is cut into no more tasks than it has multiply-adds / this; 0 = the library's
   * default (2^20, about 5-10 us of work). Small values force threading on tiny GEMMs (tests). */
  int64_t min_macs_per_task;
} qgemm_context;

/* The default context: num_threads 0, OpenMP, default task size. */
qgemm_context qgemm_context_default(void);
/* OpenMP's omp_get_max_threads() (OMP_NUM_THREADS), or the hardware's thread count in a build
 * without OpenMP. */
int32_t qgemm_default_num_threads(void);

/*
 * qgemm_gemm and qgemm_gemm_packed with a context (NULL = the default context). They reject
 * what those reject, and a context with num_threads outside [0, 4096] or a negative
 * min_macs_per_task (QGEMM_ERROR_INVALID_ARGUMENT). A failing call writes nothing to C, with
 * any number of threads: everything that can fail (checks, workspace) happens before any task
 * starts.
 */
qgemm_status qgemm_gemm_ctx(const qgemm_context* ctx, int64_t M, int64_t N, int64_t K,
                            const qgemm_operand* a, const qgemm_operand* b,
                            const qgemm_epilogue* epilogue, void* C, int64_t ldc);
qgemm_status qgemm_gemm_packed_ctx(const qgemm_context* ctx, int64_t M, int64_t N, int64_t K,
                                   const qgemm_operand* a, qgemm_type b_type,
                                   const qgemm_packed_b* b, const qgemm_epilogue* epilogue,
                                   void* C, int64_t ldc);

/* ---------------------------------------------------------------------------------------------
 * Dispatch: ISA levels, lowest first. The selected level is the best one that is built in and
 * that the CPU and OS support, unless the environment variable QGEMM_ISA names another one
 * (read once, on first use) or qgemm_set_isa() forces one.
 * ------------------------------------------------------------------------------------------- */
typedef enum qgemm_isa {
  QGEMM_ISA_SCALAR = 0,
  QGEMM_ISA_AVX2 = 1,
  QGEMM_ISA_AVX512BW = 2,
  QGEMM_ISA_AVXVNNI = 3,
  QGEMM_ISA_AVX512VNNI = 4,
  QGEMM_ISA_NEON = 5,
  QGEMM_ISA_NEONDOT = 6,
  QGEMM_ISA_I8MM = 7,
  QGEMM_ISA_COUNT = 8,
  QGEMM_ISA_FORCE_INT32_ = -0x7fffffff - 1
} qgemm_isa;

const char* qgemm_isa_name(qgemm_isa isa); /* "scalar", "avx2", ...; "unknown" otherwise */
/* Parses a level name (as QGEMM_ISA takes it). */
qgemm_status qgemm_isa_from_name(const char* name, qgemm_isa* out);
/* Non-zero when a kernel for `isa` is built in and this CPU and OS can run it. */
int qgemm_isa_available(qgemm_isa isa);
/* Non-zero when a kernel for `isa` is compiled into this library. */
int qgemm_isa_built(qgemm_isa isa);
/* The best available level, ignoring QGEMM_ISA and qgemm_set_isa. */
qgemm_isa qgemm_best_isa(void);
/*
 * The level GEMM uses now. If QGEMM_ISA names an unknown or unavailable level, this fails
 * with QGEMM_ERROR_UNSUPPORTED_ISA (and so do qgemm_gemm and qgemm_pack_b, the calls that use
 * the selected level) until qgemm_set_isa() picks a valid one. qgemm_pack_b_for_isa names its
 * level itself, and qgemm_gemm_packed runs the kernel its B was packed for.
 */
qgemm_status qgemm_selected_isa(qgemm_isa* out);
/* Forces the level for the whole process (like QGEMM_ISA). Rejects unavailable levels. */
qgemm_status qgemm_set_isa(qgemm_isa isa);
/* Name of the GEMM microkernel of a level, e.g. "ukernel_3x4c8__scalar"; NULL if not built. */
const char* qgemm_kernel_name(qgemm_isa isa);
/* The GEMM microkernel of a level: its tile (MR x NR, K-group KR) and the driver's blocks. */
typedef struct qgemm_kernel_info {
  const char* name;
  int32_t isa; /* a qgemm_isa */
  int32_t mr, nr, kr;
  int64_t mc, nc, kc;
} qgemm_kernel_info;
/* QGEMM_ERROR_UNSUPPORTED_ISA when no kernel of that level is built in. */
qgemm_status qgemm_get_kernel_info(qgemm_isa isa, qgemm_kernel_info* out);
/* The largest M that the level's kernel runs through its small-M path (one pass over the packed
 * B for all rows, no blocking: LLM decode); larger M take the blocked loops. 0 when the kernel
 * has no such path. QGEMM_ERROR_UNSUPPORTED_ISA when no kernel of that level is built in. */
qgemm_status qgemm_get_gemv_max_m(qgemm_isa isa, int64_t* max_m);
/* Packs for a given level instead of the selected one (it must be available). */
qgemm_status qgemm_pack_b_for_isa(qgemm_isa isa, int64_t K, int64_t N, const qgemm_operand* b,
                                  qgemm_packed_b** out);

/* CPU features as detected (CPUID + XGETBV on x86, HWCAP on aarch64); 1 = usable. */
typedef struct qgemm_cpu_features {
  int32_t avx2, fma, avx512f, avx512bw, avx512vl, avx512_vnni, avx_vnni; /* x86: OS-enabled */
  int32_t asimd, asimddp, i8mm;                                          /* aarch64 */
} qgemm_cpu_features;
qgemm_cpu_features qgemm_get_cpu_features(void);
/* The same features as the CPU reports them, before checking that the OS saves their registers
 * (x86: CPUID alone, so AVX-512 may be 1 here and 0 above under an OS that does not enable ZMM
 * state; aarch64: as above, since Linux's HWCAP already implies OS support). For diagnostics. */
qgemm_cpu_features qgemm_get_cpu_features_reported(void);
/* x86: XCR0 (XGETBV(0)), the register state the OS saves: bit 1 XMM, 2 YMM, 5 opmask,
 * 6 ZMM_Hi256, 7 Hi16_ZMM. AVX needs bits 1-2, AVX-512 bits 1-2 and 5-7. 0 when the CPU has no
 * OSXSAVE, and on other architectures. */
uint64_t qgemm_get_xcr0(void);

/* ---------------------------------------------------------------------------------------------
 * Quantization toolkit (calibration, quantize/dequantize, error reports). All parameter
 * arithmetic is in double.
 * ------------------------------------------------------------------------------------------- */

/* An integer range qmin < qmax within [-32768, 65535] (what 16-bit storage holds). */
typedef struct qgemm_qrange {
  int32_t qmin, qmax;
} qgemm_qrange;

/* The range of a b-bit type: signed [-2^(b-1), 2^(b-1)-1] or unsigned [0, 2^b-1]; b in 2..16. */
qgemm_status qgemm_qrange_from_bits(int32_t bits, int32_t is_signed, qgemm_qrange* out);

typedef struct qgemm_qparams {
  double scale;        /* finite, > 0 */
  int32_t zero_point;  /* within [qmin, qmax] */
  int32_t qmin, qmax;  /* quantized values are clamped to this range */
} qgemm_qparams;

/* Asymmetric (affine) from an explicit range [alpha, beta] (alpha <= beta, both finite). */
qgemm_status qgemm_calibrate_asymmetric_range(double alpha, double beta, qgemm_qrange range,
                                              qgemm_qparams* out);
/* Asymmetric from data: its min and max. */
qgemm_status qgemm_calibrate_asymmetric(const float* x, size_t n, qgemm_qrange range,
                                        qgemm_qparams* out);
/* Symmetric signed: s = max|x| / (2^(b-1)-1), z = 0, narrow range [-(2^(b-1)-1), 2^(b-1)-1]. */
qgemm_status qgemm_calibrate_symmetric(const float* x, size_t n, int32_t bits,
                                       qgemm_qparams* out);
/* Symmetric unsigned: s = max(x) / (2^b-1), z = 0, range [0, 2^b-1]. */
qgemm_status qgemm_calibrate_symmetric_unsigned(const float* x, size_t n, int32_t bits,
                                                qgemm_qparams* out);
/* Percentile: clip at the p-th percentile of |x| (NumPy linear), p in (0, 100], then as
 * symmetric signed. */
qgemm_status qgemm_calibrate_percentile(const float* x, size_t n, int32_t bits, double p,
                                        qgemm_qparams* out);

/* q = clamp(round_half_even(x / s + z), qmin, qmax) into out_type (U8, S8, U16, S16), whose
 * range must hold [qmin, qmax]. Rejects non-finite x. */
qgemm_status qgemm_quantize(const float* x, size_t n, const qgemm_qparams* params,
                            qgemm_type out_type, void* out);
/* x' = s * (q - z). */
qgemm_status qgemm_dequantize(const void* q, qgemm_type type, size_t n,
                              const qgemm_qparams* params, float* out);

typedef struct qgemm_error_report {
  double sse;           /* sum of squared errors */
  double mse;           /* sse / n */
  double max_abs_error;
  double sqnr_db;       /* 10 log10(sum x^2 / sse); +INFINITY when sse == 0 */
} qgemm_error_report;
/* Compares x (reference) with y (e.g. dequantized), n > 0, all finite. */
qgemm_status qgemm_error_report_compute(const float* x, const float* y, size_t n,
                                        qgemm_error_report* out);

/* scale = float32(sA * sB / sC) computed in double and rounded once; all finite and > 0. */
qgemm_status qgemm_requant_scale(double a_scale, double b_scale, double c_scale, float* out);
/* TensorFlow Lite's QuantizeMultiplier: m = M0 * 2^(shift-31), M0 in [2^30, 2^31).
 * m must be finite, > 0 and small enough that shift <= 30; a tiny m gives (0, 0) as TFLite. */
qgemm_status qgemm_quantize_multiplier(double m, int32_t* multiplier, int32_t* shift);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QGEMM_QGEMM_H */

// Test support: a randomly generated GEMM problem (inputs, zero points, epilogue parameters),
// its reference result, and a runner that checks the library against it bit for bit.
#ifndef QGEMM_TESTS_GEMM_PROBLEM_H
#define QGEMM_TESTS_GEMM_PROBLEM_H

#include <array>
#include <cstdint>
#include <random>
#include <functional>
#include <string>
#include <vector>

#include "qgemm/qgemm.h"

namespace qgemm::detail {
struct gemm_kernel;
}

namespace qgemm_test {

// The six things an epilogue can write.
enum class out_kind { s32, requant_float_u8, requant_float_s8, requant_fixed_u8, requant_fixed_s8, f32 };
constexpr out_kind kAllOutputs[] = {out_kind::s32,           out_kind::requant_float_u8,
                                    out_kind::requant_float_s8, out_kind::requant_fixed_u8,
                                    out_kind::requant_fixed_s8, out_kind::f32};
const char* out_kind_name(out_kind k);
size_t out_elem_bytes(out_kind k);

enum class fill { random, zeros, max, min };

struct gemm_case {
  int64_t M = 1, N = 1, K = 1;
  qgemm_type a_type = QGEMM_U8, b_type = QGEMM_S8;
  qgemm_transpose a_trans = QGEMM_NO_TRANS, b_trans = QGEMM_NO_TRANS;
  bool za_per_row = false, zb_per_column = false;
  out_kind out = out_kind::s32;
  fill data = fill::random;
  int64_t ld_pad = 0;     // added to every leading dimension
  size_t misalign = 0;    // byte offset of A and B, element offset of C, from aligned storage
  bool bias = true;       // give a bias where the epilogue takes one
  bool clamp = false;     // narrow the output clamp (fused ReLU-like bounds)
  bool extreme_params = false;  // zero points and bias at the ends of their ranges
  bool zero_points_zero = false;  // zA = zB = 0 (per tensor)
  uint32_t seed = 1;
  std::string describe() const;
};

class gemm_problem {
 public:
  explicit gemm_problem(const gemm_case& c);

  const gemm_case& spec() const { return c_; }
  const qgemm_operand& a() const { return a_; }
  const qgemm_operand& b() const { return b_; }
  const qgemm_epilogue& epilogue() const { return e_; }
  int64_t ldc() const { return ldc_; }

  // A fresh output buffer filled with a sentinel pattern; out() points at C inside it.
  std::vector<uint8_t> fresh_output() const;
  void* out(std::vector<uint8_t>& buffer) const { return buffer.data() + c_offset_bytes(); }
  // The reference result in a buffer made by fresh_output().
  std::vector<uint8_t> reference() const;

  size_t c_offset_bytes() const { return c_.misalign * out_elem_bytes(c_.out); }

 private:
  gemm_case c_;
  std::vector<uint8_t> a_data_, b_data_;
  std::vector<int32_t> za_, zb_, bias_, multiplier_, shift_;
  std::vector<float> scale_, a_scale_, b_scale_, bias_f_;
  qgemm_operand a_{}, b_{};
  qgemm_epilogue e_{};
  int64_t ldc_ = 0;
};

// A kernel the tests run: the kernel of an ISA level (the registry), or a test-only kernel
// (test_kernels.h), which no level dispatches.
struct kernel_under_test {
  qgemm_isa isa;                                // the level (a test-only kernel: the one it stands for)
  const qgemm::detail::gemm_kernel* test_only;  // null for a level's kernel
  qgemm_kernel_info info;                       // name, tile and blocks
  std::string name() const { return info.name; }
};

// Every kernel this machine runs: the kernel of each ISA level built in and runnable here, then
// each runnable test-only kernel. The tests that walk kernels walk this list, so a kernel added
// to the registry or to test_kernels() is swept without editing them.
std::vector<kernel_under_test> kernels_under_test();

// Makes the level the one qgemm_gemm uses ("" on success); a test-only kernel cannot be
// selected (qgemm_gemm never runs it): "test-only".
std::string select_for_one_shot(const kernel_under_test& k);

// qgemm_pack_b_for_isa for a level, the library's internal qgemm::detail::new_packed_b for a
// test-only kernel; qgemm_gemm_packed then runs the kernel the B was packed for.
qgemm_status pack_b_for(const kernel_under_test& k, int64_t K, int64_t N, const qgemm_operand* b,
                        qgemm_packed_b** out);

// Any non-null pointer value that no allocation returns: a call that fails must leave it in
// its qgemm_packed_b** output.
qgemm_packed_b* sentinel_packed_b();

// The blob of a packed B (qgemm_packed_b_serialize), with the calls checked by the test.
std::vector<uint8_t> serialize_packed_b(const qgemm_packed_b* packed);

// The blob of p's B packed for kernel k (pack_b_for, then serialize_packed_b; calls checked).
std::vector<uint8_t> packed_b_blob(const kernel_under_test& k, const gemm_problem& p);

// Runs the problem with a packed B (its status checked by the test) and returns C's buffer, as
// fresh_output() made it: compare it with p.reference().
std::vector<uint8_t> run_packed(const gemm_problem& p, const qgemm_packed_b* packed);

// Runs gemm(what) once for each A layout the kernel of `packed` has (gemm_kernel::pack_a_rows:
// A in panels, then A in rows, whatever N is; otherwise once, as the kernel chooses), `what`
// naming the run (" packed", " packed, A in panels", ...). Stops at the first non-empty result
// and returns it, or "".
std::string for_each_a_layout(const qgemm_packed_b* packed,
                              const std::function<std::string(const char* what)>& gemm);

// Runs the problem on kernel k (one-shot with its level forced, for a level's kernel, and with a
// B packed for it) and returns "" when each equals the reference byte for byte (including the
// bytes between rows of C, which must stay untouched), or a description of the first mismatch.
std::string check_on_kernel(const gemm_problem& p, const kernel_under_test& k,
                            const std::vector<uint8_t>& ref);

// One combination of the reference-comparison matrix.
struct combo {
  out_kind out;
  qgemm_type a_type, b_type;
  qgemm_transpose a_trans, b_trans;
  bool za_per_row = false, zb_per_column = false;
};

// Every output x A type x B type x A transpose x B transpose (96), times the four zero-point
// modes (per tensor / per row of A x per tensor / per column of B) when `zero_point_modes`.
std::vector<combo> all_combos(bool zero_point_modes);

// A name for test output, e.g. "s32_Au8T_Bs8_zArow_zBtensor" (the zero-point part only when
// `zero_point_modes`).
std::string combo_name(const combo& c, bool zero_point_modes);

// A gemm_case with the combination's fields set and everything else at its default.
gemm_case case_for(const combo& c);

// Shapes {M, N, K} that cross a kernel's blocks: past MC (several A blocks), past NC (several
// column blocks), past KC (split K) and past 2 KC.
std::vector<std::array<int64_t, 3>> block_crossing_shapes(const qgemm_kernel_info& k);

// Every ISA level built in and runnable on this machine.
std::vector<qgemm_isa> runnable_isas();

}  // namespace qgemm_test

#endif  // QGEMM_TESTS_GEMM_PROBLEM_H

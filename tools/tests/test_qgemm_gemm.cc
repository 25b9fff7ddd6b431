// qgemm-gemm against qgemm_gemm called directly on the same inputs: the .npy it writes must hold
// exactly the bytes the library computes, for every epilogue and layout.
#include <qgemm/qgemm.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "npy.h"
#include "tool_test_support.h"

namespace {

using qgemm_tools::npy_dtype;
using tool_test::scratch_dir;

const std::string kTool = QGEMM_GEMM_EXE;

template <class T>
std::vector<T> random_values(size_t n, uint32_t seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// Runs the tool, checks success, the header, and that the data equals `expected`.
void expect_tool_output(const scratch_dir& dir, const std::vector<std::string>& args,
                        npy_dtype dtype, int64_t M, int64_t N, const std::string& expected) {
  std::vector<std::string> full = args;
  full.push_back("-o");
  full.push_back(dir / "c.npy");
  const tool_test::run_result run = tool_test::run_tool(dir, kTool, full);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const tool_test::npy_file c = tool_test::read_npy(dir / "c.npy");
  EXPECT_EQ(c.header.dtype, dtype);
  EXPECT_EQ(c.header.shape, (std::vector<int64_t>{M, N}));
  EXPECT_TRUE(tool_test::same_bytes(c.data, expected));
}

template <class T>
std::string library_result(int64_t M, int64_t N, int64_t K, const qgemm_operand& a,
                           const qgemm_operand& b, const qgemm_epilogue& epilogue) {
  std::vector<T> c(static_cast<size_t>(M * N));
  EXPECT_EQ(qgemm_gemm(M, N, K, &a, &b, &epilogue, c.data(), N), QGEMM_OK) << qgemm_last_error();
  return tool_test::raw_bytes(c);
}

TEST(QgemmGemm, Int32WithPerColumnZeroPointsAndBias) {
  scratch_dir dir;
  const int64_t M = 19, N = 23, K = 37;
  const auto a = random_values<uint8_t>(M * K, 1, 0, 255);
  const auto b = random_values<int8_t>(K * N, 2, -128, 127);
  const auto zb = random_values<int32_t>(N, 3, -128, 127);
  const auto bias = random_values<int32_t>(N, 4, -100000, 100000);
  tool_test::write_npy(dir / "a.npy", npy_dtype::u8, {M, K}, a);
  tool_test::write_npy(dir / "b.npy", npy_dtype::i8, {K, N}, b);
  tool_test::write_npy(dir / "zb.npy", npy_dtype::i32, {N}, zb);
  tool_test::write_npy(dir / "bias.npy", npy_dtype::i32, {N}, bias);
  qgemm_operand op_a{QGEMM_U8, QGEMM_NO_TRANS, a.data(), K, 128, nullptr};
  qgemm_operand op_b{QGEMM_S8, QGEMM_NO_TRANS, b.data(), N, 0, zb.data()};
  const std::string expected =
      library_result<int32_t>(M, N, K, op_a, op_b, qgemm_epilogue_s32(bias.data()));
  expect_tool_output(dir,
                     {dir / "a.npy", dir / "b.npy", "--za", "128", "--zb", dir / "zb.npy",
                      "--bias", dir / "bias.npy"},
                     npy_dtype::i32, M, N, expected);
}

// Transposed storage on both sides, and a per-row zero point of A stored as int16 (any integer
// dtype is read).
TEST(QgemmGemm, TransposedOperandsWithPerRowZeroPoints) {
  scratch_dir dir;
  const int64_t M = 70, N = 90, K = 300;  // several tiles and K groups
  const auto a = random_values<int8_t>(K * M, 5, -128, 127);   // stored K x M
  const auto b = random_values<uint8_t>(N * K, 6, 0, 255);     // stored N x K
  const auto za16 = random_values<int16_t>(M, 7, -128, 127);
  const std::vector<int32_t> za(za16.begin(), za16.end());
  tool_test::write_npy(dir / "a.npy", npy_dtype::i8, {K, M}, a);
  tool_test::write_npy(dir / "b.npy", npy_dtype::u8, {N, K}, b);
  tool_test::write_npy(dir / "za.npy", npy_dtype::i16, {M}, za16);
  qgemm_operand op_a{QGEMM_S8, QGEMM_TRANS, a.data(), M, 0, za.data()};
  qgemm_operand op_b{QGEMM_U8, QGEMM_TRANS, b.data(), K, 131, nullptr};
  const std::string expected =
      library_result<int32_t>(M, N, K, op_a, op_b, qgemm_epilogue_s32(nullptr));
  expect_tool_output(dir,
                     {dir / "a.npy", dir / "b.npy", "--trans-a", "--trans-b", "--za",
                      dir / "za.npy", "--zb", "131"},
                     npy_dtype::i32, M, N, expected);
}

TEST(QgemmGemm, Int8FloatRequantizationPerColumn) {
  scratch_dir dir;
  const int64_t M = 13, N = 29, K = 64;
  const auto a = random_values<uint8_t>(M * K, 8, 0, 255);
  const auto b = random_values<int8_t>(N * K, 9, -127, 127);
  std::vector<float> scale(N);
  for (int64_t n = 0; n < N; ++n) scale[n] = 0.0007f * static_cast<float>(n + 1);
  tool_test::write_npy(dir / "a.npy", npy_dtype::u8, {M, K}, a);
  tool_test::write_npy(dir / "w.npy", npy_dtype::i8, {N, K}, b);
  tool_test::write_npy(dir / "scale.npy", npy_dtype::f32, {N}, scale);
  const std::vector<int32_t> bias(N, 500);
  qgemm_epilogue epilogue = qgemm_epilogue_requant_float(QGEMM_S8, scale.data(), 1, -3,
                                                         bias.data());
  epilogue.out_min = -100;
  epilogue.out_max = 100;
  qgemm_operand op_a{QGEMM_U8, QGEMM_NO_TRANS, a.data(), K, 120, nullptr};
  qgemm_operand op_b{QGEMM_S8, QGEMM_TRANS, b.data(), K, 0, nullptr};
  const std::string expected = library_result<int8_t>(M, N, K, op_a, op_b, epilogue);
  expect_tool_output(dir,
                     {dir / "a.npy", dir / "w.npy", "--trans-b", "--za", "120", "--output",
                      "int8", "--scale", dir / "scale.npy", "--zc", "-3", "--bias", "500",
                      "--min", "-100", "--max", "100"},
                     npy_dtype::i8, M, N, expected);
  // The values span the clamp: the test would notice a clamp that was not applied.
  const std::string c = tool_test::read_npy(dir / "c.npy").data;
  EXPECT_NE(c.find('\x64'), std::string::npos);
}

TEST(QgemmGemm, Uint8FixedPointRequantization) {
  scratch_dir dir;
  const int64_t M = 8, N = 40, K = 50;
  const auto a = random_values<int8_t>(M * K, 10, -128, 127);
  const auto b = random_values<int8_t>(K * N, 11, -128, 127);
  tool_test::write_npy(dir / "a.npy", npy_dtype::i8, {M, K}, a);
  tool_test::write_npy(dir / "b.npy", npy_dtype::i8, {K, N}, b);
  int32_t multiplier = 0, shift = 0;
  ASSERT_EQ(qgemm_quantize_multiplier(0.00123, &multiplier, &shift), QGEMM_OK);
  const qgemm_epilogue epilogue =
      qgemm_epilogue_requant_fixed(QGEMM_U8, &multiplier, &shift, 0, 128, nullptr);
  qgemm_operand op_a{QGEMM_S8, QGEMM_NO_TRANS, a.data(), K, -5, nullptr};
  qgemm_operand op_b{QGEMM_S8, QGEMM_NO_TRANS, b.data(), N, 3, nullptr};
  const std::string expected = library_result<uint8_t>(M, N, K, op_a, op_b, epilogue);
  expect_tool_output(dir,
                     {dir / "a.npy", dir / "b.npy", "--za", "-5", "--zb", "3", "--output",
                      "uint8", "--multiplier", std::to_string(multiplier), "--shift",
                      std::to_string(shift), "--zc", "128"},
                     npy_dtype::u8, M, N, expected);
}

TEST(QgemmGemm, Float32Dequantized) {
  scratch_dir dir;
  const int64_t M = 11, N = 17, K = 33;
  const auto a = random_values<uint8_t>(M * K, 12, 0, 255);
  const auto b = random_values<int8_t>(K * N, 13, -128, 127);
  std::vector<float> a_scale(M), bias(N);
  for (int64_t m = 0; m < M; ++m) a_scale[m] = 0.01f + 0.001f * static_cast<float>(m);
  for (int64_t n = 0; n < N; ++n) bias[n] = 0.5f * static_cast<float>(n) - 3.0f;
  tool_test::write_npy(dir / "a.npy", npy_dtype::u8, {M, K}, a);
  tool_test::write_npy(dir / "b.npy", npy_dtype::i8, {K, N}, b);
  tool_test::write_npy(dir / "sa.npy", npy_dtype::f32, {M}, a_scale);
  tool_test::write_npy(dir / "bias.npy", npy_dtype::f32, {N}, bias);
  const float b_scale = 0.02f;  // the tool parses "0.02" to the same float
  qgemm_epilogue epilogue = qgemm_epilogue_f32(a_scale.data(), 1, &b_scale, 0, bias.data());
  epilogue.f32_min = -40.0f;
  epilogue.f32_max = 40.0f;
  qgemm_operand op_a{QGEMM_U8, QGEMM_NO_TRANS, a.data(), K, 128, nullptr};
  qgemm_operand op_b{QGEMM_S8, QGEMM_NO_TRANS, b.data(), N, 0, nullptr};
  const std::string expected = library_result<float>(M, N, K, op_a, op_b, epilogue);
  expect_tool_output(dir,
                     {dir / "a.npy", dir / "b.npy", "--za", "128", "--output", "f32",
                      "--a-scale", dir / "sa.npy", "--b-scale", "0.02", "--bias",
                      dir / "bias.npy", "--min", "-40", "--max", "40"},
                     npy_dtype::f32, M, N, expected);
}

TEST(QgemmGemm, RejectsBadInputWithoutWritingAnything) {
  scratch_dir dir;
  tool_test::write_npy(dir / "a.npy", npy_dtype::u8, {2, 4}, std::vector<uint8_t>(8, 1));
  tool_test::write_npy(dir / "b.npy", npy_dtype::i8, {4, 3}, std::vector<int8_t>(12, 1));
  tool_test::write_npy(dir / "b5.npy", npy_dtype::i8, {5, 3}, std::vector<int8_t>(15, 1));
  tool_test::write_npy(dir / "f.npy", npy_dtype::f32, {2, 4}, std::vector<float>(8, 1.0f));
  tool_test::write_npy(dir / "cube.npy", npy_dtype::i8, {2, 2, 1}, std::vector<int8_t>(4, 1));
  tool_test::write_npy(dir / "z5.npy", npy_dtype::i32, {5}, std::vector<int32_t>(5, 0));
  const std::set<std::string> inputs = dir.files();
  struct bad {
    std::vector<std::string> args;
    int exit_code;
    const char* message;
  };
  const std::string a = dir / "a.npy", b = dir / "b.npy";
  for (const bad& k : std::vector<bad>{
           {{a, dir / "b5.npy"}, 1, "inner dimensions differ: op(A) is 2 x 4, op(B) is 5 x 3"},
           {{dir / "f.npy", b}, 1, "A has dtype float32; qgemm multiplies int8 or uint8"},
           {{a, dir / "cube.npy"}, 1, "B has shape (2, 2, 1); a matrix is 2-d"},
           {{a, b, "--za", dir / "z5.npy"}, 1, "--za: 5 values; expected 1 or 2"},
           {{a, b, "--za", "300"}, 1, "zero_point = 300 is outside [0, 255]"},
           {{a, b, "--output", "int8", "--scale", "-1"}, 1, "qgemm_gemm rejected the call"},
           {{a, b, "--scale", "0.5"}, 2, "--scale is for --output int8/uint8"},
           {{a, b, "--output", "int8"}, 2, "needs --scale, or --multiplier and --shift"},
           {{a, b, "--output", "uint8", "--multiplier", "1073741824"}, 2,
            "needs both --multiplier and --shift"},
           {{a, b, "--output", "int4"}, 2, "'int4' is not one of int32, int8, uint8, f32"},
           {{a}, 2, "expected two input files"},
           {{a, dir / "absent.npy"}, 1, "absent.npy: cannot open"},
       }) {
    std::vector<std::string> args = k.args;
    args.push_back("-o");
    args.push_back(dir / "c.npy");
    const tool_test::run_result run = tool_test::run_tool(dir, kTool, args);
    EXPECT_EQ(run.exit_code, k.exit_code) << run.err;
    EXPECT_NE(run.err.find(k.message), std::string::npos) << run.err;
    EXPECT_EQ(dir.files(), inputs);
  }
}

}  // namespace

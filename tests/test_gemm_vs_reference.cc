// Production path vs the scalar reference, bit for bit, on every ISA level this machine runs and
// every test-only kernel it runs (kernels_under_test(): the AVX-VNNI kernel's EVEX twin).
//
// The edge sweep covers every combination of epilogue output (6), A/B element types (4),
// transposes (4) and zero-point modes (4) — 384 GoogleTest cases — and within each, every
// M, N, K from 0 to two tiles + 1 of each kernel (see edge_shapes; the tile comes from the
// registry, so a new kernel is swept around its own MR/NR/KR without editing this file). Leading-dimension padding,
// misaligned base pointers, bias and clamps rotate with the shape so that each appears with
// every combination.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include "gemm_problem.h"

using namespace qgemm_test;

namespace {

std::string combo_test_name(const testing::TestParamInfo<combo>& info) {
  return combo_name(info.param, /*zero_point_modes=*/true);
}

class EdgeShapes : public testing::TestWithParam<combo> {};

// The edge shapes of a kernel: every M in [0, 2 MR + 1], every N in [0, 2 NR + 1] and every K
// in [0, 2 KR + 1]. When that cube is small (the portable kernel: 1440 shapes) all of it;
// otherwise each dimension swept through its whole range while the other two take the values
// {1, tile, 2 tile + 1} (a 14 x 32 x 4 kernel: 954 shapes instead of 19800).
// QGEMM_TEST_EDGE_SWEEP=axes takes the second form for every kernel: the emulated Arm runs
// (tests/CMakeLists.txt) use it to stay within CI's time, still with every combination and
// every kernel swept around its own tile (3x4c8: 324 shapes instead of 1440; 8x12c1: 432
// instead of 1872).
std::vector<std::array<int64_t, 3>> edge_shapes(const qgemm_kernel_info& k) {
  const int64_t hi[3] = {2 * k.mr + 1, 2 * k.nr + 1, 2 * k.kr + 1};
  std::vector<std::array<int64_t, 3>> shapes;
  const char* sweep = std::getenv("QGEMM_TEST_EDGE_SWEEP");
  const bool axes_only = sweep != nullptr && std::strcmp(sweep, "axes") == 0;
  if (!axes_only && (hi[0] + 1) * (hi[1] + 1) * (hi[2] + 1) <= 2000) {
    for (int64_t M = 0; M <= hi[0]; ++M)
      for (int64_t N = 0; N <= hi[1]; ++N)
        for (int64_t K = 0; K <= hi[2]; ++K) shapes.push_back({M, N, K});
    return shapes;
  }
  const int64_t tile[3] = {k.mr, k.nr, k.kr};
  for (int swept = 0; swept < 3; ++swept) {
    const int o1 = (swept + 1) % 3, o2 = (swept + 2) % 3;
    for (int64_t v = 0; v <= hi[swept]; ++v)
      for (int64_t a : {int64_t{1}, tile[o1], hi[o1]})
        for (int64_t b : {int64_t{1}, tile[o2], hi[o2]}) {
          std::array<int64_t, 3> s{};
          s[swept] = v;
          s[o1] = a;
          s[o2] = b;
          shapes.push_back(s);
        }
  }
  return shapes;
}

TEST_P(EdgeShapes, MatchReferenceOnEveryKernel) {
  const std::vector<kernel_under_test> kernels = kernels_under_test();
  ASSERT_FALSE(kernels.empty());
  int checked = 0;
  for (const kernel_under_test& kut : kernels) {
    const qgemm_kernel_info& k = kut.info;
    const qgemm_isa isa = kut.isa;
    uint32_t n_case = 0;
    for (const auto& [M, N, K] : edge_shapes(k)) {
      gemm_case g = case_for(GetParam());
      g.M = M;
      g.N = N;
      g.K = K;
      ++n_case;
      g.seed = n_case * 2654435761u + static_cast<uint32_t>(isa);
      g.ld_pad = (n_case % 3 == 0) ? 0 : static_cast<int64_t>(n_case % 5) | 1;  // odd pads
      g.misalign = n_case % 4;
      g.bias = n_case % 2 == 0;
      g.clamp = n_case % 5 == 1;
      const gemm_problem p(g);
      const std::vector<uint8_t> ref = p.reference();
      const std::string diff = check_on_kernel(p, kut, ref);
      ASSERT_EQ(diff, "") << "kernel " << k.name;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, EdgeShapes, testing::ValuesIn(all_combos(true)),
                         combo_test_name);

// Larger shapes that cross the driver's MC, NC and KC blocks, with extreme data: all zeros, all
// at the type's maximum, all at its minimum, and random; with zero points and bias at the ends
// of their ranges half of the time.
class LargeShapes : public testing::TestWithParam<fill> {};

TEST_P(LargeShapes, MatchReferenceOnEveryKernel) {
  const std::vector<combo> combos = all_combos(true);
  for (const kernel_under_test& kut : kernels_under_test()) {
    const qgemm_kernel_info& k = kut.info;
    // Shapes relative to the kernel's blocks, and one odd shape.
    std::vector<std::array<int64_t, 3>> shapes = block_crossing_shapes(k);
    shapes.push_back({97, 83, 61});
    uint32_t seed = 7;
    for (const auto& s : shapes) {
      for (int rep = 0; rep < 8; ++rep) {
        const combo& c = combos[(seed * 40503u) % combos.size()];
        gemm_case g = case_for(c);
        g.M = s[0];
        g.N = s[1];
        g.K = s[2];
        g.data = GetParam();
        g.seed = ++seed;
        g.extreme_params = rep % 2 == 1;
        g.ld_pad = rep % 3;
        g.misalign = static_cast<size_t>(rep % 4);
        g.clamp = rep % 4 == 3;
        const gemm_problem p(g);
        ASSERT_EQ(check_on_kernel(p, kut, p.reference()), "") << "kernel " << k.name;
      }
    }
  }
}

std::string fill_name(const testing::TestParamInfo<fill>& info) {
  static const char* names[] = {"random", "zeros", "max", "min"};
  return names[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Data, LargeShapes,
                         testing::Values(fill::random, fill::zeros, fill::max, fill::min),
                         fill_name);

// Past K = 33025 the accumulator wraps modulo 2^32; every kernel must wrap exactly as the
// reference does.
TEST(Wrapping, LongKWithExtremeDataWrapsLikeTheReference) {
  for (const kernel_under_test& kut : kernels_under_test()) {
    for (out_kind o : {out_kind::s32, out_kind::requant_fixed_s8, out_kind::f32}) {
      gemm_case g;
      g.M = 3;
      g.N = 5;
      g.K = 70000;
      g.a_type = QGEMM_U8;
      g.b_type = QGEMM_U8;
      g.data = fill::max;  // 255 * 255 * 70000 > 2^32
      g.out = o;
      g.bias = false;
      g.zero_points_zero = true;  // so that the exact sum (4.55e9) is far past 2^31
      const gemm_problem p(g);
      const std::vector<uint8_t> ref = p.reference();
      if (o == out_kind::s32) {
        int32_t first = 0;
        std::memcpy(&first, ref.data() + p.c_offset_bytes(), 4);
        EXPECT_EQ(first, static_cast<int32_t>(static_cast<uint32_t>(255u * 255u * 70000u)));
      }
      EXPECT_EQ(check_on_kernel(p, kut, ref), "") << "kernel " << kut.name();
    }
  }
}

}  // namespace

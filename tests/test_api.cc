// The API around the arithmetic: dispatch queries, packed-weights objects (info, reuse, sharing
// across threads), the per-thread workspace (no allocation in steady state) and the C++ layer.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <malloc.h>
#include <new>
#include <thread>

#include "core/serialize.h"
#include "gemm_problem.h"
#include "qgemm/qgemm.hpp"
#include "ref/reference.h"

// Allocation counting for the steady-state test: every operator new and aligned_alloc of the
// process (the library allocates through both) goes through these while counting is on.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

// memalign (not glibc's internal allocator) so that sanitizer runtimes still see every block.
extern "C" void* aligned_alloc(size_t alignment, size_t size) {
  if (g_counting) ++g_allocations;
  return memalign(alignment, size);
}
void* operator new(size_t size) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  if (g_counting) ++g_allocations;
  return std::malloc(size ? size : 1);
}
// The operator new above allocates with malloc, so free is the matching release; GCC cannot see
// that through the replacement and warns (-Wmismatched-new-delete) where it inlines them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace qgemm_test;

namespace {

TEST(Dispatch, LevelNamesRoundTrip) {
  const char* names[] = {"scalar", "avx2", "avx512bw", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm"};
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
    EXPECT_STREQ(qgemm_isa_name(static_cast<qgemm_isa>(i)), names[i]);
    qgemm_isa isa{};
    ASSERT_EQ(qgemm_isa_from_name(names[i], &isa), QGEMM_OK);
    EXPECT_EQ(isa, i);
  }
  EXPECT_STREQ(qgemm_isa_name(static_cast<qgemm_isa>(99)), "unknown");
}

TEST(Dispatch, ScalarIsAlwaysThereAndTheBestLevelIsAvailable) {
  EXPECT_TRUE(qgemm_isa_built(QGEMM_ISA_SCALAR));
  EXPECT_TRUE(qgemm_isa_available(QGEMM_ISA_SCALAR));
  EXPECT_TRUE(qgemm_isa_available(qgemm_best_isa()));
  for (qgemm_isa isa : runnable_isas()) {
    EXPECT_LE(isa, qgemm_best_isa());
    qgemm_kernel_info k{};
    ASSERT_EQ(qgemm_get_kernel_info(isa, &k), QGEMM_OK);
    EXPECT_STREQ(k.name, qgemm_kernel_name(isa));
    EXPECT_EQ(k.isa, isa);
    // The kernel's name carries its tile and ISA: ukernel_<MR>x<NR>c<KR>__<isa>.
    const std::string expected = "ukernel_" + std::to_string(k.mr) + "x" + std::to_string(k.nr) +
                                 "c" + std::to_string(k.kr) + "__" + qgemm_isa_name(isa);
    EXPECT_EQ(expected, k.name);
    EXPECT_EQ(k.mc % k.mr, 0);
    EXPECT_EQ(k.nc % k.nr, 0);
    EXPECT_EQ(k.kc % k.kr, 0);
  }
}

TEST(Dispatch, DefaultSelectionIsTheBestLevelUnlessForced) {
  if (std::getenv("QGEMM_ISA") != nullptr) GTEST_SKIP() << "QGEMM_ISA is set";
  qgemm_isa isa{};
  ASSERT_EQ(qgemm_selected_isa(&isa), QGEMM_OK);
  EXPECT_EQ(isa, qgemm_best_isa());
  for (qgemm_isa forced : runnable_isas()) {
    ASSERT_EQ(qgemm_set_isa(forced), QGEMM_OK);
    ASSERT_EQ(qgemm_selected_isa(&isa), QGEMM_OK);
    EXPECT_EQ(isa, forced);
  }
  ASSERT_EQ(qgemm_set_isa(qgemm_best_isa()), QGEMM_OK);
}

// The features detected by CPUID/XGETBV (or HWCAP) agree with what the Linux kernel reports in
// /proc/cpuinfo, which lists a feature only when the CPU has it and the kernel enabled it.
TEST(Dispatch, CpuFeaturesAgreeWithProcCpuinfo) {
  std::ifstream in("/proc/cpuinfo");
  if (!in) GTEST_SKIP() << "no /proc/cpuinfo";
  std::string line, flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  }
  ASSERT_FALSE(flags.empty());
  auto has = [&](const char* name) { return flags.find(std::string(" ") + name + " ") != std::string::npos; };
  const qgemm_cpu_features f = qgemm_get_cpu_features();
#if defined(__x86_64__)
  EXPECT_EQ(f.avx2 != 0, has("avx2"));
  EXPECT_EQ(f.fma != 0, has("fma"));
  EXPECT_EQ(f.avx512f != 0, has("avx512f"));
  EXPECT_EQ(f.avx512bw != 0, has("avx512bw"));
  EXPECT_EQ(f.avx512vl != 0, has("avx512vl"));
  EXPECT_EQ(f.avx512_vnni != 0, has("avx512_vnni"));
  EXPECT_EQ(f.avx_vnni != 0, has("avx_vnni"));
  EXPECT_EQ(f.asimd, 0);
#elif defined(__aarch64__)
  // Under a user-mode emulator (qemu-aarch64 on an x86 host: the Arm CI) /proc/cpuinfo is the
  // host's, with x86 "flags" instead of Arm "Features": there is nothing to compare with.
  if (flags.find(" fpu ") != std::string::npos || flags.find(" sse2 ") != std::string::npos)
    GTEST_SKIP() << "/proc/cpuinfo describes another architecture (emulated CPU)";
  EXPECT_EQ(f.asimd != 0, has("asimd"));
  EXPECT_EQ(f.asimddp != 0, has("asimddp"));
  EXPECT_EQ(f.i8mm != 0, has("i8mm"));
  EXPECT_EQ(f.avx2, 0);
#endif
}

// The features as the CPU reports them contain the usable ones, and on x86 XCR0 accounts for the
// difference: a reported feature is usable exactly when the OS saves its registers.
TEST(Dispatch, ReportedFeaturesAndXcr0ExplainTheUsableOnes) {
  const qgemm_cpu_features f = qgemm_get_cpu_features();
  const qgemm_cpu_features r = qgemm_get_cpu_features_reported();
  const uint64_t xcr0 = qgemm_get_xcr0();
#if defined(__x86_64__)
  const bool os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0;
  EXPECT_EQ(f.avx2 != 0, r.avx2 && os_avx);
  EXPECT_EQ(f.fma != 0, r.fma && os_avx);
  EXPECT_EQ(f.avx_vnni != 0, r.avx_vnni && os_avx);
  EXPECT_EQ(f.avx512f != 0, r.avx512f && os_avx512);
  EXPECT_EQ(f.avx512bw != 0, r.avx512bw && os_avx512);
  EXPECT_EQ(f.avx512vl != 0, r.avx512vl && os_avx512);
  EXPECT_EQ(f.avx512_vnni != 0, r.avx512_vnni && os_avx512);
  EXPECT_TRUE(xcr0 & 0x1) << "XCR0 bit 0 (x87) is always set when XGETBV exists";
#else
  EXPECT_EQ(xcr0, 0u);
  EXPECT_EQ(std::memcmp(&f, &r, sizeof f), 0);
#endif
}

// Every built level reports its small-M bound (0: no small-M path); a level with no kernel, an
// out-of-range value and a NULL output are errors.
TEST(Dispatch, GemvMaxMOfEveryLevel) {
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
    const auto isa = static_cast<qgemm_isa>(i);
    int64_t max_m = -1;
    if (!qgemm_isa_built(isa)) {
      EXPECT_EQ(qgemm_get_gemv_max_m(isa, &max_m), QGEMM_ERROR_UNSUPPORTED_ISA);
      EXPECT_EQ(max_m, -1);
      continue;
    }
    ASSERT_EQ(qgemm_get_gemv_max_m(isa, &max_m), QGEMM_OK);
    qgemm_kernel_info k{};
    ASSERT_EQ(qgemm_get_kernel_info(isa, &k), QGEMM_OK);
    EXPECT_GE(max_m, 0);
    EXPECT_LE(max_m, k.mc);
  }
  int64_t max_m = -1;
  EXPECT_EQ(qgemm_get_gemv_max_m(QGEMM_ISA_SCALAR, &max_m), QGEMM_OK);
  EXPECT_EQ(max_m, 0) << "the portable kernel has no small-M path";
  if (qgemm_isa_built(QGEMM_ISA_AVX512VNNI)) {
    EXPECT_EQ(qgemm_get_gemv_max_m(QGEMM_ISA_AVX512VNNI, &max_m), QGEMM_OK);
    EXPECT_EQ(max_m, 4);
  }
  EXPECT_EQ(qgemm_get_gemv_max_m(static_cast<qgemm_isa>(99), &max_m),
            QGEMM_ERROR_UNSUPPORTED_ISA);
  EXPECT_NE(std::strstr(qgemm_last_error(), "isa = 99"), nullptr) << qgemm_last_error();
  EXPECT_EQ(qgemm_get_gemv_max_m(QGEMM_ISA_SCALAR, nullptr), QGEMM_ERROR_NULL_POINTER);
}

gemm_case small_case() {
  gemm_case g;
  g.M = 19;
  g.N = 23;
  g.K = 45;
  g.a_type = QGEMM_S8;
  g.b_type = QGEMM_U8;
  g.b_trans = QGEMM_TRANS;
  g.zb_per_column = true;
  g.out = out_kind::requant_fixed_u8;
  g.seed = 99;
  return g;
}

TEST(PackedB, RecordsWhatItWasPackedFor) {
  const gemm_problem p(small_case());
  for (qgemm_isa isa : runnable_isas()) {
    qgemm_packed_b* packed = nullptr;
    ASSERT_EQ(qgemm_pack_b_for_isa(isa, 45, 23, &p.b(), &packed), QGEMM_OK);
    qgemm_packed_b_info info{};
    ASSERT_EQ(qgemm_packed_b_get_info(packed, &info), QGEMM_OK);
    EXPECT_EQ(info.K, 45);
    EXPECT_EQ(info.N, 23);
    EXPECT_EQ(info.type, QGEMM_U8);
    EXPECT_EQ(info.trans, QGEMM_TRANS);
    EXPECT_EQ(info.zero_point_per_column, 1);
    EXPECT_EQ(info.isa, isa);
    EXPECT_STREQ(info.kernel, qgemm_kernel_name(isa));
    EXPECT_GE(info.bytes, static_cast<size_t>(45 * 23));
    qgemm_packed_b_destroy(packed);
  }
  qgemm_packed_b_destroy(nullptr);  // no-op
}

TEST(PackedB, IsIndependentOfTheSourceBufferAfterPacking) {
  gemm_case g = small_case();
  const gemm_problem p(g);
  const std::vector<uint8_t> ref = p.reference();
  // Pack from a copy of B, then destroy the copy: the packed object must not point into it.
  const size_t b_bytes = static_cast<size_t>(g.N * p.b().ld);
  std::vector<uint8_t> copy(static_cast<const uint8_t*>(p.b().data),
                            static_cast<const uint8_t*>(p.b().data) + b_bytes);
  qgemm_operand b = p.b();
  b.data = copy.data();
  qgemm_packed_b* packed = nullptr;
  ASSERT_EQ(qgemm_pack_b(g.K, g.N, &b, &packed), QGEMM_OK);
  std::fill(copy.begin(), copy.end(), 0x5A);
  EXPECT_EQ(run_packed(p, packed), ref);
  qgemm_packed_b_destroy(packed);
}

// One packed B shared by several threads, each running different GEMMs (different A, M,
// epilogue) many times; every result must equal the reference.
TEST(PackedB, SharedByManyThreadsAtOnce) {
  gemm_case base = small_case();
  base.M = 1;
  const gemm_problem weights(base);
  qgemm_packed_b* packed = nullptr;
  ASSERT_EQ(qgemm_pack_b(base.K, base.N, &weights.b(), &packed), QGEMM_OK);

  constexpr int kThreads = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int iter = 0; iter < 20; ++iter) {
        gemm_case g = base;
        g.M = 1 + (t * 7 + iter * 3) % 40;
        g.out = kAllOutputs[(t + iter) % 6];
        g.seed = static_cast<uint32_t>(1000 * t + iter);
        // Same B data and zero points as the packed one: reuse `weights`' B operand.
        const gemm_problem p(g);
        qgemm_operand a = p.a();
        std::vector<uint8_t> ref = p.fresh_output();
        qgemm::ref::gemm(g.M, g.N, g.K, a, weights.b(), p.epilogue(), p.out(ref), p.ldc());
        std::vector<uint8_t> out = p.fresh_output();
        if (qgemm_gemm_packed(g.M, g.N, g.K, &a, g.b_type, packed, &p.epilogue(), p.out(out),
                              p.ldc()) != QGEMM_OK ||
            out != ref)
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  qgemm_packed_b_destroy(packed);
}

// The form of the test above, on every kernel this machine runs: one packed B (and the
// same B loaded back from its blob) shared by 8 threads, each running its own sequence of GEMMs
// (M from 1 to past MC, every epilogue output, u8/s8 and transposed A, per-row zero points),
// half of them with 2 threads inside each call, while two also run one-shot GEMMs; every result
// must equal the reference.
TEST(PackedB, SharedByEightThreadsOnEveryKernel) {
  constexpr int kThreads = 8, kIterations = 24;
  for (const kernel_under_test& k : kernels_under_test()) {
    SCOPED_TRACE(k.name());
    gemm_case base = small_case();
    base.N = 2 * k.info.nr + 5;  // several column panels and an edge panel
    base.K = 2 * k.info.kr * 9 + 3;
    const gemm_problem weights(base);
    qgemm_packed_b* packed = nullptr;
    ASSERT_EQ(pack_b_for(k, base.K, base.N, &weights.b(), &packed), QGEMM_OK);
    const std::vector<uint8_t> blob = serialize_packed_b(packed);
    qgemm_packed_b* loaded = nullptr;
    ASSERT_EQ(qgemm::detail::load_packed_b(blob.data(), blob.size(), k.test_only, &loaded),
              QGEMM_OK);

    std::atomic<int> failures{0}, runs{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int iter = 0; iter < kIterations; ++iter) {
          gemm_case g = base;
          g.M = 1 + (t * 13 + iter * 7) % (k.info.mc + 9);
          g.out = kAllOutputs[(t + iter) % 6];
          g.a_type = (t + iter) % 2 ? QGEMM_U8 : QGEMM_S8;
          g.a_trans = (t / 2 + iter) % 2 ? QGEMM_TRANS : QGEMM_NO_TRANS;
          g.za_per_row = (t + iter / 2) % 2;
          g.seed = static_cast<uint32_t>(7000 + 100 * t + iter);
          const gemm_problem p(g);
          std::vector<uint8_t> ref = p.fresh_output();
          qgemm::ref::gemm(g.M, g.N, g.K, p.a(), weights.b(), p.epilogue(), p.out(ref), p.ldc());
          const qgemm_packed_b* b = iter % 2 ? loaded : packed;
          // Threads inside each call too (OpenMP teams, one per calling thread) on every other
          // thread: 2 tasks wherever the shape has 2 tiles.
          qgemm_context ctx = qgemm_context_default();
          ctx.num_threads = t % 2 ? 2 : 1;
          ctx.min_macs_per_task = 1;
          std::vector<uint8_t> out = p.fresh_output();
          if (qgemm_gemm_packed_ctx(&ctx, g.M, g.N, g.K, &p.a(), base.b_type, b, &p.epilogue(),
                                    p.out(out), p.ldc()) != QGEMM_OK || out != ref)
            ++failures;
          if (t < 2) {  // one-shot calls (the selected kernel) interleaved with the packed ones
            std::vector<uint8_t> once = p.fresh_output();
            if (qgemm_gemm(g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(once), p.ldc()) !=
                    QGEMM_OK || once != p.reference())
              ++failures;
          }
          ++runs;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(runs.load(), kThreads * kIterations);
    qgemm_packed_b_destroy(packed);
    qgemm_packed_b_destroy(loaded);
  }
}

TEST(Workspace, SteadyStateCallsDoNotAllocate) {
  qgemm_isa isa{};
  ASSERT_EQ(qgemm_selected_isa(&isa), QGEMM_OK);
  qgemm_kernel_info k{};
  ASSERT_EQ(qgemm_get_kernel_info(isa, &k), QGEMM_OK);
  gemm_case g = small_case();
  g.M = k.mc + 7;   // more than one MC block
  g.K = k.kc + 9;   // split K: the partial-sum buffer is used too
  g.N = 11;
  const gemm_problem p(g);
  qgemm_packed_b* packed = nullptr;
  ASSERT_EQ(qgemm_pack_b(g.K, g.N, &p.b(), &packed), QGEMM_OK);
  std::vector<uint8_t> out = p.fresh_output();
  // Warm-up: the first calls size the thread's workspace.
  ASSERT_EQ(qgemm_gemm_packed(g.M, g.N, g.K, &p.a(), g.b_type, packed, &p.epilogue(), p.out(out), p.ldc()), QGEMM_OK);
  ASSERT_EQ(qgemm_gemm(g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc()), QGEMM_OK);

  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 10; ++i) {
    qgemm_gemm_packed(g.M, g.N, g.K, &p.a(), g.b_type, packed, &p.epilogue(), p.out(out), p.ldc());
    qgemm_gemm(g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc());
    // Smaller problems fit the grown workspace too.
    qgemm_gemm(g.M / 2, g.N, g.K / 3, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc());
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);

  // The counter does see the library's allocations (so the zero above means something).
  qgemm_release_thread_workspace();
  g_allocations = 0;
  g_counting = true;
  qgemm_gemm(g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc());
  g_counting = false;
  EXPECT_GT(g_allocations.load(), 0);
  EXPECT_EQ(out, p.reference());
  qgemm_packed_b_destroy(packed);
}

TEST(CppApi, PackedGemmMatchesTheReference) {
  gemm_case g = small_case();
  g.out = out_kind::f32;
  const gemm_problem p(g);
  const qgemm::packed_b weights(g.K, g.N, p.b());
  EXPECT_EQ(weights.K(), g.K);
  EXPECT_EQ(weights.N(), g.N);
  EXPECT_EQ(weights.type(), QGEMM_U8);
  std::vector<uint8_t> out = p.fresh_output();
  qgemm::gemm(g.M, g.N, g.K, p.a(), weights, p.epilogue(), p.out(out), p.ldc());
  EXPECT_EQ(out, p.reference());
}

TEST(CppApi, OperandHelpersFillTheStruct) {
  const int8_t w[6] = {};
  const int32_t zps[3] = {1, 2, 3};
  const qgemm_operand a = qgemm::operand(w, 3, -5, QGEMM_TRANS);
  EXPECT_EQ(a.type, QGEMM_S8);
  EXPECT_EQ(a.trans, QGEMM_TRANS);
  EXPECT_EQ(a.ld, 3);
  EXPECT_EQ(a.zero_point, -5);
  EXPECT_EQ(a.zero_points, nullptr);
  const uint8_t x[6] = {};
  const qgemm_operand b = qgemm::operand_per_channel(x, 2, zps);
  EXPECT_EQ(b.type, QGEMM_U8);
  EXPECT_EQ(b.zero_points, zps);
}

TEST(Epilogue, InitialisersSetFullRangeClamps) {
  const float s = 0.5f;
  const int32_t m = 1 << 30, sh = -3;
  qgemm_epilogue e = qgemm_epilogue_requant_float(QGEMM_U8, &s, 0, 7, nullptr);
  EXPECT_EQ(e.output, QGEMM_OUTPUT_REQUANT_FLOAT);
  EXPECT_EQ(e.out_min, 0);
  EXPECT_EQ(e.out_max, 255);
  EXPECT_EQ(e.out_zero_point, 7);
  e = qgemm_epilogue_requant_fixed(QGEMM_S8, &m, &sh, 0, -1, nullptr);
  EXPECT_EQ(e.output, QGEMM_OUTPUT_REQUANT_FIXED);
  EXPECT_EQ(e.out_min, -128);
  EXPECT_EQ(e.out_max, 127);
  e = qgemm_epilogue_f32(&s, 0, &s, 0, nullptr);
  EXPECT_EQ(e.output, QGEMM_OUTPUT_F32);
  EXPECT_TRUE(std::isinf(e.f32_min) && e.f32_min < 0);
  EXPECT_TRUE(std::isinf(e.f32_max) && e.f32_max > 0);
}

}  // namespace


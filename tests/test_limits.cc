// Limits (issue 7, item 5): sizes whose byte counts overflow are rejected, and an allocation
// that fails is QGEMM_ERROR_OUT_OF_MEMORY, never a crash, with nothing written.
//
// Allocation failures are injected through the library's internal hook (core/buffer.h:
// inject_allocation_failures lets the next `skip` allocations succeed and fails the one after).
// Each allocating entry point is called with skip = 0, 1, 2, ... until it succeeds: every
// earlier call must have failed with OUT_OF_MEMORY exactly because of the injected failure, and
// must have left C (a canary-filled buffer) or *out untouched; the final call's result must
// equal the reference. So every allocation on every path is made to fail once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/serialize.h"
#include "gemm_problem.h"
#include "qgemm/qgemm.h"

using namespace qgemm_test;
using ::testing::HasSubstr;

namespace {

using qgemm::detail::inject_allocation_failures;
using qgemm::detail::injected_allocation_failures;

// Turns injection off however the test ends.
struct injection_off {
  ~injection_off() { inject_allocation_failures(0, 0); }
};

constexpr long kMaxAllocations = 16;  // more than any entry point makes

// Calls `call(attempt)` with the allocation after `skip` failing, for skip = 0, 1, ... until it
// returns OK; `untouched()` must hold after each failure. Returns the number of failed attempts.
template <class Call, class Untouched>
long fail_each_allocation(Call call, Untouched untouched) {
  injection_off guard;
  for (long skip = 0; skip < kMaxAllocations; ++skip) {
    inject_allocation_failures(skip, 1);
    const qgemm_status s = call();
    const long injected = injected_allocation_failures();
    inject_allocation_failures(0, 0);
    if (s == QGEMM_OK) {
      EXPECT_EQ(injected, 0) << "succeeded although allocation " << skip << " failed";
      return skip;
    }
    EXPECT_EQ(s, QGEMM_ERROR_OUT_OF_MEMORY)
        << "allocation " << skip << ": " << qgemm_status_name(s) << ": " << qgemm_last_error();
    EXPECT_EQ(injected, 1) << "failed without the injected failure: " << qgemm_last_error();
    EXPECT_THAT(qgemm_last_error(), HasSubstr("allocate"));
    EXPECT_TRUE(untouched()) << "output written when allocation " << skip << " failed";
  }
  ADD_FAILURE() << "never succeeded";
  return kMaxAllocations;
}

// Shapes that reach every buffer: a small problem, and one with M past the small-M path and K
// past KC (the partial-sum buffer).
std::vector<gemm_case> cases_for(const kernel_under_test& k) {
  gemm_case small;
  small.M = 5;
  small.N = 7;
  small.K = 9;
  small.out = out_kind::requant_float_s8;
  small.seed = 3;
  gemm_case split = small;
  int64_t gemv_max = 0;
  if (k.test_only == nullptr) qgemm_get_gemv_max_m(k.isa, &gemv_max);
  split.M = std::max<int64_t>(gemv_max + 1, 2 * k.info.mr + 1);
  split.N = k.info.nr + 3;
  split.K = k.info.kc + 5;
  split.out = out_kind::s32;
  split.a_type = QGEMM_S8;
  split.b_type = QGEMM_U8;
  split.seed = 4;
  return {small, split};
}

// Makes a packed B with make(&out) while each allocation in turn fails (out must stay untouched
// then), then checks that the one made when nothing failed gives the reference result. Returns
// the number of failed attempts.
template <class Make>
long packed_b_through_failures(const gemm_problem& p, Make make) {
  qgemm_packed_b* out = sentinel_packed_b();
  const long failures =
      fail_each_allocation([&] { return make(&out); }, [&] { return out == sentinel_packed_b(); });
  EXPECT_NE(out, sentinel_packed_b());
  if (out == sentinel_packed_b()) return failures;
  EXPECT_EQ(run_packed(p, out), p.reference());
  qgemm_packed_b_destroy(out);
  return failures;
}

TEST(OutOfMemory, PackEveryKernel) {
  for (const kernel_under_test& k : kernels_under_test()) {
    for (const gemm_case& g : cases_for(k)) {
      SCOPED_TRACE(k.name() + " " + g.describe());
      const gemm_problem p(g);
      const long failures = packed_b_through_failures(
          p, [&](qgemm_packed_b** out) { return pack_b_for(k, g.K, g.N, &p.b(), out); });
      EXPECT_GE(failures, 2);  // the object and its storage
    }
  }
}

TEST(OutOfMemory, PackedGemmWorkspaceEveryKernel) {
  for (const kernel_under_test& k : kernels_under_test()) {
    for (const gemm_case& g : cases_for(k)) {
      SCOPED_TRACE(k.name() + " " + g.describe());
      const gemm_problem p(g);
      qgemm_packed_b* packed = nullptr;
      ASSERT_EQ(pack_b_for(k, g.K, g.N, &p.b(), &packed), QGEMM_OK);
      const std::vector<uint8_t> canary = p.fresh_output();
      std::vector<uint8_t> c = canary;
      const long failures = fail_each_allocation(
          [&] {
            qgemm_release_thread_workspace();  // so that the call must allocate
            c = canary;
            return qgemm_gemm_packed(g.M, g.N, g.K, &p.a(), g.b_type, packed, &p.epilogue(),
                                     p.out(c), p.ldc());
          },
          [&] { return c == canary; });
      EXPECT_GE(failures, 2);  // packed A and its row sums at least
      EXPECT_EQ(c, p.reference());
      qgemm_packed_b_destroy(packed);
    }
  }
}

TEST(OutOfMemory, OneShotGemmEveryLevel) {
  qgemm_isa selected{};
  ASSERT_EQ(qgemm_selected_isa(&selected), QGEMM_OK);
  for (const kernel_under_test& k : kernels_under_test()) {
    if (!select_for_one_shot(k).empty()) continue;  // test-only kernels have no one-shot path
    for (const gemm_case& g : cases_for(k)) {
      SCOPED_TRACE(k.name() + " " + g.describe());
      const gemm_problem p(g);
      const std::vector<uint8_t> canary = p.fresh_output();
      std::vector<uint8_t> c = canary;
      const long failures = fail_each_allocation(
          [&] {
            qgemm_release_thread_workspace();
            c = canary;
            return qgemm_gemm(g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(c), p.ldc());
          },
          [&] { return c == canary; });
      EXPECT_GE(failures, 3);  // the one-shot packed B, packed A, row sums
      EXPECT_EQ(c, p.reference());
    }
  }
  ASSERT_EQ(qgemm_set_isa(selected), QGEMM_OK);
}

TEST(OutOfMemory, LoadBlobEveryKernel) {
  for (const kernel_under_test& k : kernels_under_test()) {
    SCOPED_TRACE(k.name());
    const gemm_case g = cases_for(k)[0];
    const gemm_problem p(g);
    std::vector<uint8_t> blob = packed_b_blob(k, p);
    const long failures = packed_b_through_failures(p, [&](qgemm_packed_b** out) {
      return qgemm::detail::load_packed_b(blob.data(), blob.size(), k.test_only, out);
    });
    EXPECT_EQ(failures, 2);  // the object and its storage
  }
}

TEST(OutOfMemory, PercentileCalibration) {
  const std::vector<float> x = {0.5f, -2.0f, 1.25f, 3.0f};
  const qgemm_qparams untouched{-1.0, 77, 1, 2};
  qgemm_qparams out = untouched;
  const long failures = fail_each_allocation(
      [&] { return qgemm_calibrate_percentile(x.data(), x.size(), 8, 50.0, &out); },
      [&] {
        return out.scale == untouched.scale && out.zero_point == untouched.zero_point &&
               out.qmin == untouched.qmin && out.qmax == untouched.qmax;
      });
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(out.scale, 1.625 / 127.0);  // NumPy: percentile(|x|, 50) = 1.625
}

// The hook itself: it fails exactly the requested allocations, on any thread, and turns off.
TEST(OutOfMemory, InjectionFailsExactlyTheRequestedAllocations) {
  injection_off guard;
  inject_allocation_failures(2, 3);
  std::vector<bool> permitted;
  for (int i = 0; i < 7; ++i) permitted.push_back(qgemm::detail::allocation_permitted());
  EXPECT_EQ(permitted, (std::vector<bool>{true, true, false, false, false, true, true}));
  EXPECT_EQ(injected_allocation_failures(), 3);
  inject_allocation_failures(0, 0);
  EXPECT_TRUE(qgemm::detail::allocation_permitted());
  EXPECT_EQ(injected_allocation_failures(), 0);
}

// ---------------------------------------------------------------------------------------------
// Byte counts that overflow
// ---------------------------------------------------------------------------------------------

// K = N = 2^31: B's 2^62 bytes fit the address-range checks, but the portable kernel's int16
// panels would need 2^63 bytes: rejected as a size before anything is allocated or read (B's
// data pointer is never dereferenced, so a dummy byte stands for it).
TEST(Overflow, PackedBytesOfAPortableKernelPackAreRejected) {
  const int64_t big = int64_t{1} << 31;
  const uint8_t dummy = 0;
  const qgemm_operand b{QGEMM_S8, QGEMM_NO_TRANS, &dummy, big, 0, nullptr};
  qgemm_packed_b* out = sentinel_packed_b();
  EXPECT_EQ(qgemm_pack_b_for_isa(QGEMM_ISA_SCALAR, big, big, &b, &out), QGEMM_ERROR_INVALID_SIZE);
  EXPECT_THAT(qgemm_last_error(), HasSubstr("does not fit in memory"));
  EXPECT_EQ(out, sentinel_packed_b());

  // The one-shot path packs the same B: the same rejection, and C stays untouched.
  ASSERT_EQ(qgemm_set_isa(QGEMM_ISA_SCALAR), QGEMM_OK);
  const qgemm_operand a{QGEMM_U8, QGEMM_NO_TRANS, &dummy, big, 0, nullptr};
  const qgemm_epilogue e = qgemm_epilogue_s32(nullptr);
  int32_t c[4] = {11, 22, 33, 44};
  EXPECT_EQ(qgemm_gemm(1, big, big, &a, &b, &e, c, big), QGEMM_ERROR_INVALID_SIZE);
  EXPECT_EQ(c[0], 11);
  EXPECT_EQ(c[3], 44);
  ASSERT_EQ(qgemm_set_isa(qgemm_best_isa()), QGEMM_OK);
}

// A blob whose K and N make the payload size overflow is rejected before anything is allocated.
TEST(Overflow, BlobWhosePayloadSizeOverflowsIsRejected) {
  const kernel_under_test k = kernels_under_test().front();
  const gemm_case g = cases_for(k)[0];
  std::vector<uint8_t> blob = packed_b_blob(k, gemm_problem(g));
  for (int i = 0; i < 8; ++i) {
    blob[48 + i] = static_cast<uint8_t>((uint64_t{1} << 40) >> (8 * i));  // K = 2^40
    blob[56 + i] = static_cast<uint8_t>((uint64_t{1} << 40) >> (8 * i));  // N = 2^40
  }
  const uint64_t h = qgemm::detail::blob_checksum(blob.data(), blob.size());
  for (int i = 0; i < 8; ++i) blob[qgemm::detail::kBlobChecksumOffset + i] = static_cast<uint8_t>(h >> (8 * i));
  qgemm_packed_b* out = sentinel_packed_b();
  injection_off guard;
  inject_allocation_failures(0, 1000);  // nothing may even try to allocate
  EXPECT_EQ(qgemm::detail::load_packed_b(blob.data(), blob.size(), k.test_only, &out),
            QGEMM_ERROR_INVALID_DATA);
  EXPECT_EQ(injected_allocation_failures(), 0);
  EXPECT_THAT(qgemm_last_error(), HasSubstr("does not fit K = 1099511627776"));
  EXPECT_EQ(out, sentinel_packed_b());
}

}  // namespace

// Packed weights as bytes (qgemm_packed_b_serialized_size / _serialize / _load): round trips on
// every kernel this machine runs give bit-identical GEMMs; every truncation, every single-byte
// corruption, a foreign ISA, another format version and crafted-but-checksummed bad fields are
// rejected with their status and a message, and never write *out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/serialize.h"
#include "gemm_problem.h"
#include "qgemm/qgemm.hpp"

using namespace qgemm_test;
using ::testing::HasSubstr;

namespace {

// Loads through the public API for a level's kernel, through the internal loader (which also
// accepts the test-only kernel) for a test-only one.
qgemm_status load_for(const kernel_under_test& k, const std::vector<uint8_t>& blob,
                      qgemm_packed_b** out) {
  return qgemm::detail::load_packed_b(blob.data(), blob.size(), k.test_only, out);
}

void fix_checksum(std::vector<uint8_t>& blob) {
  const uint64_t h = qgemm::detail::blob_checksum(blob.data(), blob.size());
  for (int i = 0; i < 8; ++i)
    blob[qgemm::detail::kBlobChecksumOffset + i] = static_cast<uint8_t>(h >> (8 * i));
}
void put_u32(std::vector<uint8_t>& blob, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) blob.at(at + i) = static_cast<uint8_t>(v >> (8 * i));
}

std::vector<gemm_case> round_trip_cases() {
  std::vector<gemm_case> cases;
  uint32_t seed = 1;
  for (qgemm_type tb : {QGEMM_S8, QGEMM_U8})
    for (qgemm_transpose xb : {QGEMM_NO_TRANS, QGEMM_TRANS})
      for (bool per_column : {false, true})
        for (auto shape : std::vector<std::array<int64_t, 3>>{{5, 3, 7}, {17, 37, 70}, {1, 1, 1}}) {
          gemm_case g;
          g.M = shape[0];
          g.N = shape[1];
          g.K = shape[2];
          g.a_type = seed % 2 ? QGEMM_U8 : QGEMM_S8;
          g.b_type = tb;
          g.b_trans = xb;
          g.zb_per_column = per_column;
          g.za_per_row = seed % 3 == 0;
          g.out = kAllOutputs[seed % 6];
          g.seed = seed++;
          cases.push_back(g);
        }
  return cases;
}

// A small blob of kernel k (B s8 5 x 3, per-column zero points).
std::vector<uint8_t> small_blob(const kernel_under_test& k, gemm_case* spec = nullptr) {
  gemm_case g;
  g.M = 2;
  g.N = 3;
  g.K = 5;
  g.zb_per_column = true;
  g.seed = 7;
  if (spec) *spec = g;
  return packed_b_blob(k, gemm_problem(g));
}

TEST(Serialize, RoundTripOnEveryKernelGivesTheSameProductAndTheSameBytes) {
  const auto kernels = kernels_under_test();
  ASSERT_FALSE(kernels.empty());
  for (const kernel_under_test& k : kernels) {
    for (const gemm_case& g : round_trip_cases()) {
      SCOPED_TRACE(k.name() + " " + g.describe());
      const gemm_problem p(g);
      qgemm_packed_b* packed = nullptr;
      ASSERT_EQ(pack_b_for(k, g.K, g.N, &p.b(), &packed), QGEMM_OK) << qgemm_last_error();
      const std::vector<uint8_t> blob = serialize_packed_b(packed);
      qgemm_packed_b* loaded = sentinel_packed_b();
      ASSERT_EQ(load_for(k, blob, &loaded), QGEMM_OK) << qgemm_last_error();
      ASSERT_NE(loaded, sentinel_packed_b());

      qgemm_packed_b_info a{}, b{};
      ASSERT_EQ(qgemm_packed_b_get_info(packed, &a), QGEMM_OK);
      ASSERT_EQ(qgemm_packed_b_get_info(loaded, &b), QGEMM_OK);
      EXPECT_EQ(a.K, b.K);
      EXPECT_EQ(a.N, b.N);
      EXPECT_EQ(a.type, b.type);
      EXPECT_EQ(a.trans, b.trans);
      EXPECT_EQ(a.zero_point_per_column, b.zero_point_per_column);
      EXPECT_EQ(a.isa, b.isa);
      EXPECT_STREQ(a.kernel, b.kernel);
      EXPECT_EQ(a.bytes, b.bytes);

      const std::vector<uint8_t> ref = p.reference();
      EXPECT_EQ(run_packed(p, packed), ref);
      EXPECT_EQ(run_packed(p, loaded), ref);
      EXPECT_EQ(serialize_packed_b(loaded), blob) << "a loaded B serializes to other bytes";
      qgemm_packed_b_destroy(packed);
      qgemm_packed_b_destroy(loaded);
    }
  }
}

TEST(Serialize, BlobHeaderRecordsFormatKernelAndShape) {
  const kernel_under_test k = kernels_under_test().front();
  const std::vector<uint8_t> blob = small_blob(k);
  ASSERT_GE(blob.size(), qgemm::detail::kBlobHeaderBytes);
  EXPECT_EQ(std::memcmp(blob.data(), "QGEMMPKB", 8), 0);
  EXPECT_EQ(blob[8], 1);  // format version 1, little-endian
  EXPECT_EQ(blob[12], 128);
  EXPECT_EQ(blob[16] | (blob[17] << 8), 0);  // library 0.1.0
  EXPECT_EQ(blob[18] | (blob[19] << 8), 1);
  EXPECT_EQ(blob[24], static_cast<uint8_t>(k.isa));
  EXPECT_EQ(blob[28], k.info.mr);
  EXPECT_EQ(blob[32], k.info.nr);
  EXPECT_EQ(blob[36], k.info.kr);
  EXPECT_EQ(blob[42], QGEMM_S8);
  EXPECT_EQ(blob[44], 1);  // per-column zero points
  EXPECT_EQ(blob[48], 5);  // K
  EXPECT_EQ(blob[56], 3);  // N
  EXPECT_STREQ(reinterpret_cast<const char*>(blob.data() + 64), k.info.name);
}

TEST(Serialize, RejectsNullArgumentsAndASmallBufferWithoutWriting) {
  const kernel_under_test k = kernels_under_test().front();
  gemm_case g;
  g.N = 3;
  g.K = 5;
  const gemm_problem p(g);
  qgemm_packed_b* packed = nullptr;
  ASSERT_EQ(pack_b_for(k, g.K, g.N, &p.b(), &packed), QGEMM_OK);
  size_t size = 0;
  EXPECT_EQ(qgemm_packed_b_serialized_size(nullptr, &size), QGEMM_ERROR_NULL_POINTER);
  EXPECT_EQ(qgemm_packed_b_serialized_size(packed, nullptr), QGEMM_ERROR_NULL_POINTER);
  ASSERT_EQ(qgemm_packed_b_serialized_size(packed, &size), QGEMM_OK);

  std::vector<uint8_t> buffer(size + 16, 0xC3);
  const std::vector<uint8_t> canary = buffer;
  size_t written = 12345;
  EXPECT_EQ(qgemm_packed_b_serialize(nullptr, buffer.data(), buffer.size(), &written),
            QGEMM_ERROR_NULL_POINTER);
  EXPECT_EQ(qgemm_packed_b_serialize(packed, nullptr, buffer.size(), &written),
            QGEMM_ERROR_NULL_POINTER);
  EXPECT_EQ(qgemm_packed_b_serialize(packed, buffer.data(), size - 1, &written),
            QGEMM_ERROR_INVALID_SIZE);
  EXPECT_THAT(qgemm_last_error(), HasSubstr("too small"));
  EXPECT_EQ(qgemm_packed_b_serialize(packed, buffer.data(), 0, &written), QGEMM_ERROR_INVALID_SIZE);
  EXPECT_EQ(buffer, canary);
  EXPECT_EQ(written, 12345u);
  // A larger buffer: exactly `size` bytes written, the rest untouched; *written may be NULL.
  ASSERT_EQ(qgemm_packed_b_serialize(packed, buffer.data(), buffer.size(), nullptr), QGEMM_OK);
  EXPECT_TRUE(std::equal(buffer.begin() + size, buffer.end(), canary.begin() + size));

  qgemm_packed_b* out = sentinel_packed_b();
  EXPECT_EQ(qgemm_packed_b_load(nullptr, size, &out), QGEMM_ERROR_NULL_POINTER);
  EXPECT_EQ(qgemm_packed_b_load(buffer.data(), size, nullptr), QGEMM_ERROR_NULL_POINTER);
  EXPECT_EQ(out, sentinel_packed_b());
  qgemm_packed_b_destroy(packed);
}

TEST(Serialize, TruncationAtEveryLengthAndTrailingBytesAreRejected) {
  for (const kernel_under_test& k : kernels_under_test()) {
    SCOPED_TRACE(k.name());
    std::vector<uint8_t> blob = small_blob(k);
    for (size_t len = 0; len < blob.size(); ++len) {
      // A copy of exactly len bytes, so that ASan sees any read past its end.
      std::vector<uint8_t> cut(blob.begin(), blob.begin() + static_cast<long>(len));
      qgemm_packed_b* out = sentinel_packed_b();
      const uint8_t dummy = 0;
      const qgemm_status s = qgemm::detail::load_packed_b(len ? cut.data() : &dummy, len,
                                                          k.test_only, &out);
      ASSERT_EQ(s, QGEMM_ERROR_INVALID_DATA) << "length " << len << ": " << qgemm_last_error();
      EXPECT_EQ(out, sentinel_packed_b());
      if (len >= 12) {
        EXPECT_THAT(qgemm_last_error(), HasSubstr("truncated")) << "length " << len;
      }
    }
    blob.push_back(0);
    qgemm_packed_b* out = sentinel_packed_b();
    EXPECT_EQ(load_for(k, blob, &out), QGEMM_ERROR_INVALID_DATA);
    EXPECT_THAT(qgemm_last_error(), HasSubstr("trailing bytes"));
    EXPECT_EQ(out, sentinel_packed_b());
  }
}

TEST(Serialize, EverySingleByteCorruptionIsRejected) {
  for (const kernel_under_test& k : kernels_under_test()) {
    SCOPED_TRACE(k.name());
    const std::vector<uint8_t> blob = small_blob(k);
    for (size_t i = 0; i < blob.size(); ++i) {
      for (uint8_t flip : {0x01, 0x80, 0xFF}) {
        std::vector<uint8_t> bad = blob;
        bad[i] ^= flip;
        qgemm_packed_b* out = sentinel_packed_b();
        const qgemm_status s = load_for(k, bad, &out);
        ASSERT_NE(s, QGEMM_OK) << "byte " << i << " ^ " << int{flip} << " was accepted";
        // Magic, version and the size fields are read before the checksum; the rest must fail it.
        if (i >= 16 && (i < 112 || i >= 120)) {
          EXPECT_THAT(qgemm_last_error(), HasSubstr("checksum")) << "byte " << i;
        }
        EXPECT_EQ(out, sentinel_packed_b());
      }
    }
  }
}

// Blobs whose checksum is right but whose content is not: what a crafted file can hold.
TEST(Serialize, CheckedFieldsAreRejectedEvenWithAValidChecksum) {
  const kernel_under_test k = kernels_under_test().front();
  gemm_case g;
  const std::vector<uint8_t> blob = small_blob(k, &g);
  struct patch {
    const char* what;
    size_t at;
    uint32_t value;
    int bytes;
    const char* message;
  };
  const patch patches[] = {
      {"type", 42, 7, 1, "B type 7"},
      {"transpose", 43, 2, 1, "transpose 2"},
      {"per-column flag", 44, 3, 1, "per-column flag 3"},
      {"reserved byte", 46, 1, 1, "reserved"},
      {"reserved u16", 22, 1, 2, "reserved"},
      {"K (another kp)", 48, 9, 4, "does not fit K = 9"},
      {"N", 56, 4, 4, "N = 4"},
      {"K negative", 52, 0x80000000u, 4, "outside [0, 2^40]"},
      {"N above 2^40", 60, 0x100u, 4, "outside [0, 2^40]"},
      {"ISA beyond the enum", 24, 99, 4, "ISA level 99"},
      {"empty name", 64, 0, 1, "empty"},
      {"byte after the name", 64 + 47, 'x', 1, "after the kernel name"},
      {"tile", 28, 1, 4, "(1x"},
      {"packed element", 41, 3, 1, "B s8_abs_sign"},
      {"header size", 12, 64, 4, "header size 64"},
  };
  auto expect_refused = [&](std::vector<uint8_t> bad, const char* message) {
    fix_checksum(bad);
    qgemm_packed_b* out = sentinel_packed_b();
    const qgemm_status s = load_for(k, bad, &out);
    EXPECT_NE(s, QGEMM_OK);
    EXPECT_THAT(qgemm_last_error(), HasSubstr(message));
    EXPECT_EQ(out, sentinel_packed_b());
  };
  for (const patch& pt : patches) {
    SCOPED_TRACE(pt.what);
    std::vector<uint8_t> bad = blob;
    for (int i = 0; i < pt.bytes; ++i) bad[pt.at + i] = static_cast<uint8_t>(pt.value >> (8 * i));
    expect_refused(bad, pt.message);
  }
  {
    SCOPED_TRACE("another kernel name");
    std::vector<uint8_t> bad = blob;
    std::memset(bad.data() + 64, 0, 48);
    std::memcpy(bad.data() + 64, "Xkernel", 7);
    expect_refused(bad, "packed for Xkernel");
  }
  {
    SCOPED_TRACE("unterminated name");
    std::vector<uint8_t> bad = blob;
    std::memset(bad.data() + 64, 'x', 48);
    expect_refused(bad, "unterminated");
  }
  // Format version 2: rejected before the checksum is even looked at.
  std::vector<uint8_t> v2 = blob;
  put_u32(v2, 8, 2);
  fix_checksum(v2);
  qgemm_packed_b* out = sentinel_packed_b();
  EXPECT_EQ(load_for(k, v2, &out), QGEMM_ERROR_INVALID_DATA);
  EXPECT_THAT(qgemm_last_error(), HasSubstr("format version 2"));
  EXPECT_EQ(out, sentinel_packed_b());
  // Not a blob at all.
  std::vector<uint8_t> text(200, 'a');
  EXPECT_EQ(qgemm_packed_b_load(text.data(), text.size(), &out), QGEMM_ERROR_INVALID_DATA);
  EXPECT_THAT(qgemm_last_error(), HasSubstr("magic"));
  EXPECT_EQ(out, sentinel_packed_b());
}

// A zero point outside B's type, and (for a kernel that stores B as int16) a panel element
// outside it: the kernels' arithmetic is exact only for values in range, so they are refused.
TEST(Serialize, OutOfRangePayloadValuesAreRejectedEvenWithAValidChecksum) {
  for (const kernel_under_test& k : kernels_under_test()) {
    SCOPED_TRACE(k.name());
    gemm_case g;
    const std::vector<uint8_t> blob = small_blob(k, &g);  // per-column zero points: the last 3 i32
    std::vector<uint8_t> bad = blob;
    put_u32(bad, bad.size() - 4, 0x40000000u);
    fix_checksum(bad);
    qgemm_packed_b* out = sentinel_packed_b();
    EXPECT_EQ(load_for(k, bad, &out), QGEMM_ERROR_INVALID_DATA);
    EXPECT_THAT(qgemm_last_error(), HasSubstr("zero point 2"));
    EXPECT_EQ(out, sentinel_packed_b());
    qgemm_kernel_info info = k.info;
    if (std::string(info.name).find("scalar") != std::string::npos) {
      bad = blob;
      bad[qgemm::detail::kBlobHeaderBytes + 1] = 0x40;  // element 0 = 0x4000 + its low byte
      fix_checksum(bad);
      EXPECT_EQ(load_for(k, bad, &out), QGEMM_ERROR_INVALID_DATA);
      EXPECT_THAT(qgemm_last_error(), HasSubstr("panel element 0"));
      EXPECT_EQ(out, sentinel_packed_b());
    }
  }
}

TEST(Serialize, ForeignIsaBlobIsRejectedNamingBothLevels) {
  const kernel_under_test k = kernels_under_test().front();
  std::vector<uint8_t> blob = small_blob(k);
  const char* best = qgemm_isa_name(qgemm_best_isa());
  // A level this machine cannot run (an Arm level on x86 and the reverse), with the kernel name
  // such a blob would carry.
  qgemm_isa foreign = QGEMM_ISA_COUNT;
  for (int i = QGEMM_ISA_COUNT - 1; i >= 0; --i)
    if (!qgemm_isa_available(static_cast<qgemm_isa>(i))) foreign = static_cast<qgemm_isa>(i);
  ASSERT_NE(foreign, QGEMM_ISA_COUNT) << "every level runs here";
  std::vector<uint8_t> bad = blob;
  put_u32(bad, qgemm::detail::kBlobIsaOffset, static_cast<uint32_t>(foreign));
  std::memset(bad.data() + 64, 0, 48);
  std::strcpy(reinterpret_cast<char*>(bad.data() + 64), "ukernel_8x8c8__foreign");
  fix_checksum(bad);
  qgemm_packed_b* out = sentinel_packed_b();
  EXPECT_EQ(qgemm_packed_b_load(bad.data(), bad.size(), &out), QGEMM_ERROR_UNSUPPORTED_ISA);
  const std::string message = qgemm_last_error();
  EXPECT_THAT(message, HasSubstr(std::string("ISA level ") + qgemm_isa_name(foreign)));
  EXPECT_THAT(message, HasSubstr(std::string("best level here: ") + best));
  EXPECT_THAT(message, HasSubstr("ukernel_8x8c8__foreign"));
  EXPECT_THAT(message, HasSubstr("cannot be repacked"));
  EXPECT_EQ(out, sentinel_packed_b());

  // A runnable level whose kernel is not the one the blob names (another build's kernel).
  for (qgemm_isa other : runnable_isas()) {
    if (other == k.isa) continue;
    bad = blob;
    put_u32(bad, qgemm::detail::kBlobIsaOffset, static_cast<uint32_t>(other));
    fix_checksum(bad);
    EXPECT_EQ(qgemm_packed_b_load(bad.data(), bad.size(), &out), QGEMM_ERROR_UNSUPPORTED_ISA);
    EXPECT_THAT(qgemm_last_error(), HasSubstr(k.info.name));
    EXPECT_THAT(qgemm_last_error(), HasSubstr(qgemm_kernel_name(other)));
    EXPECT_EQ(out, sentinel_packed_b());
  }
}

// A test-only kernel's blob (the AVX-VNNI twin, say) names a kernel no level of the library has:
// the public loader refuses it.
TEST(Serialize, TestOnlyKernelBlobIsRejectedByThePublicLoader) {
  bool any = false;
  for (const kernel_under_test& k : kernels_under_test()) {
    if (k.test_only == nullptr) continue;
    any = true;
    const std::vector<uint8_t> blob = small_blob(k);
    qgemm_packed_b* out = sentinel_packed_b();
    EXPECT_EQ(qgemm_packed_b_load(blob.data(), blob.size(), &out), QGEMM_ERROR_UNSUPPORTED_ISA);
    EXPECT_THAT(qgemm_last_error(), HasSubstr(k.info.name));
    EXPECT_EQ(out, sentinel_packed_b());
  }
  if (!any) GTEST_SKIP() << "no test-only kernel runs here";
}

TEST(Serialize, CppWrappersRoundTripAndThrow) {
  gemm_case g;
  g.M = 3;
  g.N = 9;
  g.K = 13;
  g.out = out_kind::requant_fixed_u8;
  const gemm_problem p(g);
  const qgemm::packed_b packed(g.K, g.N, p.b());
  const std::vector<uint8_t> blob = packed.serialize();
  const qgemm::packed_b loaded = qgemm::packed_b::load(blob);
  EXPECT_EQ(loaded.K(), g.K);
  EXPECT_EQ(loaded.N(), g.N);
  std::vector<uint8_t> out = p.fresh_output();
  qgemm::gemm(g.M, g.N, g.K, p.a(), loaded, p.epilogue(), p.out(out), p.ldc());
  EXPECT_EQ(out, p.reference());
  std::vector<uint8_t> bad = blob;
  bad.back() ^= 1;
  try {
    qgemm::packed_b::load(bad);
    ADD_FAILURE() << "a corrupted blob loaded";
  } catch (const qgemm::error& e) {
    EXPECT_EQ(e.status(), QGEMM_ERROR_INVALID_DATA);
    EXPECT_THAT(e.what(), HasSubstr("checksum"));
  }
}

}  // namespace

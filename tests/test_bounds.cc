// Out-of-bounds access: every buffer the library reads or writes sits flush against a PROT_NONE
// guard page, so a read or write one byte past its end (or before its start) is a crash.
//
// Each input (A, B, the per-row zA, the per-column zB, every epilogue array: bias, scale,
// multiplier, shift, a_scale, b_scale, bias_f32) and the output C is copied into its own
// mapping: [guard page][data pages][guard page]. The buffer is exactly as long as the library
// may touch — (rows - 1) * ld + row length elements for a matrix, N (or M) values for a
// per-channel array, ONE value for a per-tensor one — and is placed either with its last byte
// right before the trailing guard page (placement "end") or with its first byte right after the
// leading guard page (placement "start"); the leading guard is there in both placements. The
// accessible bytes of C's mapping outside C hold a sentinel that must survive the GEMM, so a
// stray write is caught even where it lands short of a guard page.
//
// Every ISA level this machine runs, and every test-only kernel it runs (kernels_under_test():
// the AVX-VNNI kernel's EVEX twin), is swept around its own kernel tile (MR, NR, KR):
// M in {1, MR-1, MR, MR+1, 2MR+1}, N in {1, NR-1, NR, NR+1, 2NR+1},
// K in {0, 1, KR-1, KR, KR+1, 2KR+1}, for every output (6), A/B element type (4) and
// transpose (4), with per-tensor and per-channel parameters in both placements, tight leading
// dimensions (ldc == N: the end of C's last row is the end of the page) and padded ones
// (ld > row length, the buffer ending at the last valid element of its last row), through both
// qgemm_gemm (level forced with qgemm_set_isa; not for a test-only kernel, which no level
// selects) and qgemm_gemm_packed (B packed with qgemm_pack_b_for_isa, or for a test-only kernel
// through pack_b_for). Results are compared bit for bit with the scalar reference. K = 0
// gives A and B zero-byte buffers whose pointers lie on a guard page: any read of them faults.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "core/driver.h"
#include "gemm_problem.h"
#include "ref/reference.h"

using namespace qgemm_test;

namespace {

enum class place { end, start };

const char* place_name(place p) { return p == place::end ? "end" : "start"; }

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

uint8_t sentinel(size_t i) { return static_cast<uint8_t>(0x5A ^ (i * 13)); }

// A mapping [guard page][inner bytes][guard page]. Mappings are kept for reuse once released
// (their guard pages stay PROT_NONE), so that the tens of thousands of GEMMs below do not each
// pay for a dozen mmap / mprotect / munmap calls.
struct mapping {
  uint8_t* base = nullptr;
  size_t inner = 0;
};

std::vector<mapping>& mapping_pool() {
  static std::vector<mapping> pool;
  return pool;
}

mapping acquire_mapping(size_t inner) {
  std::vector<mapping>& pool = mapping_pool();
  for (size_t i = pool.size(); i-- > 0;) {
    if (pool[i].inner == inner) {
      const mapping m = pool[i];
      pool.erase(pool.begin() + static_cast<ptrdiff_t>(i));
      return m;
    }
  }
  const size_t page = page_size();
  void* p = mmap(nullptr, inner + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mapping m{static_cast<uint8_t*>(p), inner};
  if (mprotect(m.base, page, PROT_NONE) != 0 ||
      mprotect(m.base + page + inner, page, PROT_NONE) != 0) {
    munmap(m.base, inner + 2 * page);
    throw std::bad_alloc();
  }
  return m;
}

void release_mapping(const mapping& m) {
  std::vector<mapping>& pool = mapping_pool();
  if (pool.size() < 256) {
    pool.push_back(m);
  } else {
    munmap(m.base, m.inner + 2 * page_size());
  }
}

// `bytes` bytes between two PROT_NONE pages, flush against one of them. Zero bytes is allowed:
// the pointer then lies on the trailing guard page, and any access through it faults. The
// bytes' initial contents are unspecified until written or fill_sentinel() is called.
class guarded_buffer {
 public:
  guarded_buffer(size_t bytes, place where) : bytes_(bytes) {
    const size_t page = page_size();
    m_ = acquire_mapping((bytes + page - 1) / page * page);
    data_ = m_.base + page + (where == place::end ? m_.inner - bytes : 0);
  }
  ~guarded_buffer() { release_mapping(m_); }
  guarded_buffer(const guarded_buffer&) = delete;
  guarded_buffer& operator=(const guarded_buffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return bytes_; }

  // Every accessible byte of the mapping (the buffer and its slack) back to the sentinel.
  void fill_sentinel() {
    uint8_t* inner = m_.base + page_size();
    for (size_t i = 0; i < m_.inner; ++i) inner[i] = sentinel(i);
  }
  // "" when the accessible bytes outside the buffer still hold the sentinel.
  std::string slack_report() const {
    const uint8_t* inner = m_.base + page_size();
    const size_t lo = static_cast<size_t>(data_ - inner), hi = lo + bytes_;
    for (size_t i = 0; i < m_.inner; ++i) {
      if (i >= lo && i < hi) continue;
      if (inner[i] != sentinel(i)) {
        std::ostringstream s;
        s << "byte written " << (i < lo ? lo - i : i - hi + 1) << " byte(s) "
          << (i < lo ? "before the start" : "past the end") << " of C";
        return s.str();
      }
    }
    return "";
  }

 private:
  mapping m_;
  uint8_t* data_ = nullptr;
  size_t bytes_ = 0;
};

// Storage of a matrix: (rows - 1) * ld + len elements, nothing when it has no element.
size_t extent(int64_t rows, int64_t len, int64_t ld) {
  return rows > 0 && len > 0 ? static_cast<size_t>((rows - 1) * ld + len) : 0;
}

// A gemm_problem with every buffer moved behind guard pages. `per_channel` decides, for every
// epilogue array that has the choice, whether it holds one value or one per column (per row for
// a_scale); the zero-point modes come from the problem's gemm_case.
class guarded_gemm {
 public:
  guarded_gemm(const gemm_problem& p, place where, bool per_channel)
      : p_(p), where_(where), per_channel_(per_channel) {
    const gemm_case& c = p.spec();
    const size_t M = static_cast<size_t>(c.M), N = static_cast<size_t>(c.N);
    a_ = p.a();
    b_ = p.b();
    e_ = p.epilogue();
    const bool at = c.a_trans == QGEMM_TRANS, bt = c.b_trans == QGEMM_TRANS;
    a_.data = copy(static_cast<const uint8_t*>(p.a().data),
                   extent(at ? c.K : c.M, at ? c.M : c.K, a_.ld));
    b_.data = copy(static_cast<const uint8_t*>(p.b().data),
                   extent(bt ? c.N : c.K, bt ? c.K : c.N, b_.ld));
    if (a_.zero_points) a_.zero_points = copy(p.a().zero_points, M);
    if (b_.zero_points) b_.zero_points = copy(p.b().zero_points, N);

    const size_t per_col = per_channel ? N : 1;
    if (e_.bias) e_.bias = copy(e_.bias, N);
    if (e_.scale) {
      e_.scale = copy(e_.scale, per_col);
      e_.scale_per_column = per_channel;
    }
    if (e_.multiplier) {
      e_.multiplier = copy(e_.multiplier, per_col);
      e_.shift = copy(e_.shift, per_col);
      e_.multiplier_per_column = per_channel;
    }
    if (e_.a_scale) {
      e_.a_scale = copy(e_.a_scale, per_channel ? M : 1);
      e_.a_scale_per_row = per_channel;
    }
    if (e_.b_scale) {
      e_.b_scale = copy(e_.b_scale, per_col);
      e_.b_scale_per_column = per_channel;
    }
    if (e_.bias_f32) e_.bias_f32 = copy(e_.bias_f32, N);

    const size_t elem = out_elem_bytes(c.out);
    c_ = std::make_unique<guarded_buffer>(extent(c.M, c.N, p.ldc()) * elem, where);
    c_->fill_sentinel();
    // The reference writes into a copy of C's initial bytes, so that the bytes between rows
    // (when ldc > N) are compared too: they must stay as they were.
    ref_.assign(c_->data(), c_->data() + c_->size());
    if (M > 0 && N > 0) qgemm::ref::gemm(c.M, c.N, c.K, a_, b_, e_, ref_.data(), p.ldc());
  }

  std::string describe() const {
    std::ostringstream s;
    s << p_.spec().describe() << " ldc=" << p_.ldc() << " placement=" << place_name(where_)
      << " epilogue=" << (per_channel_ ? "per-channel" : "per-tensor");
    return s.str();
  }

  // Runs kernel k one-shot (a level's kernel only) and with a B packed for it; "" when each
  // matches.
  std::string check(const kernel_under_test& k) {
    const gemm_case& c = p_.spec();
    const std::string level = k.name();
    if (k.test_only == nullptr) {
      const std::string selected = select_for_one_shot(k);
      if (!selected.empty()) return selected;
      c_->fill_sentinel();
      if (qgemm_gemm(c.M, c.N, c.K, &a_, &b_, &e_, c_->data(), p_.ldc()) != QGEMM_OK)
        return level + " one-shot failed: " + qgemm_last_error() + " — " + describe();
      std::string diff = compare(level + " one-shot");
      if (!diff.empty()) return diff;
    }

    qgemm_packed_b* packed = nullptr;
    if (pack_b_for(k, c.K, c.N, &b_, &packed) != QGEMM_OK)
      return level + " pack failed: " + qgemm_last_error() + " — " + describe();
    // A kernel with two layouts of A (gemm_kernel::pack_a_rows) reads A through each.
    const std::string diff = for_each_a_layout(packed, [&](const char* what) {
      c_->fill_sentinel();
      if (qgemm_gemm_packed(c.M, c.N, c.K, &a_, c.b_type, packed, &e_, c_->data(), p_.ldc()) !=
          QGEMM_OK)
        return level + what + " GEMM failed: " + qgemm_last_error() + " — " + describe();
      return compare(level + what);
    });
    qgemm_packed_b_destroy(packed);
    return diff;
  }

 private:
  template <class T>
  const T* copy(const T* src, size_t count) {
    buffers_.push_back(std::make_unique<guarded_buffer>(count * sizeof(T), where_));
    if (count > 0) std::memcpy(buffers_.back()->data(), src, count * sizeof(T));
    return reinterpret_cast<const T*>(buffers_.back()->data());
  }

  std::string compare(const std::string& how) const {
    const std::string slack = c_->slack_report();
    if (!slack.empty()) return how + ": " + slack + " — " + describe();
    if (std::memcmp(c_->data(), ref_.data(), ref_.size()) == 0) return "";
    size_t i = 0;
    while (c_->data()[i] == ref_[i]) ++i;
    const int64_t e = static_cast<int64_t>(i / out_elem_bytes(p_.spec().out));
    std::ostringstream s;
    s << how << ": first difference at byte " << i << " (row " << e / p_.ldc() << ", column "
      << e % p_.ldc() << "): got 0x" << std::hex << int{c_->data()[i]} << ", want 0x"
      << int{ref_[i]} << std::dec << " — " << describe();
    return s.str();
  }

  const gemm_problem& p_;
  place where_;
  bool per_channel_;
  qgemm_operand a_{}, b_{};
  qgemm_epilogue e_{};
  std::vector<std::unique_ptr<guarded_buffer>> buffers_;
  std::unique_ptr<guarded_buffer> c_;
  std::vector<uint8_t> ref_;
};

// ---------------------------------------------------------------------------------------------

TEST(GuardedBuffer, FaultsOnBothSides) {
  for (place where : {place::end, place::start}) {
    guarded_buffer g(10, where);
    volatile uint8_t* p = g.data();
    p[0] = 1;
    p[9] = 2;
    if (where == place::end) {
      EXPECT_DEATH(p[10] = 3, "");
    } else {
      EXPECT_DEATH(p[-1] = 3, "");
    }
  }
  guarded_buffer empty(0, place::end);
  volatile const uint8_t* q = empty.data();
  EXPECT_DEATH((void)q[0], "");
}

// Zero-point modes are rotated inside each test, so the suites are the 96 other combinations.
std::string combo_test_name(const testing::TestParamInfo<combo>& info) {
  return combo_name(info.param, /*zero_point_modes=*/false);
}

// {1, t-1, t, t+1, 2t+1} without repeats or values below `lo`.
std::vector<int64_t> around(int64_t t, std::initializer_list<int64_t> extra, int64_t lo) {
  std::vector<int64_t> v(extra);
  for (int64_t x : {int64_t{1}, t - 1, t, t + 1, 2 * t + 1}) v.push_back(x);
  v.erase(std::remove_if(v.begin(), v.end(), [&](int64_t x) { return x < lo; }), v.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

class GuardPages : public testing::TestWithParam<combo> {};

TEST_P(GuardPages, EdgeShapesOnEveryKernel) {
  const combo& cb = GetParam();
  const std::vector<kernel_under_test> kernels = kernels_under_test();
  ASSERT_FALSE(kernels.empty());
  int checked = 0;
  for (const kernel_under_test& kut : kernels) {
    const qgemm_kernel_info& k = kut.info;
    const qgemm_isa isa = kut.isa;
    const std::vector<int64_t> Ms = around(k.mr, {}, 1), Ns = around(k.nr, {}, 1);
    const std::vector<int64_t> Ks = around(k.kr, {0}, 0);
    uint32_t n_case = 0;
    for (int64_t M : Ms)
      for (int64_t N : Ns)
        for (int64_t K : Ks) {
          ++n_case;
          // Five runs per shape: tight leading dimensions (ldc == N) with per-tensor and with
          // per-channel parameters, each in both placements; then padded leading dimensions
          // (odd pads: ld > row length, every buffer ending at the last valid element of its
          // last row) with mixed zero-point modes, the placement and epilogue mode rotating.
          for (int run = 0; run < 5; ++run) {
            gemm_case g;
            g.M = M;
            g.N = N;
            g.K = K;
            g.out = cb.out;
            g.a_type = cb.a_type;
            g.b_type = cb.b_type;
            g.a_trans = cb.a_trans;
            g.b_trans = cb.b_trans;
            g.seed = n_case * 2654435761u + static_cast<uint32_t>(run * 97 + isa);
            g.bias = true;
            g.clamp = (n_case + static_cast<uint32_t>(run)) % 4 == 1;
            bool per_channel = false;
            place where = place::end;
            if (run < 4) {
              per_channel = run >= 2;
              g.za_per_row = g.zb_per_column = per_channel;
              where = run % 2 == 0 ? place::end : place::start;
            } else {
              g.ld_pad = 1 + 2 * static_cast<int64_t>(n_case % 4);
              g.za_per_row = n_case % 2 == 0;
              g.zb_per_column = n_case % 2 == 1;
              per_channel = (n_case / 2) % 2 == 0;
              where = (n_case / 4) % 2 == 0 ? place::end : place::start;
            }
            const gemm_problem p(g);
            guarded_gemm gg(p, where, per_channel);
            ASSERT_EQ(gg.check(kut), "") << "kernel " << k.name;
            ++checked;
          }
        }
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, GuardPages, testing::ValuesIn(all_combos(false)),
                         combo_test_name);

// Shapes that cross the driver's MC, NC and KC blocks (split K, several A blocks, several
// column blocks), guarded the same way, in both placements and both parameter modes.
TEST(GuardPagesLarge, BlockCrossingShapesOnEveryKernel) {
  const std::vector<combo> combos = all_combos(false);
  for (const kernel_under_test& kut : kernels_under_test()) {
    const qgemm_kernel_info& k = kut.info;
    const std::vector<std::array<int64_t, 3>> shapes = block_crossing_shapes(k);
    uint32_t seed = 11;
    for (const auto& s : shapes) {
      for (int rep = 0; rep < 4; ++rep) {
        const combo& cb = combos[(seed * 40503u) % combos.size()];
        gemm_case g;
        g.M = s[0];
        g.N = s[1];
        g.K = s[2];
        g.out = cb.out;
        g.a_type = cb.a_type;
        g.b_type = cb.b_type;
        g.a_trans = cb.a_trans;
        g.b_trans = cb.b_trans;
        g.seed = ++seed;
        g.za_per_row = g.zb_per_column = rep % 2 == 1;
        g.ld_pad = rep >= 2 ? 3 : 0;
        const gemm_problem p(g);
        guarded_gemm gg(p, rep % 2 == 0 ? place::end : place::start, rep % 2 == 1);
        ASSERT_EQ(gg.check(kut), "") << "kernel " << k.name;
      }
    }
  }
}

}  // namespace

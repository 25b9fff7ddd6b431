// Decoding a fuzzer's byte string into values. Reading past the end yields zeros, so every
// input, however short, decodes into something; the fuzzer learns which bytes matter.
#ifndef QGEMM_FUZZ_FUZZ_INPUT_H
#define QGEMM_FUZZ_FUZZ_INPUT_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qgemm_fuzz {

class input {
 public:
  input(const uint8_t* data, size_t size) : p_(data), n_(size) {}

  uint8_t u8() { return i_ < n_ ? p_[i_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
  uint64_t u64() { return static_cast<uint64_t>(u32()) | (static_cast<uint64_t>(u32()) << 32); }
  bool bit() { return u8() & 1; }
  // A value in [lo, hi] (hi - lo < 2^32).
  int64_t in(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>((span <= 256 ? u8() : span <= 65536 ? u16() : u32()) % span);
  }
  float raw_f32() {
    const uint32_t bits = u32();
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  double raw_f64() {
    const uint64_t bits = u64();
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  size_t remaining() const { return i_ < n_ ? n_ - i_ : 0; }
  const uint8_t* rest() const { return p_ + (i_ < n_ ? i_ : n_); }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
};

// A small deterministic generator for data the input does not spell out.
struct xorshift {
  uint64_t s;
  explicit xorshift(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// A finding: print it and abort, which libFuzzer reports with the input that caused it.
#define QGEMM_FUZZ_CHECK(cond, ...)                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "qgemm fuzz check failed: %s (%s:%d)\n  ", #cond, __FILE__, \
                   __LINE__);                                                    \
      std::fprintf(stderr, __VA_ARGS__);                                         \
      std::fprintf(stderr, "\n");                                                \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

}  // namespace qgemm_fuzz

#endif  // QGEMM_FUZZ_FUZZ_INPUT_H

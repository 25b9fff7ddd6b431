// fuzz_quant: the calibration / quantize / dequantize toolkit on arbitrary input.
//
// Never a crash or UB (ASan + UBSan), and the contract's invariants (SEMANTICS.md §4) on every
// accepted call:
//   - validity: bad input (empty data, a NaN/Inf in data or range, alpha > beta, bits outside
//     2..16, qmin >= qmax or outside [-32768, 65535], p outside (0, 100], an output type that
//     does not hold the range) is rejected and the output left untouched; good input accepted;
//   - parameters: scale finite and > 0, qmin <= zero point <= qmax;
//   - quantize: every q in [qmin, qmax]; round trip: |dequantize(quantize(x)) - x| <= s/2 (plus
//     float rounding) for every x inside the calibrated range (the zero point's own rounding
//     cancels: the same z is used both ways);
//   - quantize_multiplier: M0 in [2^30, 2^31) with |M0 2^(shift-31) - m| <= half an ulp, or
//     (0, 0) below 2^-32; requant_scale: exactly float(sA sB / sC).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "qgemm/qgemm.h"

using qgemm_fuzz::input;

namespace {

// Data: "nice" floats (integers times a power of two) or raw bit patterns (NaN/Inf included).
std::vector<float> decode_data(input& in) {
  const size_t n = static_cast<size_t>(in.in(0, 48));
  const uint8_t mode = in.u8();
  std::vector<float> x(n);
  const int exp = static_cast<int>(in.in(-150, 120));
  for (auto& v : x) {
    if (mode & 1)
      v = in.raw_f32();
    else
      v = std::ldexp(static_cast<float>(static_cast<int16_t>(in.u16())), exp);
    if (!(mode & 2) && v < 0) v = -v;  // one-tailed data now and then
  }
  return x;
}

bool all_finite(const std::vector<float>& x) {
  return std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); });
}

struct range_choice {
  qgemm_qrange r;
  bool valid;
};
range_choice decode_range(input& in) {
  range_choice c{};
  if (in.bit()) {
    const int32_t bits = static_cast<int32_t>(in.in(0, 18));
    const bool is_signed = in.bit();
    qgemm_qrange r{111, 222};
    const qgemm_status s = qgemm_qrange_from_bits(bits, is_signed, &r);
    const bool valid = bits >= 2 && bits <= 16;
    QGEMM_FUZZ_CHECK((s == QGEMM_OK) == valid, "qrange_from_bits(%d): %s", bits, qgemm_status_name(s));
    if (valid) {
      const int64_t lo = is_signed ? -(int64_t{1} << (bits - 1)) : 0;
      const int64_t hi = is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
      QGEMM_FUZZ_CHECK(r.qmin == lo && r.qmax == hi, "bits %d gave [%d, %d]", bits, r.qmin, r.qmax);
    } else {
      QGEMM_FUZZ_CHECK(r.qmin == 111 && r.qmax == 222, "rejected qrange_from_bits wrote");
    }
    c.r = valid ? r : qgemm_qrange{0, 255};
    c.valid = true;
  } else {
    c.r.qmin = static_cast<int32_t>(in.in(-33000, 66000));
    c.r.qmax = static_cast<int32_t>(in.in(-33000, 66000));
    c.valid = c.r.qmin < c.r.qmax && c.r.qmin >= -32768 && c.r.qmax <= 65535;
  }
  return c;
}

// Field by field: the struct has padding, which copies need not preserve.
bool same_params(const qgemm_qparams& a, const qgemm_qparams& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point && a.qmin == b.qmin && a.qmax == b.qmax;
}

void check_params(const qgemm_qparams& p, const char* what) {
  QGEMM_FUZZ_CHECK(std::isfinite(p.scale) && p.scale > 0, "%s: scale %g", what, p.scale);
  QGEMM_FUZZ_CHECK(p.qmin < p.qmax && p.zero_point >= p.qmin && p.zero_point <= p.qmax,
                   "%s: z = %d, [%d, %d]", what, p.zero_point, p.qmin, p.qmax);
}

// The narrowest storage type holding [qmin, qmax]; false if none does.
bool storage_for(const qgemm_qparams& p, qgemm_type* t) {
  if (p.qmin >= 0 && p.qmax <= 255) *t = QGEMM_U8;
  else if (p.qmin >= -128 && p.qmax <= 127) *t = QGEMM_S8;
  else if (p.qmin >= 0 && p.qmax <= 65535) *t = QGEMM_U16;
  else if (p.qmin >= -32768 && p.qmax <= 32767) *t = QGEMM_S16;
  else return false;
  return true;
}
bool holds(qgemm_type t, const qgemm_qparams& p) {
  switch (t) {
    case QGEMM_U8: return p.qmin >= 0 && p.qmax <= 255;
    case QGEMM_S8: return p.qmin >= -128 && p.qmax <= 127;
    case QGEMM_U16: return p.qmin >= 0 && p.qmax <= 65535;
    case QGEMM_S16: return p.qmin >= -32768 && p.qmax <= 32767;
    default: return false;
  }
}
int64_t element(const std::vector<uint8_t>& q, qgemm_type t, size_t i) {
  switch (t) {
    case QGEMM_U8: return q[i];
    case QGEMM_S8: return static_cast<int8_t>(q[i]);
    case QGEMM_U16: { uint16_t v; std::memcpy(&v, &q[2 * i], 2); return v; }
    default: { int16_t v; std::memcpy(&v, &q[2 * i], 2); return v; }
  }
}

// Quantizes x with p, checks the range and the round trip for x within [lo, hi].
void round_trip(input& in, const std::vector<float>& x, const qgemm_qparams& p, double lo,
                double hi) {
  qgemm_type t{};
  const bool have = storage_for(p, &t);
  if (in.bit() || !have) t = static_cast<qgemm_type>(in.in(0, 5));  // maybe one that cannot hold it
  const bool ok_type = holds(t, p);
  const size_t elem = (t == QGEMM_U16 || t == QGEMM_S16) ? 2 : 1;
  std::vector<uint8_t> q(x.size() * elem + 1, 0xCD);
  const qgemm_status s = qgemm_quantize(x.data(), x.size(), &p, t, q.data());
  const bool valid = ok_type && !x.empty() && all_finite(x);
  QGEMM_FUZZ_CHECK((s == QGEMM_OK) == valid, "quantize into type %d: %s (%s)", t,
                   qgemm_status_name(s), qgemm_last_error());
  if (!valid) {
    QGEMM_FUZZ_CHECK(std::all_of(q.begin(), q.end(), [](uint8_t b) { return b == 0xCD; }),
                     "a rejected quantize wrote its output");
    return;
  }
  QGEMM_FUZZ_CHECK(q.back() == 0xCD, "quantize wrote past n elements");
  // Dequantize refuses (rather than write an infinity) when s * (q - z) exceeds float's range.
  bool representable = true;
  for (size_t i = 0; i < x.size(); ++i)
    representable = representable &&
        std::isfinite(static_cast<float>(p.scale * static_cast<double>(element(q, t, i) - p.zero_point)));
  std::vector<float> back(x.size() + 1, 7.0f);
  const qgemm_status ds = qgemm_dequantize(q.data(), t, x.size(), &p, back.data());
  QGEMM_FUZZ_CHECK((ds == QGEMM_OK) == representable, "dequantize: %s (%s)",
                   qgemm_status_name(ds), qgemm_last_error());
  QGEMM_FUZZ_CHECK(back.back() == 7.0f, "dequantize wrote past n elements");
  if (ds != QGEMM_OK) {
    QGEMM_FUZZ_CHECK(std::all_of(back.begin(), back.end(), [](float v) { return v == 7.0f; }),
                     "a rejected dequantize wrote its output");
    return;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t v = element(q, t, i);
    QGEMM_FUZZ_CHECK(v >= p.qmin && v <= p.qmax, "q[%zu] = %lld outside [%d, %d]", i,
                     (long long)v, p.qmin, p.qmax);
    QGEMM_FUZZ_CHECK(back[i] == static_cast<float>(p.scale * static_cast<double>(v - p.zero_point)),
                     "dequantize[%zu] is not s * (q - z)", i);
    if (x[i] >= lo && x[i] <= hi) {
      const double err = std::fabs(static_cast<double>(back[i]) - x[i]);
      const double bound = p.scale * 0.5 * (1 + 1e-9) +
                           std::ldexp(std::fabs(x[i]) + std::fabs(back[i]), -23) + 2e-45;
      QGEMM_FUZZ_CHECK(err <= bound, "x[%zu] = %.9g -> q %lld -> %.9g: error %g > s/2 = %g", i,
                       x[i], (long long)v, back[i], err, p.scale / 2);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  input in(data, size);
  const int op = static_cast<int>(in.u8() % 8);
  qgemm_qparams p{};
  const qgemm_qparams untouched{-1.0, 12345, 1, 2};
  switch (op) {
    case 0: {  // asymmetric from an explicit range
      const range_choice r = decode_range(in);
      const bool raw = in.bit();
      double alpha = raw ? in.raw_f64() : std::ldexp(static_cast<double>(static_cast<int16_t>(in.u16())), static_cast<int>(in.in(-60, 60)));
      double beta = raw ? in.raw_f64() : std::ldexp(static_cast<double>(static_cast<int16_t>(in.u16())), static_cast<int>(in.in(-60, 60)));
      p = untouched;
      const qgemm_status s = qgemm_calibrate_asymmetric_range(alpha, beta, r.r, &p);
      const bool bad = !r.valid || !std::isfinite(alpha) || !std::isfinite(beta) || alpha > beta;
      if (bad) {
        QGEMM_FUZZ_CHECK(s != QGEMM_OK, "accepted a bad range [%g, %g] / [%d, %d]", alpha, beta, r.r.qmin, r.r.qmax);
      } else if (!raw) {
        QGEMM_FUZZ_CHECK(s == QGEMM_OK, "rejected [%g, %g]: %s", alpha, beta, qgemm_last_error());
      }
      if (s != QGEMM_OK) {
        QGEMM_FUZZ_CHECK(same_params(p, untouched), "rejected call wrote params");
        return 0;
      }
      check_params(p, "asymmetric range");
      // Points of [alpha', beta'] that are floats.
      const double a = std::min(alpha, 0.0), b = std::max(beta, 0.0);
      if (std::fabs(a) > 1e38 || std::fabs(b) > 1e38) return 0;
      std::vector<float> x;
      for (int i = 0; i <= 16; ++i) {
        const float v = static_cast<float>(a + (b - a) * i / 16.0);
        if (v >= a && v <= b) x.push_back(v);
      }
      round_trip(in, x, p, a, b);
      return 0;
    }
    case 1:
    case 2:
    case 3:
    case 4: {  // from data: asymmetric, symmetric, symmetric unsigned, percentile
      const range_choice r = decode_range(in);
      const int32_t bits = static_cast<int32_t>(in.in(0, 18));
      const double pct = in.bit() ? in.raw_f64() : static_cast<double>(in.in(0, 1001)) / 10.0;
      const std::vector<float> x = decode_data(in);
      p = untouched;
      qgemm_status s{};
      bool valid = !x.empty() && all_finite(x);
      switch (op) {
        case 1: s = qgemm_calibrate_asymmetric(x.data(), x.size(), r.r, &p); valid = valid && r.valid; break;
        case 2: s = qgemm_calibrate_symmetric(x.data(), x.size(), bits, &p); valid = valid && bits >= 2 && bits <= 16; break;
        case 3: s = qgemm_calibrate_symmetric_unsigned(x.data(), x.size(), bits, &p); valid = valid && bits >= 2 && bits <= 16; break;
        default: s = qgemm_calibrate_percentile(x.data(), x.size(), bits, pct, &p); valid = valid && bits >= 2 && bits <= 16 && pct > 0 && pct <= 100; break;
      }
      QGEMM_FUZZ_CHECK((s == QGEMM_OK) == valid, "calibration %d: %s (%s)", op, qgemm_status_name(s), qgemm_last_error());
      if (s != QGEMM_OK) {
        QGEMM_FUZZ_CHECK(same_params(p, untouched), "rejected call wrote params");
        return 0;
      }
      if (!(std::isfinite(p.scale) && p.scale > 0)) {
        for (float v : x) std::fprintf(stderr, "x = %.9g\n", v);
        std::fprintf(stderr, "op %d bits %d p %.17g\n", op, bits, pct);
      }
      check_params(p, "calibration");
      double lo = 0, hi = 0;
      const float xmin = *std::min_element(x.begin(), x.end());
      const float xmax = *std::max_element(x.begin(), x.end());
      switch (op) {
        case 1: lo = std::min<double>(xmin, 0); hi = std::max<double>(xmax, 0); break;
        case 2: hi = p.scale * p.qmax; lo = -hi; break;                       // max|x|
        case 3: lo = 0; hi = p.scale * p.qmax; break;                         // [0, max x]
        default: hi = p.scale * p.qmax * (1 - 1e-12); lo = -hi; break;        // the clip value
      }
      if (op == 2 || op == 3) QGEMM_FUZZ_CHECK(p.zero_point == 0, "symmetric z = %d", p.zero_point);
      round_trip(in, x, p, lo, hi);
      return 0;
    }
    case 5: {  // requant_scale
      const double a = in.bit() ? in.raw_f64() : std::ldexp(1.0 + in.u16() / 65536.0, static_cast<int>(in.in(-80, 80)));
      const double b = in.bit() ? in.raw_f64() : std::ldexp(1.0 + in.u16() / 65536.0, static_cast<int>(in.in(-80, 80)));
      const double c = in.bit() ? in.raw_f64() : std::ldexp(1.0 + in.u16() / 65536.0, static_cast<int>(in.in(-80, 80)));
      float out = -3.0f;
      const qgemm_status s = qgemm_requant_scale(a, b, c, &out);
      const bool inputs_ok = std::isfinite(a) && std::isfinite(b) && std::isfinite(c) && a > 0 && b > 0 && c > 0;
      if (!inputs_ok) QGEMM_FUZZ_CHECK(s != QGEMM_OK, "requant_scale accepted %g %g %g", a, b, c);
      if (s == QGEMM_OK) {
        const float want = static_cast<float>(a * b / c);
        QGEMM_FUZZ_CHECK(out == want && std::isfinite(out) && out > 0, "requant_scale %g %g %g = %g, want %g", a, b, c, out, want);
      } else {
        QGEMM_FUZZ_CHECK(out == -3.0f, "rejected requant_scale wrote");
      }
      return 0;
    }
    case 6: {  // quantize_multiplier
      const double m = in.bit() ? in.raw_f64() : std::ldexp(1.0 + in.u32() / 4294967296.0, static_cast<int>(in.in(-40, 34)));
      int32_t mult = -5, shift = -5;
      const qgemm_status s = qgemm_quantize_multiplier(m, &mult, &shift);
      if (!(std::isfinite(m) && m > 0)) QGEMM_FUZZ_CHECK(s != QGEMM_OK, "quantize_multiplier accepted %g", m);
      if (s != QGEMM_OK) {
        QGEMM_FUZZ_CHECK(mult == -5 && shift == -5, "rejected quantize_multiplier wrote");
        QGEMM_FUZZ_CHECK(!(std::isfinite(m) && m > 0 && m < 0.5), "rejected m = %g", m);
        return 0;
      }
      if (mult == 0) {
        QGEMM_FUZZ_CHECK(shift == 0 && m < std::ldexp(1.0, -31), "m = %g gave (0, %d)", m, shift);
      } else {
        QGEMM_FUZZ_CHECK(mult >= (1 << 30) && shift <= 30 && shift >= -31, "m = %g gave (%d, %d)", m, mult, shift);
        const double got = std::ldexp(static_cast<double>(mult), shift - 31);
        QGEMM_FUZZ_CHECK(std::fabs(got - m) <= std::ldexp(1.0, shift - 32) * (1 + 1e-12), "m = %.17g gave %.17g", m, got);
      }
      return 0;
    }
    default: {  // error report
      const std::vector<float> x = decode_data(in);
      std::vector<float> y = x;
      for (auto& v : y) v += std::ldexp(static_cast<float>(static_cast<int8_t>(in.u8())), static_cast<int>(in.in(-30, 5)));
      qgemm_error_report r{-1, -1, -1, -1};
      const qgemm_status s = qgemm_error_report_compute(x.data(), y.data(), x.size(), &r);
      const bool valid = !x.empty() && all_finite(x) && all_finite(y);
      QGEMM_FUZZ_CHECK((s == QGEMM_OK) == valid, "error_report: %s (%s)", qgemm_status_name(s), qgemm_last_error());
      if (s != QGEMM_OK) {
        QGEMM_FUZZ_CHECK(r.sse == -1 && r.mse == -1, "rejected error_report wrote");
        return 0;
      }
      double max_abs = 0;
      for (size_t i = 0; i < x.size(); ++i) max_abs = std::max(max_abs, std::fabs(static_cast<double>(x[i]) - y[i]));
      QGEMM_FUZZ_CHECK(r.sse >= 0 && r.max_abs_error == max_abs, "max_abs %g, want %g", r.max_abs_error, max_abs);
      QGEMM_FUZZ_CHECK(r.mse == r.sse / static_cast<double>(x.size()) || (std::isinf(r.sse) && std::isinf(r.mse)), "mse");
      if (r.sse == 0) QGEMM_FUZZ_CHECK(std::isinf(r.sqnr_db) && r.sqnr_db > 0, "sqnr with sse 0");
      return 0;
    }
  }
}

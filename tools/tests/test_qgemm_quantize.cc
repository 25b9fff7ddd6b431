// qgemm-quantize against the library called directly: the same scales and zero points, the
// same quantized bytes, the same error report (bit for bit), and an SQNR that a plain
// computation in this test agrees with. Then every kind of bad input: a clear message, a
// non-zero exit, and no file left behind.
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
using tool_test::json_number;
using tool_test::json_numbers;
using tool_test::scratch_dir;

const std::string kTool = QGEMM_QUANTIZE_EXE;

enum class scheme { asymmetric, symmetric, percentile };

struct config {
  scheme method = scheme::asymmetric;
  int bits = 8;
  bool is_unsigned = false;
  double percentile = 99.99;
  bool per_channel = false;
  int axis = 0;
};

std::vector<std::string> config_args(const config& c) {
  std::vector<std::string> args;
  args.push_back("--scheme");
  args.push_back(c.method == scheme::asymmetric  ? "asymmetric"
                 : c.method == scheme::symmetric ? "symmetric"
                                                 : "percentile");
  args.push_back("--bits");
  args.push_back(std::to_string(c.bits));
  if (c.is_unsigned) args.push_back("--unsigned");
  if (c.method == scheme::percentile) {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", c.percentile);
    args.push_back("--percentile");
    args.push_back(text);
  }
  if (c.per_channel) {
    args.push_back("--axis");
    args.push_back(std::to_string(c.axis));
  }
  return args;
}

qgemm_type storage_type(const config& c) {
  if (c.bits <= 8) return c.is_unsigned ? QGEMM_U8 : QGEMM_S8;
  return c.is_unsigned ? QGEMM_U16 : QGEMM_S16;
}

npy_dtype storage_dtype(const config& c) {
  if (c.bits <= 8) return c.is_unsigned ? npy_dtype::u8 : npy_dtype::i8;
  return c.is_unsigned ? npy_dtype::u16 : npy_dtype::i16;
}

size_t storage_size(const config& c) { return c.bits <= 8 ? 1 : 2; }

qgemm_qparams library_calibrate(const config& c, const std::vector<float>& x) {
  qgemm_qparams p{};
  qgemm_status status = QGEMM_OK;
  switch (c.method) {
    case scheme::asymmetric: {
      qgemm_qrange range{};
      EXPECT_EQ(qgemm_qrange_from_bits(c.bits, c.is_unsigned ? 0 : 1, &range), QGEMM_OK);
      status = qgemm_calibrate_asymmetric(x.data(), x.size(), range, &p);
      break;
    }
    case scheme::symmetric:
      status = c.is_unsigned ? qgemm_calibrate_symmetric_unsigned(x.data(), x.size(), c.bits, &p)
                             : qgemm_calibrate_symmetric(x.data(), x.size(), c.bits, &p);
      break;
    case scheme::percentile:
      status = qgemm_calibrate_percentile(x.data(), x.size(), c.bits, c.percentile, &p);
      break;
  }
  EXPECT_EQ(status, QGEMM_OK) << qgemm_last_error();
  return p;
}

// What the library gives when called directly on each channel's values (gathered) and on the
// whole tensor.
struct expectation {
  std::vector<qgemm_qparams> params;
  std::string quantized;                     // the tensor's bytes in storage type
  std::vector<float> restored;               // dequantized, in tensor order
  std::vector<qgemm_error_report> channels;  // per channel (per-channel runs only)
  std::vector<size_t> channel_of;            // each element's channel
  qgemm_error_report total{};
};

expectation expect_from_library(const config& c, const std::vector<float>& x,
                                const std::vector<int64_t>& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  size_t channels = 1, inner = x.size();
  if (c.per_channel) {
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    channels = static_cast<size_t>(shape[axis]);
    inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= static_cast<size_t>(shape[d]);
  }
  expectation e;
  e.quantized.resize(x.size() * storage_size(c));
  e.restored.resize(x.size());
  e.channel_of.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) e.channel_of[i] = i / inner % channels;
  for (size_t channel = 0; channel < channels; ++channel) {
    std::vector<size_t> where;
    for (size_t i = 0; i < x.size(); ++i) {
      if (e.channel_of[i] == channel) where.push_back(i);
    }
    std::vector<float> values;
    for (const size_t i : where) values.push_back(x[i]);
    const qgemm_qparams p = library_calibrate(c, values);
    std::string q(values.size() * storage_size(c), '\0');
    std::vector<float> y(values.size());
    EXPECT_EQ(qgemm_quantize(values.data(), values.size(), &p, storage_type(c), q.data()),
              QGEMM_OK);
    EXPECT_EQ(qgemm_dequantize(q.data(), storage_type(c), values.size(), &p, y.data()), QGEMM_OK);
    for (size_t k = 0; k < where.size(); ++k) {
      std::memcpy(&e.quantized[where[k] * storage_size(c)], &q[k * storage_size(c)],
                  storage_size(c));
      e.restored[where[k]] = y[k];
    }
    qgemm_error_report report{};
    EXPECT_EQ(qgemm_error_report_compute(values.data(), y.data(), values.size(), &report),
              QGEMM_OK);
    e.params.push_back(p);
    e.channels.push_back(report);
  }
  EXPECT_EQ(qgemm_error_report_compute(x.data(), e.restored.data(), x.size(), &e.total),
            QGEMM_OK);
  return e;
}

void expect_report(const std::string& json, const std::string& anchor,
                   const qgemm_error_report& r) {
  EXPECT_EQ(json_number(json, anchor, "sse"), r.sse);
  EXPECT_EQ(json_number(json, anchor, "mse"), r.mse);
  EXPECT_EQ(json_number(json, anchor, "max_abs_error"), r.max_abs_error);
  EXPECT_EQ(json_number(json, anchor, "sqnr_db"), r.sqnr_db);
}

// Runs the tool on `input` (already written) and checks everything it produced.
void run_and_check(const scratch_dir& dir, const std::string& input,
                   std::vector<std::string> extra_args, const config& c,
                   const std::vector<float>& x, const std::vector<int64_t>& shape) {
  std::vector<std::string> args = {input, "-o", dir / "q.npy"};
  for (const std::string& a : extra_args) args.push_back(a);
  for (const std::string& a : config_args(c)) args.push_back(a);
  const tool_test::run_result run = tool_test::run_tool(dir, kTool, args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("SQNR"), std::string::npos) << run.out;

  const expectation e = expect_from_library(c, x, shape);
  const tool_test::npy_file q = tool_test::read_npy(dir / "q.npy");
  EXPECT_EQ(q.header.dtype, storage_dtype(c));
  EXPECT_EQ(q.header.shape, shape);
  EXPECT_TRUE(tool_test::same_bytes(q.data, e.quantized));

  const std::string json = tool_test::read_text(dir / "q.json");
  EXPECT_EQ(json_number(json, "", "qmin"), e.params[0].qmin);
  EXPECT_EQ(json_number(json, "", "qmax"), e.params[0].qmax);
  if (c.per_channel) {
    const std::vector<double> scales = json_numbers(json, "", "scale");
    const std::vector<double> zero_points = json_numbers(json, "", "zero_point");
    ASSERT_EQ(scales.size(), e.params.size());
    ASSERT_EQ(zero_points.size(), e.params.size());
    const std::vector<double> sse = json_numbers(json, "channel_error", "sse");
    const std::vector<double> mse = json_numbers(json, "channel_error", "mse");
    const std::vector<double> max_error = json_numbers(json, "channel_error", "max_abs_error");
    const std::vector<double> sqnr = json_numbers(json, "channel_error", "sqnr_db");
    ASSERT_EQ(sqnr.size(), e.params.size());
    for (size_t ch = 0; ch < e.params.size(); ++ch) {
      EXPECT_EQ(scales[ch], e.params[ch].scale) << "channel " << ch;
      EXPECT_EQ(zero_points[ch], e.params[ch].zero_point) << "channel " << ch;
      EXPECT_EQ(sse[ch], e.channels[ch].sse) << "channel " << ch;
      EXPECT_EQ(mse[ch], e.channels[ch].mse) << "channel " << ch;
      EXPECT_EQ(max_error[ch], e.channels[ch].max_abs_error) << "channel " << ch;
      EXPECT_EQ(sqnr[ch], e.channels[ch].sqnr_db) << "channel " << ch;
    }
  } else {
    EXPECT_EQ(json_number(json, "", "scale"), e.params[0].scale);
    EXPECT_EQ(json_number(json, "", "zero_point"), e.params[0].zero_point);
  }
  expect_report(json, "error", e.total);

  // SQNR by hand, from the written bytes and the JSON's parameters: x' = s * (q - z), then
  // 10 log10(sum x^2 / sum (x - x')^2).
  const std::vector<double> scales = c.per_channel ? json_numbers(json, "", "scale")
                                                   : std::vector<double>{json_number(json, "", "scale")};
  const std::vector<double> zero_points =
      c.per_channel ? json_numbers(json, "", "zero_point")
                    : std::vector<double>{json_number(json, "", "zero_point")};
  double signal = 0.0, noise = 0.0;
  const size_t size = storage_size(c);
  for (size_t i = 0; i < x.size(); ++i) {
    const unsigned char* b = reinterpret_cast<const unsigned char*>(q.data.data()) + i * size;
    int32_t v = 0;
    switch (storage_type(c)) {
      case QGEMM_S8: v = static_cast<int8_t>(b[0]); break;
      case QGEMM_U8: v = b[0]; break;
      case QGEMM_S16: v = static_cast<int16_t>(b[0] | b[1] << 8); break;
      default: v = b[0] | b[1] << 8; break;
    }
    const size_t channel = e.channel_of[i];
    const float restored = static_cast<float>(scales[channel] * (v - zero_points[channel]));
    ASSERT_EQ(restored, e.restored[i]) << "element " << i;
    signal += static_cast<double>(x[i]) * x[i];
    noise += (static_cast<double>(x[i]) - restored) * (static_cast<double>(x[i]) - restored);
  }
  if (noise > 0) {
    EXPECT_NEAR(json_number(json, "error", "sqnr_db"), 10.0 * std::log10(signal / noise), 1e-9);
  } else {
    EXPECT_EQ(json_number(json, "error", "sqnr_db"), INFINITY);  // written as null
  }
}

std::vector<float> random_data(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.3f, scale);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  // A few outliers, so that percentile clipping differs from max|x|.
  for (size_t i = 0; i < n; i += 97) x[i] *= 9.0f;
  return x;
}

void write_raw(const std::string& path, const std::vector<float>& x) {
  tool_test::write_bytes(path, tool_test::raw_bytes(x));
}

TEST(QgemmQuantize, AsymmetricPerTensorFromNpy) {
  scratch_dir dir;
  const std::vector<int64_t> shape = {37, 53};
  const std::vector<float> x = random_data(37 * 53, 1);
  tool_test::write_npy(dir / "x.npy", npy_dtype::f32, shape, x);
  run_and_check(dir, dir / "x.npy", {}, config{}, x, shape);
}

TEST(QgemmQuantize, SymmetricPerTensorFromRawBin) {
  scratch_dir dir;
  const std::vector<int64_t> shape = {12, 10};
  const std::vector<float> x = random_data(120, 2, 3.0f);
  write_raw(dir / "x.bin", x);
  config c;
  c.method = scheme::symmetric;
  c.bits = 4;
  run_and_check(dir, dir / "x.bin", {"--shape", "12,10"}, c, x, shape);
}

// SEMANTICS §4's worked example: [0.21535037, 1.2962357, -1.0161772] int8.
TEST(QgemmQuantize, WorkedExampleOfTheContract) {
  scratch_dir dir;
  const std::vector<float> x = {0.21535037f, 1.2962357f, -1.0161772f};
  tool_test::write_npy(dir / "x.npy", npy_dtype::f32, {3}, x);
  config asymmetric;
  run_and_check(dir, dir / "x.npy", {}, asymmetric, x, {3});
  EXPECT_EQ(tool_test::read_npy(dir / "q.npy").data, std::string("\x08\x7f\x80", 3));
  EXPECT_EQ(json_number(tool_test::read_text(dir / "q.json"), "", "zero_point"), -16);
  EXPECT_NEAR(json_number(tool_test::read_text(dir / "q.json"), "", "scale"), 0.009068285,
              1e-9);
  config symmetric;
  symmetric.method = scheme::symmetric;
  run_and_check(dir, dir / "x.npy", {}, symmetric, x, {3});
  EXPECT_EQ(tool_test::read_npy(dir / "q.npy").data, std::string("\x15\x7f\x9c", 3));
}

TEST(QgemmQuantize, StorageTypesForEveryWidthAndSign) {
  scratch_dir dir;
  const std::vector<int64_t> shape = {9, 11};
  const std::vector<float> x = random_data(99, 3);
  tool_test::write_npy(dir / "x.npy", npy_dtype::f32, shape, x);
  for (const int bits : {2, 7, 8, 9, 12, 16}) {
    for (const bool is_unsigned : {false, true}) {
      for (const scheme method : {scheme::asymmetric, scheme::symmetric}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + (is_unsigned ? " unsigned" : " signed") +
                     (method == scheme::asymmetric ? " asymmetric" : " symmetric"));
        config c;
        c.method = method;
        c.bits = bits;
        c.is_unsigned = is_unsigned;
        run_and_check(dir, dir / "x.npy", {}, c, x, shape);
      }
    }
  }
}

// Per tensor, the tool finds the percentile by radix selection instead of the library's
// nth_element on a copy: it must land on the same bits for every kind of data.
TEST(QgemmQuantize, PercentilePerTensorEqualsTheLibrary) {
  scratch_dir dir;
  std::vector<std::vector<float>> datasets;
  datasets.push_back(random_data(1000, 4));
  std::vector<float> ties(257);
  for (size_t i = 0; i < ties.size(); ++i) ties[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
  datasets.push_back(ties);
  datasets.push_back({-0.0f, 0.0f, 1e-40f, -3e-39f, 2.5f, -7e30f, 1e-3f, 6.0f, -6.0f});
  datasets.push_back({4.25f});
  datasets.push_back({0.0f, -0.0f, 0.0f});
  for (size_t d = 0; d < datasets.size(); ++d) {
    for (const double p : {0.001, 12.5, 37.5, 50.0, 99.0, 99.99, 100.0}) {
      SCOPED_TRACE("dataset " + std::to_string(d) + " p " + std::to_string(p));
      const std::vector<float>& x = datasets[d];
      const std::vector<int64_t> shape = {static_cast<int64_t>(x.size())};
      tool_test::write_npy(dir / "x.npy", npy_dtype::f32, shape, x);
      config c;
      c.method = scheme::percentile;
      c.percentile = p;
      c.bits = d == 1 ? 5 : 8;
      run_and_check(dir, dir / "x.npy", {}, c, x, shape);
    }
  }
}

TEST(QgemmQuantize, PerChannelAlongEveryAxis) {
  scratch_dir dir;
  const std::vector<int64_t> shape = {5, 7, 6};
  std::vector<float> x = random_data(5 * 7 * 6, 5);
  for (size_t i = 0; i < 6; ++i) x[i * 7] = 0.0f;  // some channels' data touches zero
  tool_test::write_npy(dir / "x.npy", npy_dtype::f32, shape, x);
  struct cases {
    scheme method;
    int axis;
    int bits;
    bool is_unsigned;
  };
  for (const cases k : {cases{scheme::asymmetric, 0, 8, false}, cases{scheme::asymmetric, 1, 8, true},
                        cases{scheme::symmetric, 2, 6, false}, cases{scheme::symmetric, -1, 10, true},
                        cases{scheme::percentile, -2, 8, false},
                        cases{scheme::percentile, 0, 3, false}}) {
    SCOPED_TRACE("axis " + std::to_string(k.axis) + " bits " + std::to_string(k.bits));
    config c;
    c.method = k.method;
    c.per_channel = true;
    c.axis = k.axis;
    c.bits = k.bits;
    c.is_unsigned = k.is_unsigned;
    c.percentile = 95.0;
    run_and_check(dir, dir / "x.npy", {}, c, x, shape);
  }
}

// More than one chunk (1 Mi elements): runs of a channel that cross a chunk boundary, the last
// partial chunk, and the percentile's two passes over several chunks.
TEST(QgemmQuantize, InputsLargerThanOneChunk) {
  scratch_dir dir;
  const std::vector<int64_t> shape = {3, 349571};
  const std::vector<float> x = random_data(3 * 349571, 6);
  write_raw(dir / "x.bin", x);
  const std::vector<std::string> args = {"--shape", "3,349571"};
  config asymmetric_rows;
  asymmetric_rows.per_channel = true;
  run_and_check(dir, dir / "x.bin", args, asymmetric_rows, x, shape);
  config percentile;
  percentile.method = scheme::percentile;
  percentile.percentile = 99.9;
  run_and_check(dir, dir / "x.bin", args, percentile, x, shape);
  // The same data as 349571 x 3, per channel along the last axis: runs of one element, and the
  // per-channel percentile's strided gather.
  config columns;
  columns.method = scheme::percentile;
  columns.percentile = 97.0;
  columns.per_channel = true;
  columns.axis = 1;
  run_and_check(dir, dir / "x.bin", {"--shape", "349571,3"}, columns, x, {349571, 3});
  columns.method = scheme::asymmetric;
  run_and_check(dir, dir / "x.bin", {"--shape", "349571,3"}, columns, x, {349571, 3});
}

// ---------------------------------------------------------------------------------------------
// Garbage in: a clear message, a non-zero exit, no file left.
// ---------------------------------------------------------------------------------------------

std::string npy_with_header(const std::string& dict, const std::string& data) {
  std::string header = dict;
  header += std::string((64 - (10 + header.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

struct garbage_case {
  const char* name;
  std::string input_name;
  std::string input_bytes;
  std::vector<std::string> args;  // after INPUT -o OUT
  int exit_code;
  const char* message;
};

std::vector<garbage_case> garbage_cases() {
  const std::vector<float> good = {1.0f, -2.0f, 3.0f, 0.5f, 0.25f, -1.0f};
  const std::string good_npy =
      qgemm_tools::npy_header_bytes(npy_dtype::f32, {2, 3}) + tool_test::raw_bytes(good);
  std::vector<float> with_nan = good;
  with_nan[4] = std::nanf("");
  std::vector<float> with_inf = good;
  with_inf[5] = -INFINITY;
  const std::string f32_data = tool_test::raw_bytes(good);
  return {
      {"nan", "x.npy",
       qgemm_tools::npy_header_bytes(npy_dtype::f32, {2, 3}) + tool_test::raw_bytes(with_nan),
       {}, 1, "element 4 at [1, 1] is NaN"},
      {"inf_raw", "x.bin", tool_test::raw_bytes(with_inf), {"--shape", "2,3"}, 1,
       "element 5 at [1, 2] is -Inf"},
      {"truncated_npy", "x.npy", good_npy.substr(0, good_npy.size() - 3), {}, 1, "truncated"},
      {"truncated_raw", "x.bin", f32_data.substr(0, 22), {"--shape", "2,3"}, 1, "truncated"},
      {"shape_not_matching_size", "x.bin", f32_data, {"--shape", "5"}, 1,
       "the shape does not match the size"},
      {"shape_not_matching_npy", "x.npy", good_npy, {"--shape", "3,2"}, 1,
       "does not match the .npy header's shape (2, 3)"},
      {"bad_magic", "x.npy", "\x93NUMPX" + good_npy.substr(6), {}, 1, "does not start with"},
      {"bad_version", "x.npy", good_npy.substr(0, 6) + "\x07" + good_npy.substr(7), {}, 1,
       "unsupported version 7.0"},
      {"bad_dict", "x.npy",
       npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }", f32_data),
       {}, 1, "bad .npy header: expected ',' or ')' in the shape"},
      {"missing_key", "x.npy", npy_with_header("{'descr': '<f4', 'shape': (6,), }", f32_data), {},
       1, "key 'fortran_order' is missing"},
      {"fortran_order", "x.npy",
       npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f32_data), {},
       1, "fortran_order is True"},
      {"big_endian", "x.npy",
       npy_with_header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", f32_data),
       {}, 1, "big-endian dtype '>f4'"},
      {"header_length_beyond_file", "x.npy", good_npy.substr(0, 8) + "\xff\x7f" + good_npy.substr(10),
       {}, 1, "header bytes but the file has only"},
      {"wrong_dtype", "x.npy",
       qgemm_tools::npy_header_bytes(npy_dtype::i8, {6}) + std::string(6, '\x01'), {}, 1,
       "dtype is int8; qgemm-quantize reads float32"},
      {"float64", "x.npy",
       npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                       std::string(24, '\0')),
       {}, 1, "unsupported dtype '<f8'"},
      {"empty", "x.npy", qgemm_tools::npy_header_bytes(npy_dtype::f32, {0, 3}), {}, 1,
       "is empty"},
      {"raw_without_shape", "x.bin", f32_data, {}, 1, "needs --shape"},
      {"bits_too_small", "x.npy", good_npy, {"--bits", "1"}, 2, "bits = 1 is outside 2..16"},
      {"bits_too_large", "x.npy", good_npy, {"--bits", "17"}, 2, "bits = 17 is outside 2..16"},
      {"bits_not_a_number", "x.npy", good_npy, {"--bits", "8x"}, 2, "'8x' is not an integer"},
      {"unknown_scheme", "x.npy", good_npy, {"--scheme", "minmax"}, 2,
       "'minmax' is not one of asymmetric, symmetric, percentile"},
      {"axis_out_of_range", "x.npy", good_npy, {"--axis", "2"}, 2,
       "--axis 2 is out of range for shape (2, 3)"},
      {"percentile_zero", "x.npy", good_npy, {"--percentile", "0"}, 2, "is outside (0, 100]"},
      {"percentile_above_100", "x.npy", good_npy, {"--percentile", "100.5"}, 2,
       "is outside (0, 100]"},
      {"percentile_unsigned", "x.npy", good_npy, {"--percentile", "99", "--unsigned"}, 2,
       "percentile calibration is symmetric signed"},
      {"percentile_with_other_scheme", "x.npy", good_npy,
       {"--scheme", "symmetric", "--percentile", "99"}, 2, "--percentile is for --scheme"},
      {"unknown_option", "x.npy", good_npy, {"--fast"}, 2, "unknown option --fast"},
      {"missing_value", "x.npy", good_npy, {"--bits"}, 2, "--bits needs a value"},
      {"negative_shape", "x.bin", f32_data, {"--shape", "2,-3"}, 2, "is outside 0.."},
  };
}

class QgemmQuantizeGarbage : public ::testing::TestWithParam<garbage_case> {};

TEST_P(QgemmQuantizeGarbage, FailsClearlyAndLeavesNoFile) {
  const garbage_case& g = GetParam();
  scratch_dir dir;
  tool_test::write_bytes(dir / g.input_name, g.input_bytes);
  std::vector<std::string> args = {dir / g.input_name, "-o", dir / "q.npy"};
  args.insert(args.end(), g.args.begin(), g.args.end());
  const tool_test::run_result run = tool_test::run_tool(dir, kTool, args);
  EXPECT_EQ(run.exit_code, g.exit_code) << run.err;
  EXPECT_NE(run.err.find(g.message), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("qgemm-quantize: error: "), std::string::npos) << run.err;
  EXPECT_EQ(dir.files(), std::set<std::string>{g.input_name});
}

INSTANTIATE_TEST_SUITE_P(EveryKind, QgemmQuantizeGarbage, ::testing::ValuesIn(garbage_cases()),
                         [](const ::testing::TestParamInfo<garbage_case>& info) {
                           return std::string(info.param.name);
                         });

TEST(QgemmQuantize, FailureLeavesAnExistingOutputUntouched) {
  scratch_dir dir;
  const std::vector<float> x = {1.0f, std::nanf(""), 2.0f};
  tool_test::write_npy(dir / "x.npy", npy_dtype::f32, {3}, x);
  tool_test::write_bytes(dir / "q.npy", "previous result");
  tool_test::write_bytes(dir / "q.json", "previous params");
  const tool_test::run_result run =
      tool_test::run_tool(dir, kTool, {dir / "x.npy", "-o", dir / "q.npy"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(tool_test::read_text(dir / "q.npy"), "previous result");
  EXPECT_EQ(tool_test::read_text(dir / "q.json"), "previous params");
  EXPECT_EQ(dir.files(), (std::set<std::string>{"x.npy", "q.npy", "q.json"}));
}

TEST(QgemmQuantize, MissingInputAndOutputDirectory) {
  scratch_dir dir;
  tool_test::run_result run =
      tool_test::run_tool(dir, kTool, {dir / "absent.npy", "-o", dir / "q.npy"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("absent.npy: cannot open"), std::string::npos) << run.err;
  tool_test::write_npy(dir / "x.npy", npy_dtype::f32, {2}, std::vector<float>{1.0f, 2.0f});
  run = tool_test::run_tool(dir, kTool, {dir / "x.npy", "-o", dir / "no/such/dir/q.npy"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot create a temporary file"), std::string::npos) << run.err;
  EXPECT_EQ(dir.files(), std::set<std::string>{"x.npy"});
}

}  // namespace

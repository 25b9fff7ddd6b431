// qgemm-gemm: multiplies two quantized .npy matrices with qgemm and writes the result as .npy,
// so that qgemm can be checked against NumPy (or anything else that reads .npy).
//
//   qgemm-gemm a.npy w.npy --trans-b --za 128 -o c.npy                       int32
//   qgemm-gemm a.npy w.npy --za 128 --output int8 --scale 0.5 --zc -3 -o c.npy
//   qgemm-gemm a.npy w.npy --output uint8 --multiplier m0.npy --shift shift.npy -o c.npy
//
// Each option maps onto one field of qgemm_operand / qgemm_epilogue (include/qgemm/qgemm.h),
// so the result is exactly qgemm_gemm's. Parameters that may be per row or per column take
// either one number or a .npy file of 1 or M (rows) or N (columns) values; the library then
// does all the checking of their values (ranges, finiteness) and its message is printed.
// Memory: both inputs are mapped (read only), the result is built in memory (M x N elements)
// and then written.
#include <qgemm/qgemm.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "npy.h"
#include "tool_io.h"

namespace qgemm_tools {
namespace {

constexpr const char* kTool = "qgemm-gemm";

void print_usage(FILE* to) {
  std::fprintf(to,
      "Usage: qgemm-gemm A.npy B.npy -o C.npy [options]\n"
      "C = epilogue(op(A) op(B)) with qgemm_gemm. A and B are 2-d int8 or uint8 .npy files:\n"
      "op(A) is M x K (A stored K x M with --trans-a), op(B) is K x N (B stored N x K with\n"
      "--trans-b: the [out_features, in_features] layout of a weight).\n"
      "\n"
      "V|F below is one number, or a .npy file of 1 value or one per row (M) / column (N).\n"
      "  --za V|F             zero point of A: one, or per row of op(A)      (default 0)\n"
      "  --zb V|F             zero point of B: one, or per column of op(B)   (default 0)\n"
      "  --trans-a, --trans-b\n"
      "  --output T           int32 (default), int8, uint8 or f32\n"
      "  --bias V|F           int32 (int32/int8/uint8) or float32 (f32) per column\n"
      "int8/uint8, float requantization:  --scale V|F  (sA*sB/sC, float32, per column)\n"
      "int8/uint8, fixed point (TFLite):  --multiplier V|F --shift V|F  (per column)\n"
      "int8/uint8, both:                  --zc Z  --min LO --max HI (clamp, default the type's)\n"
      "f32:  --a-scale V|F (per row)  --b-scale V|F (per column)  (default 1)\n"
      "      --min LO --max HI (float clamp, default none)\n"
      "  --print              also print C on stdout\n"
      "  -h, --help           this text\n"
      "\n"
      "Exit status: 0 on success, 1 for bad data or files or a rejected call, 2 for bad\n"
      "arguments. On failure no output file is left behind.\n");
}

enum class output_kind { s32, s8, u8, f32 };

struct options {
  std::string a_path, b_path, output;
  std::string za = "0", zb = "0";
  bool trans_a = false, trans_b = false;
  output_kind out = output_kind::s32;
  std::string bias, scale, multiplier, shift, zc, min, max, a_scale, b_scale;
  bool print = false;
};

options parse_options(int argc, char** argv) {
  options o;
  auto value_of = [&](int& i, const std::string& name) -> std::string {
    if (i + 1 >= argc) throw usage_error(name + " needs a value");
    return argv[++i];
  };
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      print_usage(stdout);
      std::exit(0);
    } else if (arg == "-o" || arg == "--output-file") {
      o.output = value_of(i, arg);
    } else if (arg == "--za") {
      o.za = value_of(i, arg);
    } else if (arg == "--zb") {
      o.zb = value_of(i, arg);
    } else if (arg == "--trans-a") {
      o.trans_a = true;
    } else if (arg == "--trans-b") {
      o.trans_b = true;
    } else if (arg == "--output") {
      const std::string name = value_of(i, arg);
      if (name == "int32") {
        o.out = output_kind::s32;
      } else if (name == "int8") {
        o.out = output_kind::s8;
      } else if (name == "uint8") {
        o.out = output_kind::u8;
      } else if (name == "f32" || name == "float32") {
        o.out = output_kind::f32;
      } else {
        throw usage_error("--output: '" + name + "' is not one of int32, int8, uint8, f32");
      }
    } else if (arg == "--bias") {
      o.bias = value_of(i, arg);
    } else if (arg == "--scale") {
      o.scale = value_of(i, arg);
    } else if (arg == "--multiplier") {
      o.multiplier = value_of(i, arg);
    } else if (arg == "--shift") {
      o.shift = value_of(i, arg);
    } else if (arg == "--zc") {
      o.zc = value_of(i, arg);
    } else if (arg == "--min") {
      o.min = value_of(i, arg);
    } else if (arg == "--max") {
      o.max = value_of(i, arg);
    } else if (arg == "--a-scale") {
      o.a_scale = value_of(i, arg);
    } else if (arg == "--b-scale") {
      o.b_scale = value_of(i, arg);
    } else if (arg == "--print") {
      o.print = true;
    } else if (!arg.empty() && arg[0] == '-') {
      throw usage_error("unknown option " + arg);
    } else {
      inputs.push_back(arg);
    }
  }
  if (inputs.size() != 2) {
    throw usage_error("expected two input files A.npy B.npy, got " +
                      std::to_string(inputs.size()));
  }
  o.a_path = inputs[0];
  o.b_path = inputs[1];
  if (o.output.empty()) throw usage_error("no output file (-o C.npy)");

  // An option that the chosen output does not use would be silently ignored: refuse it.
  const bool requant = o.out == output_kind::s8 || o.out == output_kind::u8;
  auto refuse = [](const std::string& value, const char* option, const char* why) {
    if (!value.empty()) throw usage_error(std::string(option) + " " + why);
  };
  if (!requant) {
    refuse(o.scale, "--scale", "is for --output int8/uint8");
    refuse(o.multiplier, "--multiplier", "is for --output int8/uint8");
    refuse(o.shift, "--shift", "is for --output int8/uint8");
    refuse(o.zc, "--zc", "is for --output int8/uint8");
  }
  if (o.out != output_kind::f32) {
    refuse(o.a_scale, "--a-scale", "is for --output f32");
    refuse(o.b_scale, "--b-scale", "is for --output f32");
  }
  if (o.out == output_kind::s32) {
    refuse(o.min, "--min", "is for --output int8/uint8/f32");
    refuse(o.max, "--max", "is for --output int8/uint8/f32");
  }
  if (requant) {
    const bool fixed = !o.multiplier.empty() || !o.shift.empty();
    if (fixed && (o.multiplier.empty() || o.shift.empty())) {
      throw usage_error("fixed-point requantization needs both --multiplier and --shift");
    }
    if (fixed && !o.scale.empty()) {
      throw usage_error("--scale (float requantization) and --multiplier/--shift (fixed "
                        "point) exclude each other");
    }
    if (!fixed && o.scale.empty()) {
      throw usage_error("--output int8/uint8 needs --scale, or --multiplier and --shift");
    }
  }
  return o;
}

// A quantized matrix from a .npy file, kept mapped.
struct matrix {
  std::unique_ptr<mapped_file> file;
  npy_header header;
  qgemm_type type = QGEMM_S8;
  const void* data() const { return file->data() + header.data_offset; }
  int64_t rows() const { return header.shape[0]; }
  int64_t cols() const { return header.shape[1]; }
};

matrix load_matrix(const std::string& path, const char* which) {
  matrix m;
  m.file = std::make_unique<mapped_file>(path);
  m.header = parse_npy_header(m.file->data(), m.file->size(), path);
  if (m.header.dtype == npy_dtype::i8) {
    m.type = QGEMM_S8;
  } else if (m.header.dtype == npy_dtype::u8) {
    m.type = QGEMM_U8;
  } else {
    throw tool_error(path + ": " + which + " has dtype " + npy_dtype_name(m.header.dtype) +
                     "; qgemm multiplies int8 or uint8");
  }
  if (m.header.shape.size() != 2) {
    throw tool_error(path + ": " + which + " has shape " + shape_string(m.header.shape) +
                     "; a matrix is 2-d");
  }
  return m;
}

bool is_file_argument(const std::string& text) { return ends_with(text, ".npy"); }

// Integer parameters: one number, or a .npy file of integers (int8..int32).
std::vector<int32_t> int_values(const std::string& option, const std::string& text) {
  if (!is_file_argument(text)) {
    return {static_cast<int32_t>(parse_int(option, text, INT32_MIN, INT32_MAX))};
  }
  const mapped_file file(text);
  const npy_header header = parse_npy_header(file.data(), file.size(), text);
  const uint64_t n = element_count(header.shape);
  const unsigned char* p = file.data() + header.data_offset;
  std::vector<int32_t> values(n);
  for (uint64_t i = 0; i < n; ++i) {
    switch (header.dtype) {
      case npy_dtype::i8: values[i] = static_cast<int8_t>(p[i]); break;
      case npy_dtype::u8: values[i] = p[i]; break;
      case npy_dtype::i16: {
        int16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        values[i] = v;
        break;
      }
      case npy_dtype::u16: {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        values[i] = v;
        break;
      }
      case npy_dtype::i32: std::memcpy(&values[i], p + 4 * i, 4); break;
      case npy_dtype::f32:
        throw tool_error(option + " " + text + ": dtype float32, expected integers");
    }
  }
  return values;
}

// Float parameters: one number (rounded to float32 as NumPy would), or a float32 .npy file.
std::vector<float> float_values(const std::string& option, const std::string& text) {
  if (!is_file_argument(text)) return {parse_float(option, text)};
  const mapped_file file(text);
  const npy_header header = parse_npy_header(file.data(), file.size(), text);
  if (header.dtype != npy_dtype::f32) {
    throw tool_error(option + " " + text + ": dtype " + npy_dtype_name(header.dtype) +
                     ", expected float32");
  }
  std::vector<float> values(element_count(header.shape));
  if (!values.empty()) {
    std::memcpy(values.data(), file.data() + header.data_offset, values.size() * sizeof(float));
  }
  return values;
}

// Checks a parameter's length: 1 (shared) or `per` (one per row or column). Returns whether
// it is per row/column. A single value for a per-column-only field is broadcast by the caller.
bool check_length(const std::string& option, size_t length, int64_t per, const char* what) {
  if (length == 1) return false;
  if (static_cast<int64_t>(length) == per) return true;
  throw tool_error(option + ": " + std::to_string(length) + " values; expected 1 or " +
                   std::to_string(per) + " (" + what + ")");
}

template <class T>
void broadcast(std::vector<T>& values, int64_t n) {
  if (values.size() == 1 && n > 1) values.assign(static_cast<size_t>(n), values[0]);
}

template <class T>
void print_matrix(const unsigned char* c, int64_t M, int64_t N) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      T v;
      std::memcpy(&v, c + (m * N + n) * sizeof(T), sizeof(T));
      if constexpr (std::is_floating_point_v<T>) {
        std::printf("%s%.9g", n ? " " : "", static_cast<double>(v));
      } else {
        std::printf("%s%d", n ? " " : "", static_cast<int>(v));
      }
    }
    std::printf("\n");
  }
}

int run(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const matrix a = load_matrix(o.a_path, "A");
  const matrix b = load_matrix(o.b_path, "B");
  const int64_t M = o.trans_a ? a.cols() : a.rows();
  const int64_t K = o.trans_a ? a.rows() : a.cols();
  const int64_t KB = o.trans_b ? b.cols() : b.rows();
  const int64_t N = o.trans_b ? b.rows() : b.cols();
  if (K != KB) {
    throw tool_error("inner dimensions differ: op(A) is " + std::to_string(M) + " x " +
                     std::to_string(K) + ", op(B) is " + std::to_string(KB) + " x " +
                     std::to_string(N));
  }

  const std::vector<int32_t> za = int_values("--za", o.za);
  const std::vector<int32_t> zb = int_values("--zb", o.zb);
  qgemm_operand op_a{a.type, o.trans_a ? QGEMM_TRANS : QGEMM_NO_TRANS, a.data(), a.cols(),
                     za[0], nullptr};
  qgemm_operand op_b{b.type, o.trans_b ? QGEMM_TRANS : QGEMM_NO_TRANS, b.data(), b.cols(),
                     zb[0], nullptr};
  if (check_length("--za", za.size(), M, "per row of op(A)")) op_a.zero_points = za.data();
  if (check_length("--zb", zb.size(), N, "per column of op(B)")) op_b.zero_points = zb.data();

  // Every array the epilogue points into lives here until the call returns.
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> bias_f32, scale, a_scale{1.0f}, b_scale{1.0f};
  qgemm_epilogue epilogue{};
  npy_dtype out_dtype = npy_dtype::i32;
  if (o.out == output_kind::f32) {
    if (!o.bias.empty()) {
      bias_f32 = float_values("--bias", o.bias);
      check_length("--bias", bias_f32.size(), N, "per column");
      broadcast(bias_f32, N);
    }
    if (!o.a_scale.empty()) a_scale = float_values("--a-scale", o.a_scale);
    if (!o.b_scale.empty()) b_scale = float_values("--b-scale", o.b_scale);
    const bool per_row = check_length("--a-scale", a_scale.size(), M, "per row of op(A)");
    const bool per_column = check_length("--b-scale", b_scale.size(), N, "per column of op(B)");
    epilogue = qgemm_epilogue_f32(a_scale.data(), per_row, b_scale.data(), per_column,
                                  bias_f32.empty() ? nullptr : bias_f32.data());
    if (!o.min.empty()) epilogue.f32_min = parse_float("--min", o.min);
    if (!o.max.empty()) epilogue.f32_max = parse_float("--max", o.max);
    out_dtype = npy_dtype::f32;
  } else {
    if (!o.bias.empty()) {
      bias = int_values("--bias", o.bias);
      check_length("--bias", bias.size(), N, "per column");
      broadcast(bias, N);
    }
    const int32_t* bias_data = bias.empty() ? nullptr : bias.data();
    if (o.out == output_kind::s32) {
      epilogue = qgemm_epilogue_s32(bias_data);
    } else {
      const qgemm_type out_type = o.out == output_kind::s8 ? QGEMM_S8 : QGEMM_U8;
      const int32_t zc =
          o.zc.empty() ? 0 : static_cast<int32_t>(parse_int("--zc", o.zc, INT32_MIN, INT32_MAX));
      if (!o.scale.empty()) {
        scale = float_values("--scale", o.scale);
        const bool per_column = check_length("--scale", scale.size(), N, "per column");
        epilogue = qgemm_epilogue_requant_float(out_type, scale.data(), per_column, zc,
                                                bias_data);
      } else {
        multiplier = int_values("--multiplier", o.multiplier);
        shift = int_values("--shift", o.shift);
        const bool per_column = check_length("--multiplier", multiplier.size(), N, "per column");
        if (shift.size() != multiplier.size()) {
          throw tool_error("--shift has " + std::to_string(shift.size()) +
                           " values, --multiplier " + std::to_string(multiplier.size()) +
                           "; they go in pairs");
        }
        epilogue = qgemm_epilogue_requant_fixed(out_type, multiplier.data(), shift.data(),
                                                per_column, zc, bias_data);
      }
      if (!o.min.empty()) {
        epilogue.out_min = static_cast<int32_t>(parse_int("--min", o.min, INT32_MIN, INT32_MAX));
      }
      if (!o.max.empty()) {
        epilogue.out_max = static_cast<int32_t>(parse_int("--max", o.max, INT32_MIN, INT32_MAX));
      }
      out_dtype = o.out == output_kind::s8 ? npy_dtype::i8 : npy_dtype::u8;
    }
  }

  const size_t element_size = npy_dtype_size(out_dtype);
  const uint64_t count = element_count({M, N});
  std::vector<unsigned char> c(std::max<uint64_t>(count, 1) * element_size);
  if (qgemm_gemm(M, N, K, &op_a, &op_b, &epilogue, c.data(), N) != QGEMM_OK) {
    throw tool_error(std::string("qgemm_gemm rejected the call: ") + qgemm_last_error());
  }

  atomic_output file(o.output);
  const std::string header = npy_header_bytes(out_dtype, {M, N});
  file.write(header.data(), header.size());
  file.write(c.data(), count * element_size);
  file.commit();

  qgemm_isa isa = QGEMM_ISA_SCALAR;
  qgemm_selected_isa(&isa);
  std::printf("%s: %s %s %s%s x %s %s %s%s -> %s %s (%lld, %lld), kernel %s\n", kTool,
              o.a_path.c_str(), npy_dtype_name(a.header.dtype),
              shape_string(a.header.shape).c_str(), o.trans_a ? "^T" : "", o.b_path.c_str(),
              npy_dtype_name(b.header.dtype), shape_string(b.header.shape).c_str(),
              o.trans_b ? "^T" : "", o.output.c_str(), npy_dtype_name(out_dtype),
              static_cast<long long>(M), static_cast<long long>(N), qgemm_kernel_name(isa));
  if (o.print) {
    switch (out_dtype) {
      case npy_dtype::i32: print_matrix<int32_t>(c.data(), M, N); break;
      case npy_dtype::i8: print_matrix<int8_t>(c.data(), M, N); break;
      case npy_dtype::u8: print_matrix<uint8_t>(c.data(), M, N); break;
      case npy_dtype::f32: print_matrix<float>(c.data(), M, N); break;
      default: break;
    }
  }
  return 0;
}

}  // namespace
}  // namespace qgemm_tools

int main(int argc, char** argv) {
  return qgemm_tools::tool_main("qgemm-gemm", qgemm_tools::run, argc, argv);
}

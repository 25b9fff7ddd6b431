// qgemm-quantize: quantizes a float32 tensor file with the library's calibration toolkit and
// prints the error the quantization makes.
//
//   qgemm-quantize weights.npy -o weights.q.npy --axis 0 --scheme symmetric
//   qgemm-quantize dump.bin --shape 4096,4096 -o dump.q.npy --bits 4 --unsigned
//
// Files of gigabytes, in bounded memory. The input is mapped read-only and walked in chunks of
// 1 Mi elements that are copied into a small buffer (the copy also makes a .npy whose data is
// not 4-byte aligned safe to read); the pages behind the walk are dropped again, so resident
// memory stays a few chunks whatever the file size. The output is written chunk by chunk.
// Passes over the input: one to check the data (NaN, Inf) and find each channel's min, max
// and max |x|; for percentile, more (below); one to quantize, write and measure the error.
//
// The numbers are the library's. Every parameter comes from a qgemm_calibrate_* call and every
// value from qgemm_quantize / qgemm_dequantize. The toolkit's calibrators take the data as one
// array, so the tool reduces the data itself and hands the library the reduced value:
//   asymmetric       qgemm_calibrate_asymmetric_range(min, max): "from data: its min and max"
//                    is exactly this (SEMANTICS §4).
//   symmetric        qgemm_calibrate_symmetric on the one value max|x|: its max|x| is itself.
//   --unsigned       qgemm_calibrate_symmetric_unsigned on the one value max(x), likewise.
//   percentile       per channel: each channel is gathered into memory and given to
//                    qgemm_calibrate_percentile, channel groups of up to 64 MiB at a time (one
//                    more pass over the file per group). Memory: the group buffer (64 MiB, or
//                    one channel if a channel is larger) plus the library's own copy of |x| of
//                    one channel.
//                    per tensor: gathering a whole large tensor would not be bounded, so the two
//                    order statistics the percentile needs (SEMANTICS: NumPy's linear
//                    interpolation between sorted |x| at floor(rank) and floor(rank)+1) are
//                    found exactly by a radix selection on the bits of |x| (non-negative floats
//                    order like their bit patterns): one pass counts the high 16 bits, one
//                    counts the low 16 bits inside the bucket that holds each rank. Memory:
//                    three 65536-entry histograms (1.5 MiB). The interpolation and the scale
//                    then follow qgemm_calibrate_percentile step for step; the tests check that
//                    both give the same bits.
// The error report (SSE, MSE, max |error|, SQNR) is qgemm_error_report_compute's loop, run
// with its sums carried across chunks, in the same element order, so the totals are the ones
// the library computes on the whole array (tested bit for bit); per channel likewise.
#include <qgemm/qgemm.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "npy.h"
#include "tool_io.h"

namespace qgemm_tools {
namespace {

constexpr const char* kTool = "qgemm-quantize";
constexpr size_t kChunkElements = size_t{1} << 20;        // 4 MiB of float32
constexpr uint64_t kProgressThreshold = uint64_t{64} << 20;  // show progress above 64 MiB
constexpr size_t kGatherBudgetBytes = size_t{64} << 20;    // per-channel percentile groups

enum class scheme { asymmetric, symmetric, percentile };

const char* scheme_name(scheme s) {
  switch (s) {
    case scheme::asymmetric: return "asymmetric";
    case scheme::symmetric: return "symmetric";
    case scheme::percentile: return "percentile";
  }
  return "?";
}

struct options {
  std::string input;
  std::string output;
  std::string params_path;
  bool have_shape = false;
  std::vector<int64_t> shape;
  bool per_channel = false;
  int64_t axis = 0;
  scheme method = scheme::asymmetric;
  bool have_percentile = false;
  double percentile = 99.99;
  int32_t bits = 8;
  bool is_unsigned = false;
  bool quiet = false;
};

void print_usage(FILE* to) {
  std::fprintf(to,
      "Usage: qgemm-quantize INPUT -o OUTPUT.npy [options]\n"
      "Quantizes a float32 tensor with qgemm's calibration toolkit and reports the error.\n"
      "\n"
      "  INPUT                 .npy ('<f4', C order), or raw little-endian float32 with --shape\n"
      "  -o, --output FILE     the quantized tensor, .npy: int8/uint8 for --bits <= 8,\n"
      "                        int16/uint16 above\n"
      "  --params FILE         scales, zero points and error report as JSON\n"
      "                        (default: OUTPUT with .npy replaced by .json)\n"
      "  --shape D0,D1,...     shape of a raw input (checked against the header of a .npy)\n"
      "  --axis N              one scale and zero point per index of axis N (negative: from\n"
      "                        the end); default: one for the whole tensor\n"
      "  --scheme S            asymmetric (default), symmetric, or percentile (symmetric,\n"
      "                        clipped at the P-th percentile of |x|)\n"
      "  --percentile P        0 < P <= 100 (default 99.99); implies --scheme percentile\n"
      "  --bits B              2..16 (default 8)\n"
      "  --unsigned            unsigned range [0, 2^B-1] (asymmetric, symmetric)\n"
      "  --quiet               no progress line on stderr\n"
      "  -h, --help            this text\n"
      "\n"
      "Exit status: 0 on success, 1 for bad data or files, 2 for bad arguments. On failure no\n"
      "output file is left behind.\n");
}

options parse_options(int argc, char** argv) {
  options o;
  bool have_scheme = false;
  auto value_of = [&](int& i, const std::string& name) -> std::string {
    if (i + 1 >= argc) throw usage_error(name + " needs a value");
    return argv[++i];
  };
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        print_usage(stdout);
        std::exit(0);
      } else if (arg == "-o" || arg == "--output") {
        o.output = value_of(i, arg);
      } else if (arg == "--params") {
        o.params_path = value_of(i, arg);
      } else if (arg == "--shape") {
        o.shape = parse_shape(arg, value_of(i, arg));
        o.have_shape = true;
      } else if (arg == "--axis") {
        o.axis = parse_int(arg, value_of(i, arg), -64, 63);
        o.per_channel = true;
      } else if (arg == "--scheme") {
        const std::string name = value_of(i, arg);
        if (name == "asymmetric") {
          o.method = scheme::asymmetric;
        } else if (name == "symmetric") {
          o.method = scheme::symmetric;
        } else if (name == "percentile") {
          o.method = scheme::percentile;
        } else {
          throw usage_error("--scheme: '" + name +
                            "' is not one of asymmetric, symmetric, percentile");
        }
        have_scheme = true;
      } else if (arg == "--percentile") {
        o.percentile = parse_double(arg, value_of(i, arg));
        o.have_percentile = true;
      } else if (arg == "--bits") {
        o.bits = static_cast<int32_t>(parse_int(arg, value_of(i, arg), INT32_MIN, INT32_MAX));
      } else if (arg == "--unsigned") {
        o.is_unsigned = true;
      } else if (arg == "--quiet") {
        o.quiet = true;
      } else if (!arg.empty() && arg[0] == '-') {
        throw usage_error("unknown option " + arg);
      } else if (o.input.empty()) {
        o.input = arg;
      } else {
        throw usage_error("more than one input file ('" + o.input + "', '" + arg + "')");
      }
    }
  } catch (const usage_error&) {
    throw;
  } catch (const tool_error& e) {
    throw usage_error(e.what());
  }
  if (o.input.empty()) throw usage_error("no input file");
  if (o.output.empty()) throw usage_error("no output file (-o OUTPUT.npy)");
  if (o.have_percentile) {
    if (have_scheme && o.method != scheme::percentile) {
      throw usage_error("--percentile is for --scheme percentile, not " +
                        std::string(scheme_name(o.method)));
    }
    o.method = scheme::percentile;
  }
  // The library checks these too; checking first saves a pass over a large file.
  qgemm_qrange range;
  if (qgemm_qrange_from_bits(o.bits, 1, &range) != QGEMM_OK) {
    throw usage_error("--bits: " + std::string(qgemm_last_error()));
  }
  if (o.method == scheme::percentile) {
    if (!(o.percentile > 0.0 && o.percentile <= 100.0)) {
      throw usage_error("--percentile: " + std::to_string(o.percentile) +
                        " is outside (0, 100]");
    }
    if (o.is_unsigned) {
      throw usage_error("--unsigned: percentile calibration is symmetric signed (SEMANTICS §4); "
                        "use --scheme symmetric --unsigned for one-tailed data");
    }
  }
  if (o.params_path.empty()) {
    o.params_path = (ends_with(o.output, ".npy") ? o.output.substr(0, o.output.size() - 4)
                                                 : o.output) + ".json";
  }
  if (o.params_path == o.output) throw usage_error("--params names the output file itself");
  return o;
}

[[noreturn]] void library_failure(const std::string& what) {
  throw tool_error(what + ": " + qgemm_last_error());
}

// The input: where its float32 elements are and how they are laid out for the channel walk.
// Element i belongs to channel (i / inner) % channels.
struct tensor {
  const mapped_file* file = nullptr;
  size_t data_offset = 0;
  std::vector<int64_t> shape;
  uint64_t count = 0;
  uint64_t channels = 1;
  uint64_t inner = 1;  // elements after the channel axis (the run length of one channel)
  uint64_t outer = 1;  // elements before it

  size_t byte_offset(uint64_t index) const { return data_offset + index * sizeof(float); }
  uint64_t channel_of(uint64_t index) const { return index / inner % channels; }
};

std::string coordinates(const std::vector<int64_t>& shape, uint64_t index) {
  std::vector<int64_t> at(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    at[d] = static_cast<int64_t>(index % static_cast<uint64_t>(shape[d]));
    index /= static_cast<uint64_t>(shape[d]);
  }
  std::string text = "[";
  for (size_t d = 0; d < at.size(); ++d) text += (d ? ", " : "") + std::to_string(at[d]);
  return text + "]";
}

tensor open_input(const options& o, const mapped_file& file) {
  tensor t;
  t.file = &file;
  const bool is_npy = has_npy_magic(file.data(), file.size()) || ends_with(o.input, ".npy");
  if (is_npy) {
    const npy_header header = parse_npy_header(file.data(), file.size(), o.input);
    if (header.dtype != npy_dtype::f32) {
      throw tool_error(o.input + ": dtype is " + npy_dtype_name(header.dtype) +
                       "; qgemm-quantize reads float32 ('<f4')");
    }
    if (o.have_shape && o.shape != header.shape) {
      throw tool_error(o.input + ": --shape " + shape_string(o.shape) +
                       " does not match the .npy header's shape " + shape_string(header.shape));
    }
    t.shape = header.shape;
    t.data_offset = header.data_offset;
    t.count = element_count(t.shape);
  } else {
    if (!o.have_shape) {
      throw tool_error(o.input + ": not a .npy file; a raw float32 input needs --shape");
    }
    t.shape = o.shape;
    t.count = element_count(t.shape);
    const uint64_t need = t.count * sizeof(float);
    if (file.size() < need) {
      throw tool_error(o.input + ": truncated: shape " + shape_string(t.shape) + " needs " +
                       std::to_string(need) + " bytes of float32, the file has " +
                       std::to_string(file.size()));
    }
    if (file.size() > need) {
      throw tool_error(o.input + ": the file has " + std::to_string(file.size()) +
                       " bytes, but shape " + shape_string(t.shape) + " of float32 needs " +
                       std::to_string(need) + ": the shape does not match the size");
    }
  }
  if (t.count == 0) {
    throw tool_error(o.input + ": the tensor " + shape_string(t.shape) +
                     " is empty; there is nothing to calibrate");
  }
  t.inner = t.count;
  if (o.per_channel) {
    const int64_t rank = static_cast<int64_t>(t.shape.size());
    const int64_t axis = o.axis < 0 ? o.axis + rank : o.axis;
    if (axis < 0 || axis >= rank) {
      throw usage_error("--axis " + std::to_string(o.axis) + " is out of range for shape " +
                        shape_string(t.shape) + " (" + std::to_string(rank) + " axes)");
    }
    t.channels = static_cast<uint64_t>(t.shape[axis]);
    t.inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) t.inner *= static_cast<uint64_t>(t.shape[d]);
    t.outer = t.count / (t.channels * t.inner);
  }
  return t;
}

// Walks the whole tensor in element order, chunk by chunk, calling
// visit(values, first_index, count, channel) for each run of one channel.
template <class Visit>
void walk(const tensor& t, std::vector<float>& buffer, progress_line& progress, Visit visit) {
  buffer.resize(kChunkElements);
  t.file->start_pass();
  for (uint64_t begin = 0; begin < t.count; begin += kChunkElements) {
    const size_t length = static_cast<size_t>(std::min<uint64_t>(kChunkElements, t.count - begin));
    std::memcpy(buffer.data(), t.file->data() + t.byte_offset(begin), length * sizeof(float));
    size_t at = 0;
    while (at < length) {
      const uint64_t index = begin + at;
      const uint64_t run_end = std::min<uint64_t>((index / t.inner + 1) * t.inner, begin + length);
      const size_t run = static_cast<size_t>(run_end - index);
      visit(buffer.data() + at, index, run, t.channel_of(index));
      at += run;
    }
    t.file->release_before(t.byte_offset(begin + length));
    progress.advance(length * sizeof(float));
  }
}

struct channel_range {
  float min = INFINITY, max = -INFINITY, max_abs = 0.0f;
};

// Pass 1: every value finite, and each channel's min, max and max |x|.
std::vector<channel_range> scan(const tensor& t, const options& o, std::vector<float>& buffer,
                                progress_line& progress) {
  std::vector<channel_range> ranges(t.channels);
  walk(t, buffer, progress,
       [&](const float* x, uint64_t first, size_t n, uint64_t channel) {
         channel_range& r = ranges[channel];
         for (size_t i = 0; i < n; ++i) {
           const float v = x[i];
           if (!std::isfinite(v)) {
             progress.finish();
             throw tool_error(o.input + ": element " + std::to_string(first + i) + " at " +
                              coordinates(t.shape, first + i) + " is " +
                              (std::isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") +
                              "; only finite data can be quantized");
           }
           r.min = std::min(r.min, v);
           r.max = std::max(r.max, v);
           r.max_abs = std::max(r.max_abs, std::fabs(v));
         }
       });
  return ranges;
}

uint32_t float_bits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

float float_from_bits(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The bucket of a histogram that holds the element of rank k (0-based, in sorted order), and
// k's rank inside that bucket.
void locate_rank(const std::vector<uint64_t>& histogram, uint64_t k, uint32_t* bucket,
                 uint64_t* rank_in_bucket) {
  uint64_t below = 0;
  for (uint32_t b = 0; b < histogram.size(); ++b) {
    if (k < below + histogram[b]) {
      *bucket = b;
      *rank_in_bucket = k - below;
      return;
    }
    below += histogram[b];
  }
  throw tool_error("internal error: rank beyond the histogram");  // counts cover every element
}

// The percentile of |x| over the whole tensor, exactly as qgemm_calibrate_percentile computes
// it (see the file comment), in bounded memory.
qgemm_qparams percentile_per_tensor(const tensor& t, const options& o, std::vector<float>& buffer,
                                    progress_line& progress) {
  const uint64_t n = t.count;
  const double rank = o.percentile / 100.0 * static_cast<double>(n - 1);
  const uint64_t lower_index = std::min(static_cast<uint64_t>(std::floor(rank)), n - 1);
  const double fraction = rank - static_cast<double>(lower_index);
  const bool have_upper = lower_index + 1 < n;
  const uint64_t ranks[2] = {lower_index, have_upper ? lower_index + 1 : lower_index};

  std::vector<uint64_t> high(65536, 0);
  progress.start("percentile: count high bits", n * sizeof(float));
  walk(t, buffer, progress, [&](const float* x, uint64_t, size_t count, uint64_t) {
    for (size_t i = 0; i < count; ++i) ++high[float_bits(std::fabs(x[i])) >> 16];
  });
  progress.finish();
  uint32_t bucket[2];
  uint64_t rank_in_bucket[2];
  for (int r = 0; r < 2; ++r) locate_rank(high, ranks[r], &bucket[r], &rank_in_bucket[r]);

  std::vector<uint64_t> low[2] = {std::vector<uint64_t>(65536, 0), std::vector<uint64_t>()};
  const bool same_bucket = bucket[0] == bucket[1];
  if (!same_bucket) low[1].assign(65536, 0);
  progress.start("percentile: count low bits", n * sizeof(float));
  walk(t, buffer, progress, [&](const float* x, uint64_t, size_t count, uint64_t) {
    for (size_t i = 0; i < count; ++i) {
      const uint32_t bits = float_bits(std::fabs(x[i]));
      if ((bits >> 16) == bucket[0]) {
        ++low[0][bits & 0xffff];
      } else if (!same_bucket && (bits >> 16) == bucket[1]) {
        ++low[1][bits & 0xffff];
      }
    }
  });
  progress.finish();
  float value[2];
  for (int r = 0; r < 2; ++r) {
    uint32_t low_bits = 0;
    uint64_t unused = 0;
    locate_rank(low[same_bucket ? 0 : r], rank_in_bucket[r], &low_bits, &unused);
    value[r] = float_from_bits(bucket[r] << 16 | low_bits);
  }

  // From here on, qgemm_calibrate_percentile's arithmetic (NumPy's _lerp, then symmetric).
  const double lower = value[0];
  const double upper = have_upper ? value[1] : lower;
  const double difference = upper - lower;
  const double clip = fraction >= 0.5 ? upper - difference * (1.0 - fraction)
                                      : lower + difference * fraction;
  const int32_t qmax = (int32_t{1} << (o.bits - 1)) - 1;
  qgemm_qparams params;
  params.scale = clip > 0.0 ? clip / qmax : 1.0;
  params.zero_point = 0;
  params.qmin = -qmax;
  params.qmax = qmax;
  return params;
}

// Per-channel percentile: channels gathered in groups, each handed to the library.
void percentile_per_channel(const tensor& t, const options& o, std::vector<qgemm_qparams>& params,
                            progress_line& progress) {
  const uint64_t length = t.outer * t.inner;  // elements per channel
  const uint64_t per_group =
      std::max<uint64_t>(1, kGatherBudgetBytes / (length * sizeof(float)));
  std::vector<float> gathered;
  gathered.resize(static_cast<size_t>(std::min(per_group, t.channels) * length));
  progress.start("percentile: gather channels", t.count * sizeof(float));
  for (uint64_t c0 = 0; c0 < t.channels; c0 += per_group) {
    const uint64_t c1 = std::min(t.channels, c0 + per_group);
    // Runs are read in increasing file order (outer-major), so everything before a run's end
    // is done with for this group.
    t.file->start_pass();
    for (uint64_t outer = 0; outer < t.outer; ++outer) {
      for (uint64_t c = c0; c < c1; ++c) {
        const uint64_t index = (outer * t.channels + c) * t.inner;
        std::memcpy(gathered.data() + (c - c0) * length + outer * t.inner,
                    t.file->data() + t.byte_offset(index), t.inner * sizeof(float));
        t.file->release_before(t.byte_offset(index + t.inner));
      }
      progress.advance((c1 - c0) * t.inner * sizeof(float));
    }
    for (uint64_t c = c0; c < c1; ++c) {
      if (qgemm_calibrate_percentile(gathered.data() + (c - c0) * length, length, o.bits,
                                     o.percentile, &params[c]) != QGEMM_OK) {
        progress.finish();
        library_failure("channel " + std::to_string(c));
      }
    }
  }
  progress.finish();
}

std::vector<qgemm_qparams> calibrate(const tensor& t, const options& o,
                                     const std::vector<channel_range>& ranges,
                                     std::vector<float>& buffer, progress_line& progress) {
  std::vector<qgemm_qparams> params(t.channels);
  if (o.method == scheme::percentile) {
    if (o.per_channel) {
      percentile_per_channel(t, o, params, progress);
    } else {
      params[0] = percentile_per_tensor(t, o, buffer, progress);
    }
    return params;
  }
  qgemm_qrange range;
  if (qgemm_qrange_from_bits(o.bits, o.is_unsigned ? 0 : 1, &range) != QGEMM_OK) {
    library_failure("--bits");
  }
  for (uint64_t c = 0; c < t.channels; ++c) {
    qgemm_status status = QGEMM_OK;
    if (o.method == scheme::asymmetric) {
      status = qgemm_calibrate_asymmetric_range(ranges[c].min, ranges[c].max, range, &params[c]);
    } else if (o.is_unsigned) {
      status = qgemm_calibrate_symmetric_unsigned(&ranges[c].max, 1, o.bits, &params[c]);
    } else {
      status = qgemm_calibrate_symmetric(&ranges[c].max_abs, 1, o.bits, &params[c]);
    }
    if (status != QGEMM_OK) library_failure("calibrating channel " + std::to_string(c));
  }
  return params;
}

// qgemm_error_report_compute's sums, carried across calls.
struct error_sums {
  double squared_error = 0.0, squared_signal = 0.0, max_abs_error = 0.0;
  uint64_t count = 0;

  void add(const float* x, const float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const double reference = x[i];
      const double error = reference - static_cast<double>(y[i]);
      squared_error += error * error;
      squared_signal += reference * reference;
      max_abs_error = std::max(max_abs_error, std::fabs(error));
    }
    count += n;
  }
  qgemm_error_report report() const {
    qgemm_error_report r;
    r.sse = squared_error;
    r.mse = squared_error / static_cast<double>(count);
    r.max_abs_error = max_abs_error;
    if (squared_error == 0.0) {
      r.sqnr_db = INFINITY;
    } else if (squared_signal == 0.0) {
      r.sqnr_db = -INFINITY;
    } else {
      r.sqnr_db = 10.0 * std::log10(squared_signal / squared_error);
    }
    return r;
  }
};

struct storage {
  qgemm_type type;
  npy_dtype dtype;
};

storage storage_for(const options& o) {
  if (o.bits <= 8) {
    return o.is_unsigned ? storage{QGEMM_U8, npy_dtype::u8} : storage{QGEMM_S8, npy_dtype::i8};
  }
  return o.is_unsigned ? storage{QGEMM_U16, npy_dtype::u16} : storage{QGEMM_S16, npy_dtype::i16};
}

// Last pass: quantize, write, dequantize, measure.
void quantize_and_write(const tensor& t, const options& o, const storage& out,
                        const std::vector<qgemm_qparams>& params, atomic_output& file,
                        error_sums& total, std::vector<error_sums>& per_channel,
                        std::vector<float>& buffer, progress_line& progress) {
  const std::string header = npy_header_bytes(out.dtype, t.shape);
  file.write(header.data(), header.size());
  const size_t element_size = npy_dtype_size(out.dtype);
  std::vector<unsigned char> quantized(kChunkElements * element_size);
  std::vector<float> restored(kChunkElements);
  uint64_t chunk_begin = 0;
  size_t chunk_fill = 0;
  walk(t, buffer, progress, [&](const float* x, uint64_t first, size_t n, uint64_t channel) {
    if (first / kChunkElements != chunk_begin / kChunkElements) {  // a new chunk: flush the last
      file.write(quantized.data(), chunk_fill * element_size);
      chunk_begin = first;
      chunk_fill = 0;
    }
    unsigned char* q = quantized.data() + chunk_fill * element_size;
    float* y = restored.data() + chunk_fill;
    if (qgemm_quantize(x, n, &params[channel], out.type, q) != QGEMM_OK) {
      library_failure("quantizing element " + std::to_string(first));
    }
    if (qgemm_dequantize(q, out.type, n, &params[channel], y) != QGEMM_OK) {
      library_failure("dequantizing element " + std::to_string(first));
    }
    total.add(x, y, n);
    if (o.per_channel) per_channel[channel].add(x, y, n);
    chunk_fill += n;
  });
  file.write(quantized.data(), chunk_fill * element_size);
}

std::string number(double v) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// JSON has no infinities: a perfect reconstruction's SQNR (+inf dB) is written as null.
std::string json_number(double v) { return std::isfinite(v) ? number(v) : "null"; }

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

template <class Value>
std::string json_list(const std::vector<Value>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out + "]";
}

std::string params_json(const tensor& t, const options& o, const storage& out,
                        const std::vector<qgemm_qparams>& params, const error_sums& total,
                        const std::vector<error_sums>& per_channel) {
  std::vector<std::string> shape, scales, zero_points;
  for (const int64_t d : t.shape) shape.push_back(std::to_string(d));
  for (const qgemm_qparams& p : params) {
    scales.push_back(number(p.scale));
    zero_points.push_back(std::to_string(p.zero_point));
  }
  std::string j = "{\n";
  j += "  \"input\": " + json_string(o.input) + ",\n";
  j += "  \"shape\": " + json_list(shape) + ",\n";
  j += "  \"dtype\": \"" + std::string(npy_dtype_name(out.dtype)) + "\",\n";
  j += "  \"scheme\": \"" + std::string(scheme_name(o.method)) + "\",\n";
  if (o.method == scheme::percentile) j += "  \"percentile\": " + number(o.percentile) + ",\n";
  j += "  \"bits\": " + std::to_string(o.bits) + ",\n";
  j += "  \"signed\": " + std::string(o.is_unsigned ? "false" : "true") + ",\n";
  j += "  \"qmin\": " + std::to_string(params[0].qmin) + ",\n";
  j += "  \"qmax\": " + std::to_string(params[0].qmax) + ",\n";
  if (o.per_channel) {
    const int64_t rank = static_cast<int64_t>(t.shape.size());
    j += "  \"axis\": " + std::to_string(o.axis < 0 ? o.axis + rank : o.axis) + ",\n";
    j += "  \"scale\": " + json_list(scales) + ",\n";
    j += "  \"zero_point\": " + json_list(zero_points) + ",\n";
  } else {
    j += "  \"axis\": null,\n";
    j += "  \"scale\": " + scales[0] + ",\n";
    j += "  \"zero_point\": " + zero_points[0] + ",\n";
  }
  const qgemm_error_report r = total.report();
  j += "  \"error\": {\"sse\": " + json_number(r.sse) + ", \"mse\": " + json_number(r.mse) +
       ", \"max_abs_error\": " + json_number(r.max_abs_error) +
       ", \"sqnr_db\": " + json_number(r.sqnr_db) + "}";
  if (o.per_channel) {
    std::vector<std::string> sse, mse, max_error, sqnr;
    for (const error_sums& sums : per_channel) {
      const qgemm_error_report c = sums.report();
      sse.push_back(json_number(c.sse));
      mse.push_back(json_number(c.mse));
      max_error.push_back(json_number(c.max_abs_error));
      sqnr.push_back(json_number(c.sqnr_db));
    }
    j += ",\n  \"channel_error\": {\"sse\": " + json_list(sse) + ", \"mse\": " + json_list(mse) +
         ", \"max_abs_error\": " + json_list(max_error) + ", \"sqnr_db\": " + json_list(sqnr) +
         "}";
  }
  return j + "\n}\n";
}

void print_report(const tensor& t, const options& o, const storage& out,
                  const std::vector<qgemm_qparams>& params, const error_sums& total,
                  const std::vector<error_sums>& per_channel) {
  std::printf("%s: %s float32 %s -> %s %s, %s\n", kTool, o.input.c_str(),
              shape_string(t.shape).c_str(), o.output.c_str(), npy_dtype_name(out.dtype),
              o.params_path.c_str());
  std::printf("scheme %s", scheme_name(o.method));
  if (o.method == scheme::percentile) std::printf(" (p = %g)", o.percentile);
  std::printf(", %d bits %s, q in [%d, %d], ", static_cast<int>(o.bits),
              o.is_unsigned ? "unsigned" : "signed", static_cast<int>(params[0].qmin),
              static_cast<int>(params[0].qmax));
  if (!o.per_channel) {
    std::printf("per tensor: scale %.9g zero_point %d\n", params[0].scale,
                static_cast<int>(params[0].zero_point));
  } else {
    const int64_t rank = static_cast<int64_t>(t.shape.size());
    std::printf("per channel along axis %lld (%llu channels)\n",
                static_cast<long long>(o.axis < 0 ? o.axis + rank : o.axis),
                static_cast<unsigned long long>(t.channels));
    std::printf("%8s %15s %10s %12s %12s %12s %9s\n", "channel", "scale", "zero_point", "SSE",
                "MSE", "max|err|", "SQNR dB");
    for (uint64_t c = 0; c < t.channels; ++c) {
      const qgemm_error_report r = per_channel[c].report();
      std::printf("%8llu %15.9g %10d %12.6g %12.6g %12.6g %9.3f\n",
                  static_cast<unsigned long long>(c), params[c].scale,
                  static_cast<int>(params[c].zero_point), r.sse, r.mse, r.max_abs_error,
                  r.sqnr_db);
    }
  }
  const qgemm_error_report r = total.report();
  std::printf("error: SSE %.9g  MSE %.9g  max|err| %.9g  SQNR %.4f dB\n", r.sse, r.mse,
              r.max_abs_error, r.sqnr_db);
}

int run(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const mapped_file file(o.input);
  const tensor t = open_input(o, file);
  const storage out = storage_for(o);
  progress_line progress(kTool, !o.quiet && t.count * sizeof(float) > kProgressThreshold);
  std::vector<float> buffer;

  progress.start("check and find ranges", t.count * sizeof(float));
  const std::vector<channel_range> ranges = scan(t, o, buffer, progress);
  progress.finish();
  const std::vector<qgemm_qparams> params = calibrate(t, o, ranges, buffer, progress);

  atomic_output quantized(o.output);
  error_sums total;
  std::vector<error_sums> per_channel(o.per_channel ? t.channels : 0);
  progress.start("quantize and write", t.count * sizeof(float));
  quantize_and_write(t, o, out, params, quantized, total, per_channel, buffer, progress);
  progress.finish();

  atomic_output json(o.params_path);
  const std::string text = params_json(t, o, out, params, total, per_channel);
  json.write(text.data(), text.size());
  quantized.commit();
  json.commit();
  print_report(t, o, out, params, total, per_channel);
  return 0;
}

}  // namespace
}  // namespace qgemm_tools

int main(int argc, char** argv) {
  return qgemm_tools::tool_main("qgemm-quantize", qgemm_tools::run, argc, argv);
}

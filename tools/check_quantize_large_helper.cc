// Helper of tools/check-quantize-large.sh for machines without NumPy (too slow a job for ctest):
//
//   qgemm-check-large-helper generate FILE COUNT SEED
//       writes COUNT float32 values (normal, with outliers) as raw little-endian float32.
//   qgemm-check-large-helper check INPUT.bin OUTPUT.npy PARAMS.json
//       recomputes, without the library, what qgemm-quantize wrote: q = clamp(nearbyint(x / s +
//       z)) (the default rounding mode is round half to even), x' = float(s * (q - z)) and
//       SQNR = 10 log10(sum x^2 / sum (x - x')^2); prints the number of q that differ and both
//       SQNRs. Per tensor or per channel along axis 0.
// Streams both files through read(), so it runs in bounded memory as well.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "npy.h"

namespace {

// The number or list after "key": in the tool's JSON.
std::vector<double> json_values(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) throw std::runtime_error("no " + key + " in the JSON");
  const char* text = json.c_str() + at + key.size() + 4;
  std::vector<double> values;
  if (std::strncmp(text, "null", 4) == 0) return values;
  const bool list = *text == '[';
  if (list) ++text;
  do {
    char* end = nullptr;
    values.push_back(std::strtod(text, &end));
    text = end;
    while (*text == ',' || *text == ' ') ++text;
  } while (list && *text != ']');
  return values;
}

int generate(const char* path, uint64_t count, uint32_t seed) {
  std::FILE* out = std::fopen(path, "wb");
  if (out == nullptr) return std::perror(path), 1;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.1f, 1.0f);
  std::vector<float> chunk(1 << 20);
  for (uint64_t done = 0; done < count;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), count - done));
    for (size_t i = 0; i < n; ++i) {
      chunk[i] = normal(rng);
      if ((done + i) % 1009 == 0) chunk[i] *= 12.0f;  // outliers
    }
    if (std::fwrite(chunk.data(), sizeof(float), n, out) != n) return std::perror(path), 1;
    done += n;
  }
  return std::fclose(out) == 0 ? 0 : 1;
}

int check(const char* input, const char* output, const char* params) {
  std::ifstream json_file(params);
  std::stringstream json_text;
  json_text << json_file.rdbuf();
  const std::string json = json_text.str();
  const std::vector<double> scale = json_values(json, "scale");
  const std::vector<double> zero_point = json_values(json, "zero_point");
  const std::vector<double> axis = json_values(json, "axis");
  const double qmin = json_values(json, "qmin").at(0), qmax = json_values(json, "qmax").at(0);
  const double reported_sqnr = json_values(json, "sqnr_db").at(0);
  if (!axis.empty() && axis[0] != 0) throw std::runtime_error("only axis 0 is checked");

  // The output's element type from the JSON, its data offset from its (version 1.0) preamble.
  std::ifstream q_file(output, std::ios::binary);
  unsigned char preamble[10] = {};
  q_file.read(reinterpret_cast<char*>(preamble), sizeof preamble);
  if (!q_file || preamble[6] != 1) throw std::runtime_error("not a version 1.0 .npy file");
  std::ifstream x_file(input, std::ios::binary | std::ios::ate);
  const uint64_t count = static_cast<uint64_t>(x_file.tellg()) / sizeof(float);
  x_file.seekg(0);
  const size_t header_length = preamble[8] | preamble[9] << 8;
  const qgemm_tools::npy_dtype dtype =
      json.find("\"dtype\": \"int8\"") != std::string::npos    ? qgemm_tools::npy_dtype::i8
      : json.find("\"dtype\": \"uint8\"") != std::string::npos ? qgemm_tools::npy_dtype::u8
      : json.find("\"dtype\": \"int16\"") != std::string::npos ? qgemm_tools::npy_dtype::i16
                                                                : qgemm_tools::npy_dtype::u16;
  const size_t element_size = qgemm_tools::npy_dtype_size(dtype);
  q_file.seekg(static_cast<std::streamoff>(10 + header_length));

  const uint64_t per_channel = count / scale.size();
  std::vector<float> x(1 << 20);
  std::vector<unsigned char> q(x.size() * element_size);
  double signal = 0.0, noise = 0.0;
  uint64_t mismatches = 0;
  for (uint64_t done = 0; done < count;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(x.size(), count - done));
    x_file.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(n * 4));
    q_file.read(reinterpret_cast<char*>(q.data()), static_cast<std::streamsize>(n * element_size));
    if (!x_file || !q_file) throw std::runtime_error("short read");
    for (size_t i = 0; i < n; ++i) {
      const size_t c = static_cast<size_t>((done + i) / per_channel);
      const double s = scale[c], z = zero_point[c];
      const unsigned char* b = q.data() + i * element_size;
      double stored = 0;
      switch (dtype) {
        case qgemm_tools::npy_dtype::i8: stored = static_cast<int8_t>(b[0]); break;
        case qgemm_tools::npy_dtype::u8: stored = b[0]; break;
        case qgemm_tools::npy_dtype::i16: stored = static_cast<int16_t>(b[0] | b[1] << 8); break;
        default: stored = b[0] | b[1] << 8; break;
      }
      const double expected = std::fmin(std::fmax(std::nearbyint(x[i] / s + z), qmin), qmax);
      if (expected != stored) ++mismatches;
      const float restored = static_cast<float>(s * (stored - z));
      const double error = static_cast<double>(x[i]) - restored;
      signal += static_cast<double>(x[i]) * x[i];
      noise += error * error;
    }
    done += n;
  }
  const double sqnr = 10.0 * std::log10(signal / noise);
  std::printf("direct: %llu of %llu quantized values differ; SQNR %.12f dB, reported %.12f dB, "
              "difference %.3g dB\n",
              static_cast<unsigned long long>(mismatches), static_cast<unsigned long long>(count),
              sqnr, reported_sqnr, std::fabs(sqnr - reported_sqnr));
  return mismatches == 0 && std::fabs(sqnr - reported_sqnr) <= 1e-6 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 5 && std::strcmp(argv[1], "generate") == 0) {
      return generate(argv[2], std::strtoull(argv[3], nullptr, 10),
                      static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 10)));
    }
    if (argc == 5 && std::strcmp(argv[1], "check") == 0) return check(argv[2], argv[3], argv[4]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qgemm-check-large-helper: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: qgemm-check-large-helper generate FILE COUNT SEED\n"
               "       qgemm-check-large-helper check INPUT.bin OUTPUT.npy PARAMS.json\n");
  return 2;
}

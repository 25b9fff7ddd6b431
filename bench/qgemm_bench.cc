// qgemm_bench: GOPS of qgemm per shape of shapes.csv, per ISA level and per output.
//
// Benchmarks are named gemm/<shape>/<isa>/<output> (output: s32 = int32 epilogue, s8 = float
// requantization to int8), so --benchmark_filter and --benchmark_format=json select and read
// them. Each one multiplies A (u8, M x K, row-major) by weights B (s8, K x N) packed once before
// timing, as an inference runtime does, and reports a rate counter GOPS = 2 M N K / s / 1e9.
// At the end a table with one row per shape and level is printed.
//
// Shapes come from the project's shapes.csv: the path given with --shapes=PATH, else
// $QGEMM_SHAPES, else the path configured at build time (../shared/bench/shapes.csv).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "qgemm/qgemm.hpp"

#ifndef QGEMM_SHAPES_CSV
#define QGEMM_SHAPES_CSV "shapes.csv"
#endif

namespace {

struct shape {
  std::string group, name;
  int64_t M, N, K;
};

std::vector<shape> read_shapes(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "qgemm_bench: cannot open shapes file %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<shape> shapes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    shape s;
    std::string m, n, k;
    if (!std::getline(ss, s.group, ',') || !std::getline(ss, s.name, ',') ||
        !std::getline(ss, m, ',') || !std::getline(ss, n, ',') || !std::getline(ss, k, ',')) {
      std::fprintf(stderr, "qgemm_bench: bad line in %s: %s\n", path.c_str(), line.c_str());
      std::exit(2);
    }
    s.M = std::stoll(m);
    s.N = std::stoll(n);
    s.K = std::stoll(k);
    shapes.push_back(s);
  }
  return shapes;
}

// Inputs shared by every benchmark of one shape (allocated once, lazily).
struct shape_data {
  std::vector<uint8_t> a;
  std::vector<int8_t> b;
  std::vector<int32_t> bias;
};

shape_data& data_for(const shape& s) {
  static std::map<std::string, std::unique_ptr<shape_data>> cache;
  auto& slot = cache[s.name];
  if (!slot) {
    slot = std::make_unique<shape_data>();
    std::mt19937 rng(42);
    slot->a.resize(static_cast<size_t>(s.M * s.K));
    slot->b.resize(static_cast<size_t>(s.K * s.N));
    slot->bias.resize(static_cast<size_t>(s.N));
    for (auto& v : slot->a) v = static_cast<uint8_t>(rng());
    for (auto& v : slot->b) v = static_cast<int8_t>(rng());
    for (auto& v : slot->bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  }
  return *slot;
}

void bench_gemm(benchmark::State& state, shape s, qgemm_isa isa, bool requant) {
  shape_data& d = data_for(s);
  const qgemm::packed_b weights(isa, s.K, s.N, qgemm::operand(d.b.data(), s.N, /*zero_point=*/0));
  const qgemm_operand a = qgemm::operand(d.a.data(), s.K, /*zero_point=*/128);
  const float scale = 1.0f / (64.0f * static_cast<float>(s.K));
  const qgemm_epilogue e = requant
      ? qgemm_epilogue_requant_float(QGEMM_S8, &scale, 0, /*out_zero_point=*/-3, d.bias.data())
      : qgemm_epilogue_s32(d.bias.data());
  std::vector<uint8_t> c(static_cast<size_t>(s.M * s.N) * (requant ? 1 : 4));
  qgemm::gemm(s.M, s.N, s.K, a, weights, e, c.data(), s.N);  // warm the workspace
  for (auto _ : state) {
    qgemm::gemm(s.M, s.N, s.K, a, weights, e, c.data(), s.N);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double ops = 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) * static_cast<double>(s.K);
  state.counters["GOPS"] = benchmark::Counter(ops * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
  state.SetLabel(qgemm_kernel_name(isa));
}

// The console output as usual, plus a summary table: one row per shape and level.
class table_reporter : public benchmark::ConsoleReporter {
 public:
  explicit table_reporter(std::vector<shape> shapes) : shapes_(std::move(shapes)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    // With --benchmark_repetitions the table shows the median; otherwise the single run.
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const auto it = r.counters.find("GOPS");
      if (it == r.counters.end()) continue;
      const std::string name = r.run_name.str();
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        gops_[name] = it->second.value;
        has_median_[name] = true;
      } else if (r.run_type == Run::RT_Iteration && !has_median_[name]) {
        gops_[name] = it->second.value;
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nqgemm GOPS, 1 thread, median of the repetitions (A u8 x packed B s8;\n"
                "s32 = int32 output, s8 = float-requantized int8 output)\n");
    std::printf("%-20s %6s %6s %6s  %-11s %9s %9s\n", "shape", "M", "N", "K", "isa", "s32", "s8");
    for (const shape& s : shapes_) {
      for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
        const std::string isa = qgemm_isa_name(static_cast<qgemm_isa>(i));
        const std::string base = "gemm/" + s.name + "/" + isa + "/";
        const auto s32 = gops_.find(base + "s32"), s8 = gops_.find(base + "s8");
        if (s32 == gops_.end() && s8 == gops_.end()) continue;
        auto cell = [&](auto it) {
          return it == gops_.end() ? std::string("-") : std::to_string(it->second).substr(0, 7);
        };
        std::printf("%-20s %6lld %6lld %6lld  %-11s %9s %9s\n", s.name.c_str(), (long long)s.M,
                    (long long)s.N, (long long)s.K, isa.c_str(), cell(s32).c_str(),
                    cell(s8).c_str());
      }
    }
    std::fflush(stdout);
  }

 private:
  std::vector<shape> shapes_;
  std::map<std::string, double> gops_;
  std::map<std::string, bool> has_median_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string path = QGEMM_SHAPES_CSV;
  if (const char* env = std::getenv("QGEMM_SHAPES")) path = env;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--shapes=", 9) == 0)
      path = argv[i] + 9;
    else
      args.push_back(argv[i]);
  }
  int n_args = static_cast<int>(args.size());
  const std::vector<shape> shapes = read_shapes(path);

  for (const shape& s : shapes) {
    for (qgemm_isa isa : qgemm::available_isas()) {
      for (bool requant : {false, true}) {
        const std::string name = "gemm/" + s.name + "/" + qgemm_isa_name(isa) + (requant ? "/s8" : "/s32");
        benchmark::RegisterBenchmark(name.c_str(), bench_gemm, s, isa, requant)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::Initialize(&n_args, args.data());
  if (benchmark::ReportUnrecognizedArguments(n_args, args.data())) return 1;
  table_reporter reporter(shapes);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

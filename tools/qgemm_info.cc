// qgemm-info: what qgemm sees on this machine and what it will run.
//
//   qgemm-info           a report for people
//   qgemm-info --json    the same facts as one JSON object, for scripts
//
// It prints the CPU's features (as CPUID/HWCAP reports them and as usable, i.e. also enabled by
// the OS), the register state the OS saves (XCR0 on x86), the kernel each path runs (GEMM and
// the small-M GEMV path) with its tile and blocks, every kernel built into this library and
// whether this CPU can run it, the cache sizes and the number of threads. Everything comes from
// the public C API (qgemm.h), the Linux sysfs/procfs and, when the library uses OpenMP, the
// OpenMP runtime.
//
// Exit status: 0; 1 when QGEMM_ISA names no usable level (GEMMs would fail in this environment:
// the report is still printed, with the reason); 2 for a bad command line.
#include <qgemm/qgemm.h>

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

#ifndef QGEMM_VERSION_STRING
#define QGEMM_VERSION_STRING "unknown"
#endif

namespace {

const char kUsage[] =
    "usage: qgemm-info [--json] [--help]\n"
    "\n"
    "Prints what qgemm sees on this machine and what it will run: the CPU's features (as the\n"
    "CPU reports them, and usable: also enabled by the OS), the register state the OS saves\n"
    "(XCR0 on x86, HWCAP on aarch64), the kernel of each path (GEMM, and the small-M GEMV path)\n"
    "with its tile MR x NR x KR and blocks MC/NC/KC, every kernel built into the library and\n"
    "whether this CPU can run it, the cache sizes and the number of OpenMP threads.\n"
    "\n"
    "  --json    print the same as one JSON object\n"
    "  --help    print this and exit\n"
    "\n"
    "The environment variable QGEMM_ISA=<level> forces a level as it does for every qgemm user\n"
    "(scalar, avx2, avx512bw, avxvnni, avx512vnni, neon, neondot, i8mm). Exit status: 0; 1 when\n"
    "QGEMM_ISA names no usable level (the report says why); 2 for a bad command line.\n";

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

struct feature {
  const char* name;
  bool reported, usable;
};

struct xcr0_bit {
  int bit;
  const char* name;
};
// The XCR0 state components that qgemm's levels need (AVX: 1-2; AVX-512: 1-2 and 5-7).
constexpr xcr0_bit kXcr0Bits[] = {{0, "x87"},      {1, "sse"},       {2, "avx"},
                                  {5, "opmask"},   {6, "zmm_hi256"}, {7, "hi16_zmm"}};

struct kernel_row {
  qgemm_isa isa;
  qgemm_kernel_info info;
  int64_t gemv_max_m;
  bool runs_here;
};

struct cache {
  int level = 0;
  std::string type;          // Data, Instruction, Unified
  uint64_t size_bytes = 0;
  std::string shared_cpu_list;
};

struct facts {
  std::string arch, compiler, cpu_model;
  std::vector<feature> features;
  bool has_xcr0 = false;
  uint64_t xcr0 = 0;
  unsigned long hwcap = 0, hwcap2 = 0;
  bool has_hwcap = false;
  const char* isa_env = nullptr;
  qgemm_isa best{};
  bool selected_ok = false;
  qgemm_isa selected{};
  std::string selected_error;
  std::vector<kernel_row> kernels;
  std::vector<qgemm_isa> not_built;
  std::vector<cache> caches;
  std::string cache_source;
  bool openmp = false;
  int max_threads = 1;
};

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// "32K" -> 32768 (sysfs writes sizes with a K or M suffix).
uint64_t parse_size(const std::string& s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (end == s.c_str()) return 0;
  if (*end == 'K') return v << 10;
  if (*end == 'M') return v << 20;
  if (*end == 'G') return v << 30;
  return v;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t b = line.find_first_not_of(" \t", colon + 1);
        return b == std::string::npos ? "" : line.substr(b);
      }
    }
  }
  return "unknown";
}

void find_caches(facts& f) {
  for (int i = 0;; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = read_line(dir + "level");
    if (level.empty()) break;
    cache c;
    c.level = std::atoi(level.c_str());
    c.type = read_line(dir + "type");
    c.size_bytes = parse_size(read_line(dir + "size"));
    c.shared_cpu_list = read_line(dir + "shared_cpu_list");
    f.caches.push_back(c);
  }
  if (!f.caches.empty()) {
    f.cache_source = "/sys/devices/system/cpu/cpu0/cache";
    return;
  }
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  const struct {
    int level;
    const char* type;
    int name;
  } queries[] = {{1, "Data", _SC_LEVEL1_DCACHE_SIZE},
                 {1, "Instruction", _SC_LEVEL1_ICACHE_SIZE},
                 {2, "Unified", _SC_LEVEL2_CACHE_SIZE},
                 {3, "Unified", _SC_LEVEL3_CACHE_SIZE},
                 {4, "Unified", _SC_LEVEL4_CACHE_SIZE}};
  for (const auto& q : queries) {
    const long v = sysconf(q.name);
    if (v > 0) f.caches.push_back(cache{q.level, q.type, static_cast<uint64_t>(v), ""});
  }
  if (!f.caches.empty()) f.cache_source = "sysconf";
#endif
  if (f.caches.empty()) f.cache_source = "unknown";
}

facts gather() {
  facts f;
#if defined(__x86_64__)
  f.arch = "x86_64";
#elif defined(__aarch64__)
  f.arch = "aarch64";
#else
  f.arch = "other";
#endif
#if defined(__clang__)
  f.compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  f.compiler = std::string("gcc ") + __VERSION__;
#else
  f.compiler = "unknown";
#endif
  f.cpu_model = cpu_model();

  const qgemm_cpu_features u = qgemm_get_cpu_features();
  const qgemm_cpu_features r = qgemm_get_cpu_features_reported();
#define QGEMM_INFO_FEATURE(field) f.features.push_back({#field, r.field != 0, u.field != 0})
#if defined(__aarch64__)
  QGEMM_INFO_FEATURE(asimd);
  QGEMM_INFO_FEATURE(asimddp);
  QGEMM_INFO_FEATURE(i8mm);
  f.has_hwcap = true;
  f.hwcap = getauxval(AT_HWCAP);
  f.hwcap2 = getauxval(AT_HWCAP2);
#else
  QGEMM_INFO_FEATURE(avx2);
  QGEMM_INFO_FEATURE(fma);
  QGEMM_INFO_FEATURE(avx512f);
  QGEMM_INFO_FEATURE(avx512bw);
  QGEMM_INFO_FEATURE(avx512vl);
  QGEMM_INFO_FEATURE(avx512_vnni);
  QGEMM_INFO_FEATURE(avx_vnni);
#if defined(__x86_64__)
  f.has_xcr0 = true;
  f.xcr0 = qgemm_get_xcr0();
#endif
#endif
#undef QGEMM_INFO_FEATURE

  f.isa_env = std::getenv("QGEMM_ISA");
  f.best = qgemm_best_isa();
  f.selected_ok = qgemm_selected_isa(&f.selected) == QGEMM_OK;
  if (!f.selected_ok) f.selected_error = qgemm_last_error();

  for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
    const auto isa = static_cast<qgemm_isa>(i);
    kernel_row k{isa, {}, 0, false};
    if (!qgemm_isa_built(isa) || qgemm_get_kernel_info(isa, &k.info) != QGEMM_OK ||
        qgemm_get_gemv_max_m(isa, &k.gemv_max_m) != QGEMM_OK) {
      f.not_built.push_back(isa);
      continue;
    }
    k.runs_here = qgemm_isa_available(isa) != 0;
    f.kernels.push_back(k);
  }

  find_caches(f);
#if defined(_OPENMP)
  f.openmp = true;
  f.max_threads = omp_get_max_threads();
#endif
  return f;
}

const kernel_row* kernel_of(const facts& f, qgemm_isa isa) {
  for (const kernel_row& k : f.kernels)
    if (k.isa == isa) return &k;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

std::string human_size(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " MiB", bytes >> 20);
  else if (bytes >= 1024 && bytes % 1024 == 0)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " KiB", bytes >> 10);
  else
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", bytes);
  return buf;
}

void print_text(const facts& f) {
  std::printf("qgemm %s (%s, %s)\n", QGEMM_VERSION_STRING, f.arch.c_str(), f.compiler.c_str());
  std::printf("CPU: %s\n\n", f.cpu_model.c_str());

  std::printf("CPU features            CPU  usable (CPU and OS)\n");
  for (const feature& x : f.features)
    std::printf("  %-20s  %-3s  %s\n", x.name, x.reported ? "yes" : "no", x.usable ? "yes" : "no");
  if (f.has_xcr0) {
    std::printf("OS-saved register state: XCR0 = 0x%" PRIx64 " (", f.xcr0);
    for (size_t i = 0; i < sizeof kXcr0Bits / sizeof kXcr0Bits[0]; ++i)
      std::printf("%s%s %s", i ? ", " : "", kXcr0Bits[i].name,
                  (f.xcr0 >> kXcr0Bits[i].bit) & 1 ? "yes" : "no");
    std::printf(")\n");
    std::printf("  AVX state %s, AVX-512 state %s\n",
                (f.xcr0 & 0x6) == 0x6 ? "enabled" : "NOT enabled",
                (f.xcr0 & 0xE6) == 0xE6 ? "enabled" : "NOT enabled");
  }
  if (f.has_hwcap)
    std::printf("OS: AT_HWCAP = 0x%lx, AT_HWCAP2 = 0x%lx (Linux sets only what it supports)\n",
                f.hwcap, f.hwcap2);

  std::printf("\nSelected (QGEMM_ISA %s%s%s, best level here: %s)\n",
              f.isa_env ? "= \"" : "unset", f.isa_env ? f.isa_env : "", f.isa_env ? "\"" : "",
              qgemm_isa_name(f.best));
  const kernel_row* s = f.selected_ok ? kernel_of(f, f.selected) : nullptr;
  if (s == nullptr) {
    std::printf("  none: %s\n", f.selected_ok ? "no kernel" : f.selected_error.c_str());
  } else {
    const qgemm_kernel_info& k = s->info;
    std::printf("  GEMM  %s  (level %s; tile MR x NR x KR = %d x %d x %d; MC/NC/KC = %" PRId64
                "/%" PRId64 "/%" PRId64 ")\n",
                k.name, qgemm_isa_name(s->isa), k.mr, k.nr, k.kr, k.mc, k.nc, k.kc);
    if (s->gemv_max_m > 0)
      std::printf("  GEMV  %s small-M path for M <= %" PRId64
                  " (packed B read once, first byte to last)\n",
                  k.name, s->gemv_max_m);
    else
      std::printf("  GEMV  %s blocked tiles (this kernel has no small-M path)\n", k.name);
  }

  std::printf("\nKernels built into this library\n");
  std::printf("  %-11s %-30s %3s %3s %3s %5s %5s %6s %6s  %s\n", "level", "kernel", "MR", "NR",
              "KR", "MC", "NC", "KC", "GEMV M", "runs here");
  for (const kernel_row& k : f.kernels) {
    const std::string gemv = k.gemv_max_m > 0 ? "<= " + std::to_string(k.gemv_max_m) : "-";
    std::printf("  %-11s %-30s %3d %3d %3d %5" PRId64 " %5" PRId64 " %6" PRId64 " %6s  %s\n",
                qgemm_isa_name(k.isa), k.info.name, k.info.mr, k.info.nr, k.info.kr, k.info.mc,
                k.info.nc, k.info.kc, gemv.c_str(), k.runs_here ? "yes" : "no");
  }
  std::printf("  not built:");
  for (size_t i = 0; i < f.not_built.size(); ++i)
    std::printf("%s %s", i ? "," : "", qgemm_isa_name(f.not_built[i]));
  std::printf("%s\n", f.not_built.empty() ? " none" : "");

  std::printf("\nCaches of cpu0 (%s)\n", f.cache_source.c_str());
  for (const cache& c : f.caches) {
    std::printf("  L%d %-12s %9s", c.level, c.type.c_str(), human_size(c.size_bytes).c_str());
    if (!c.shared_cpu_list.empty()) std::printf("  shared by CPUs %s", c.shared_cpu_list.c_str());
    std::printf("\n");
  }
  if (f.caches.empty()) std::printf("  unknown\n");

  if (f.openmp)
    std::printf("\nThreads: %d (OpenMP omp_get_max_threads)\n", f.max_threads);
  else
    std::printf("\nThreads: 1 (built without OpenMP)\n");
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

const char* boolean(bool b) { return b ? "true" : "false"; }

std::string kernel_json(const kernel_row& k) {
  std::ostringstream o;
  o << "{\"isa\": " << quote(qgemm_isa_name(k.isa)) << ", \"name\": " << quote(k.info.name)
    << ", \"mr\": " << k.info.mr << ", \"nr\": " << k.info.nr << ", \"kr\": " << k.info.kr
    << ", \"mc\": " << k.info.mc << ", \"nc\": " << k.info.nc << ", \"kc\": " << k.info.kc
    << ", \"gemv_max_m\": " << k.gemv_max_m << ", \"runs_here\": " << boolean(k.runs_here)
    << "}";
  return o.str();
}

void print_json(const facts& f) {
  std::ostringstream o;
  o << "{\n";
  o << "  \"qgemm_version\": " << quote(QGEMM_VERSION_STRING) << ",\n";
  o << "  \"arch\": " << quote(f.arch) << ",\n";
  o << "  \"compiler\": " << quote(f.compiler) << ",\n";
  o << "  \"cpu\": {\n    \"model\": " << quote(f.cpu_model) << ",\n    \"features\": {";
  for (size_t i = 0; i < f.features.size(); ++i)
    o << (i ? "," : "") << "\n      " << quote(f.features[i].name)
      << ": {\"cpu\": " << boolean(f.features[i].reported)
      << ", \"usable\": " << boolean(f.features[i].usable) << "}";
  o << "\n    }\n  },\n";
  o << "  \"os\": {";
  if (f.has_xcr0) {
    char hex[24];
    std::snprintf(hex, sizeof hex, "0x%" PRIx64, f.xcr0);
    o << "\"xcr0\": " << quote(hex) << ", \"xcr0_state\": {";
    for (size_t i = 0; i < sizeof kXcr0Bits / sizeof kXcr0Bits[0]; ++i)
      o << (i ? ", " : "") << quote(kXcr0Bits[i].name) << ": "
        << boolean((f.xcr0 >> kXcr0Bits[i].bit) & 1);
    o << "}, \"avx_state\": " << boolean((f.xcr0 & 0x6) == 0x6)
      << ", \"avx512_state\": " << boolean((f.xcr0 & 0xE6) == 0xE6);
  } else if (f.has_hwcap) {
    char a[24], b[24];
    std::snprintf(a, sizeof a, "0x%lx", f.hwcap);
    std::snprintf(b, sizeof b, "0x%lx", f.hwcap2);
    o << "\"hwcap\": " << quote(a) << ", \"hwcap2\": " << quote(b);
  }
  o << "},\n";
  o << "  \"qgemm_isa_env\": " << (f.isa_env ? quote(f.isa_env) : "null") << ",\n";
  o << "  \"best_isa\": " << quote(qgemm_isa_name(f.best)) << ",\n";
  const kernel_row* s = f.selected_ok ? kernel_of(f, f.selected) : nullptr;
  o << "  \"selected\": {";
  if (s == nullptr) {
    o << "\"isa\": null, \"error\": " << quote(f.selected_error) << ", \"gemm\": null, \"gemv\": null";
  } else {
    o << "\"isa\": " << quote(qgemm_isa_name(s->isa)) << ", \"error\": null,\n    \"gemm\": "
      << kernel_json(*s) << ",\n    \"gemv\": ";
    if (s->gemv_max_m > 0)
      o << "{\"kernel\": " << quote(s->info.name) << ", \"max_m\": " << s->gemv_max_m << "}";
    else
      o << "null";
  }
  o << "},\n";
  o << "  \"kernels\": [";
  for (size_t i = 0; i < f.kernels.size(); ++i)
    o << (i ? "," : "") << "\n    " << kernel_json(f.kernels[i]);
  o << "\n  ],\n  \"not_built\": [";
  for (size_t i = 0; i < f.not_built.size(); ++i)
    o << (i ? ", " : "") << quote(qgemm_isa_name(f.not_built[i]));
  o << "],\n";
  o << "  \"caches\": {\"source\": " << quote(f.cache_source) << ", \"cpu0\": [";
  for (size_t i = 0; i < f.caches.size(); ++i)
    o << (i ? "," : "") << "\n    {\"level\": " << f.caches[i].level
      << ", \"type\": " << quote(f.caches[i].type)
      << ", \"size_bytes\": " << f.caches[i].size_bytes
      << ", \"shared_cpu_list\": " << quote(f.caches[i].shared_cpu_list) << "}";
  o << "\n  ]},\n";
  o << "  \"threads\": {\"openmp\": " << boolean(f.openmp) << ", \"max_threads\": "
    << f.max_threads << "}\n";
  o << "}\n";
  std::fputs(o.str().c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "qgemm-info: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  const facts f = gather();
  if (json)
    print_json(f);
  else
    print_text(f);
  if (!f.selected_ok) {
    std::fprintf(stderr, "qgemm-info: no usable level selected: %s\n", f.selected_error.c_str());
    return 1;
  }
  return std::fflush(stdout) == 0 && !std::ferror(stdout) ? 0 : 1;
}

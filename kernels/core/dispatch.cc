// Dispatch. The selected level is, in order of precedence: the last qgemm_set_isa(); else the
// QGEMM_ISA environment variable, read once on first use; else the best level that is built in
// and that this CPU and OS can run. A QGEMM_ISA that names an unknown or unavailable level does
// not silently fall back: qgemm_gemm and qgemm_pack_b fail with QGEMM_ERROR_UNSUPPORTED_ISA and
// a message that says why, so a benchmark or a test that forces a level never measures another.
#include "core/dispatch.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "core/error.h"

namespace qgemm::detail {

#define QGEMM_KERNEL(level, symbol) extern const gemm_kernel symbol;
#include "kernels.inc"
#undef QGEMM_KERNEL

namespace {

constexpr const char* kIsaNames[QGEMM_ISA_COUNT] = {
    "scalar", "avx2", "avx512bw", "avxvnni", "avx512vnni", "neon", "neondot", "i8mm"};

struct registry {
  const gemm_kernel* by_isa[QGEMM_ISA_COUNT] = {};
  registry() {
#define QGEMM_KERNEL(level, symbol) by_isa[level] = &symbol;
#include "kernels.inc"
#undef QGEMM_KERNEL
  }
};

const registry& the_registry() {
  static const registry r;
  return r;
}

bool cpu_supports(qgemm_isa isa) {
  const qgemm_cpu_features f = qgemm_get_cpu_features();
  switch (isa) {
    case QGEMM_ISA_SCALAR: return true;
    case QGEMM_ISA_AVX2: return f.avx2 && f.fma;
    case QGEMM_ISA_AVX512BW: return f.avx512f && f.avx512bw && f.avx512vl;
    case QGEMM_ISA_AVXVNNI: return f.avx2 && f.fma && f.avx_vnni;
    case QGEMM_ISA_AVX512VNNI: return f.avx512f && f.avx512bw && f.avx512vl && f.avx512_vnni;
    case QGEMM_ISA_NEON: return f.asimd;
    case QGEMM_ISA_NEONDOT: return f.asimd && f.asimddp;
    case QGEMM_ISA_I8MM: return f.asimd && f.asimddp && f.i8mm;
    default: return false;
  }
}

// Selection state: kNone = automatic; otherwise a forced level. An invalid QGEMM_ISA is kept as
// a message, reported by every call until qgemm_set_isa() replaces it.
constexpr int kNone = -1;
std::atomic<int> g_forced{kNone};
std::once_flag g_env_once;
char g_env_error[256] = "";
std::atomic<bool> g_env_bad{false};

void read_environment() {
  const char* value = std::getenv("QGEMM_ISA");
  if (value == nullptr || *value == '\0') return;
  qgemm_isa isa;
  if (qgemm_isa_from_name(value, &isa) != QGEMM_OK) {
    std::string known;
    for (const char* n : kIsaNames) known += std::string(known.empty() ? "" : ", ") + n;
    std::snprintf(g_env_error, sizeof g_env_error,
                  "QGEMM_ISA=\"%.40s\" is not an ISA level (levels: %s)", value, known.c_str());
    g_env_bad = true;
  } else if (!qgemm_isa_available(isa)) {
    std::snprintf(g_env_error, sizeof g_env_error,
                  "QGEMM_ISA=%s: this level is %s (best here: %s)", value,
                  qgemm_isa_built(isa) ? "not supported by this CPU/OS" : "not built into qgemm",
                  kIsaNames[qgemm_best_isa()]);
    g_env_bad = true;
  } else {
    int expected = kNone;
    g_forced.compare_exchange_strong(expected, isa);  // qgemm_set_isa() before first use wins
  }
}

qgemm_status check_isa_value(qgemm_isa isa) {
  if (isa < 0 || isa >= QGEMM_ISA_COUNT)
    return fail(QGEMM_ERROR_UNSUPPORTED_ISA, "isa = %d is not a qgemm_isa value (0..%d)",
                static_cast<int>(isa), QGEMM_ISA_COUNT - 1);
  return QGEMM_OK;
}

}  // namespace

const gemm_kernel* kernel_for_isa(qgemm_isa isa) {
  if (isa < 0 || isa >= QGEMM_ISA_COUNT) return nullptr;
  return the_registry().by_isa[isa];
}

qgemm_status available_kernel(qgemm_isa isa, const gemm_kernel** out) {
  QGEMM_RETURN_IF_ERROR(check_isa_value(isa));
  if (!qgemm_isa_available(isa))
    return fail(QGEMM_ERROR_UNSUPPORTED_ISA, "ISA level %s is %s", qgemm_isa_name(isa),
                qgemm_isa_built(isa) ? "not supported by this CPU/OS" : "not built into qgemm");
  *out = kernel_for_isa(isa);
  return QGEMM_OK;
}

qgemm_status selected_kernel(const gemm_kernel** out) {
  qgemm_isa isa;
  const qgemm_status s = qgemm_selected_isa(&isa);
  if (s != QGEMM_OK) return s;
  *out = kernel_for_isa(isa);
  return QGEMM_OK;
}

}  // namespace qgemm::detail

using namespace qgemm::detail;

extern "C" const char* qgemm_isa_name(qgemm_isa isa) {
  return (isa >= 0 && isa < QGEMM_ISA_COUNT) ? kIsaNames[isa] : "unknown";
}

extern "C" qgemm_status qgemm_isa_from_name(const char* name, qgemm_isa* out) {
  if (name == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "ISA name is NULL");
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `out` is NULL");
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
    if (std::strcmp(name, kIsaNames[i]) == 0) {
      *out = static_cast<qgemm_isa>(i);
      return QGEMM_OK;
    }
  }
  return fail(QGEMM_ERROR_UNSUPPORTED_ISA, "\"%.40s\" is not an ISA level", name);
}

extern "C" int qgemm_isa_built(qgemm_isa isa) { return kernel_for_isa(isa) != nullptr; }

extern "C" int qgemm_isa_available(qgemm_isa isa) {
  return qgemm_isa_built(isa) && cpu_supports(isa);
}

extern "C" qgemm_isa qgemm_best_isa(void) {
  // Levels are numbered lowest first within an architecture; pick the highest available.
  qgemm_isa best = QGEMM_ISA_SCALAR;
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i)
    if (qgemm_isa_available(static_cast<qgemm_isa>(i))) best = static_cast<qgemm_isa>(i);
  return best;
}

extern "C" qgemm_status qgemm_selected_isa(qgemm_isa* out) {
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `out` is NULL");
  std::call_once(g_env_once, read_environment);
  const int forced = g_forced.load();
  if (forced != kNone) {
    *out = static_cast<qgemm_isa>(forced);
    return QGEMM_OK;
  }
  if (g_env_bad) return fail(QGEMM_ERROR_UNSUPPORTED_ISA, "%s", g_env_error);
  *out = qgemm_best_isa();
  return QGEMM_OK;
}

extern "C" qgemm_status qgemm_set_isa(qgemm_isa isa) {
  const gemm_kernel* k = nullptr;
  const qgemm_status s = available_kernel(isa, &k);
  if (s != QGEMM_OK) return s;
  std::call_once(g_env_once, read_environment);
  g_forced = isa;
  return QGEMM_OK;
}

extern "C" const char* qgemm_kernel_name(qgemm_isa isa) {
  const gemm_kernel* k = kernel_for_isa(isa);
  return k ? k->name : nullptr;
}

namespace {

// The kernel built for a level the caller names (a query: it need not run here).
qgemm_status built_kernel(qgemm_isa isa, const gemm_kernel** k) {
  QGEMM_RETURN_IF_ERROR(check_isa_value(isa));
  *k = kernel_for_isa(isa);
  if (*k == nullptr)
    return fail(QGEMM_ERROR_UNSUPPORTED_ISA, "no kernel of ISA level %s is built into qgemm",
                qgemm_isa_name(isa));
  return QGEMM_OK;
}

}  // namespace

qgemm_kernel_info qgemm::detail::kernel_info_of(const gemm_kernel& k) {
  return qgemm_kernel_info{k.name,
                           k.isa,
                           static_cast<int32_t>(k.mr),
                           static_cast<int32_t>(k.nr),
                           static_cast<int32_t>(k.kr),
                           static_cast<int64_t>(k.mc),
                           static_cast<int64_t>(k.nc),
                           static_cast<int64_t>(k.kc)};
}

extern "C" qgemm_status qgemm_get_kernel_info(qgemm_isa isa, qgemm_kernel_info* out) {
  if (out == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `out` is NULL");
  const gemm_kernel* k = nullptr;
  QGEMM_RETURN_IF_ERROR(built_kernel(isa, &k));
  *out = kernel_info_of(*k);
  return QGEMM_OK;
}

extern "C" qgemm_status qgemm_get_gemv_max_m(qgemm_isa isa, int64_t* max_m) {
  if (max_m == nullptr) return fail(QGEMM_ERROR_NULL_POINTER, "output pointer `max_m` is NULL");
  const gemm_kernel* k = nullptr;
  QGEMM_RETURN_IF_ERROR(built_kernel(isa, &k));
  *max_m = k->gemv != nullptr ? static_cast<int64_t>(k->gemv_max_m) : 0;
  return QGEMM_OK;
}

// CPU feature detection. A feature counts only when the CPU has it AND the OS saves its register
// state (XGETBV on x86; the kernel's HWCAP bits already imply that on aarch64): a CPU with
// AVX-512 under an OS that does not enable ZMM state would fault on the first zmm instruction.
#include "qgemm/qgemm.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <cpuid.h>
#define QGEMM_X86 1
#elif defined(__aarch64__)
#include <sys/auxv.h>
#define QGEMM_AARCH64 1
#endif

namespace {

#if defined(QGEMM_X86)
struct cpuid_regs {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

cpuid_regs cpuid(unsigned leaf, unsigned subleaf) {
  cpuid_regs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) r = cpuid_regs{};
  return r;
}

unsigned long long xgetbv0() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));  // baseline: no -mxsave needed
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

bool bit(unsigned value, int n) { return (value >> n) & 1u; }
#endif

qgemm_cpu_features detect() {
  qgemm_cpu_features f{};
#if defined(QGEMM_X86)
  const cpuid_regs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.ecx, 27);
  const unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_avx = osxsave && (xcr0 & 0x6) == 0x6;              // XMM + YMM state
  const bool os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0;          // opmask + ZMM_Hi256 + Hi16
  const unsigned max_leaf = cpuid(0, 0).eax;
  const cpuid_regs l7 = max_leaf >= 7 ? cpuid(7, 0) : cpuid_regs{};
  const cpuid_regs l71 = (max_leaf >= 7 && l7.eax >= 1) ? cpuid(7, 1) : cpuid_regs{};
  const bool avx = os_avx && bit(l1.ecx, 28);
  f.fma = avx && bit(l1.ecx, 12);
  f.avx2 = avx && bit(l7.ebx, 5);
  f.avx512f = os_avx512 && bit(l7.ebx, 16);
  f.avx512bw = f.avx512f && bit(l7.ebx, 30);
  f.avx512vl = f.avx512f && bit(l7.ebx, 31);
  f.avx512_vnni = f.avx512f && bit(l7.ecx, 11);
  f.avx_vnni = avx && bit(l71.eax, 4);
#elif defined(QGEMM_AARCH64)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  f.asimd = (hwcap >> 1) & 1;      // HWCAP_ASIMD
  f.asimddp = (hwcap >> 20) & 1;   // HWCAP_ASIMDDP
  f.i8mm = (hwcap2 >> 13) & 1;     // HWCAP2_I8MM
#endif
  return f;
}

}  // namespace

extern "C" qgemm_cpu_features qgemm_get_cpu_features(void) {
  static const qgemm_cpu_features features = detect();
  return features;
}

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

struct detected {
  qgemm_cpu_features usable{};  // what the CPU has and the OS saves the registers of
  qgemm_cpu_features cpu{};     // what the CPU reports, OS state not checked
  unsigned long long xcr0 = 0;
};

detected detect() {
  detected d;
#if defined(QGEMM_X86)
  const cpuid_regs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.ecx, 27);
  d.xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_avx = osxsave && (d.xcr0 & 0x6) == 0x6;          // XMM + YMM state
  const bool os_avx512 = os_avx && (d.xcr0 & 0xE0) == 0xE0;      // opmask + ZMM_Hi256 + Hi16
  const unsigned max_leaf = cpuid(0, 0).eax;
  const cpuid_regs l7 = max_leaf >= 7 ? cpuid(7, 0) : cpuid_regs{};
  const cpuid_regs l71 = (max_leaf >= 7 && l7.eax >= 1) ? cpuid(7, 1) : cpuid_regs{};
  qgemm_cpu_features& c = d.cpu;
  const bool avx = bit(l1.ecx, 28);
  c.fma = avx && bit(l1.ecx, 12);
  c.avx2 = avx && bit(l7.ebx, 5);
  c.avx512f = bit(l7.ebx, 16);
  c.avx512bw = c.avx512f && bit(l7.ebx, 30);
  c.avx512vl = c.avx512f && bit(l7.ebx, 31);
  c.avx512_vnni = c.avx512f && bit(l7.ecx, 11);
  c.avx_vnni = avx && bit(l71.eax, 4);
  qgemm_cpu_features& f = d.usable;
  f.fma = os_avx && c.fma;
  f.avx2 = os_avx && c.avx2;
  f.avx512f = os_avx512 && c.avx512f;
  f.avx512bw = os_avx512 && c.avx512bw;
  f.avx512vl = os_avx512 && c.avx512vl;
  f.avx512_vnni = os_avx512 && c.avx512_vnni;
  f.avx_vnni = os_avx && c.avx_vnni;
#elif defined(QGEMM_AARCH64)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  d.usable.asimd = (hwcap >> 1) & 1;      // HWCAP_ASIMD
  d.usable.asimddp = (hwcap >> 20) & 1;   // HWCAP_ASIMDDP
  d.usable.i8mm = (hwcap2 >> 13) & 1;     // HWCAP2_I8MM
  d.cpu = d.usable;  // Linux reports only what it supports
#endif
  return d;
}

const detected& detection() {
  static const detected d = detect();
  return d;
}

}  // namespace

extern "C" qgemm_cpu_features qgemm_get_cpu_features(void) { return detection().usable; }

extern "C" qgemm_cpu_features qgemm_get_cpu_features_reported(void) { return detection().cpu; }

extern "C" uint64_t qgemm_get_xcr0(void) { return detection().xcr0; }

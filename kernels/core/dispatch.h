// Which microkernel runs: the registry (kernels.inc) crossed with what the CPU and OS support,
// the QGEMM_ISA environment variable and qgemm_set_isa().
#ifndef QGEMM_KERNELS_CORE_DISPATCH_H
#define QGEMM_KERNELS_CORE_DISPATCH_H

#include "core/kernel.h"

namespace qgemm::detail {

// The kernel of a level, or nullptr if that level is not built into this library.
const gemm_kernel* kernel_for_isa(qgemm_isa isa);

// The public description of a kernel (qgemm_get_kernel_info; the tests describe test-only
// kernels with it too).
qgemm_kernel_info kernel_info_of(const gemm_kernel& k);

// The kernel of the selected level; on failure (a bad QGEMM_ISA) records the error message.
qgemm_status selected_kernel(const gemm_kernel** out);

// The kernel of a level the caller asked for, checked to be built and runnable here.
qgemm_status available_kernel(qgemm_isa isa, const gemm_kernel** out);

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_DISPATCH_H

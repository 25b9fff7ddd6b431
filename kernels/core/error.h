// Per-thread error messages. Every failing entry point goes through fail(), which formats the
// message into a thread-local buffer (no allocation) and returns the status, so a check reads
// `if (bad) return fail(QGEMM_ERROR_..., "what and why", ...);`.
#ifndef QGEMM_KERNELS_CORE_ERROR_H
#define QGEMM_KERNELS_CORE_ERROR_H

#include "qgemm/qgemm.h"

namespace qgemm::detail {

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
qgemm_status fail(qgemm_status status, const char* format, ...);

}  // namespace qgemm::detail

// Returns from the enclosing function with the status of `expr` unless it is QGEMM_OK.
#define QGEMM_RETURN_IF_ERROR(expr)                           \
  do {                                                        \
    const qgemm_status qgemm_status_ = (expr);                \
    if (qgemm_status_ != QGEMM_OK) return qgemm_status_;      \
  } while (0)

#endif  // QGEMM_KERNELS_CORE_ERROR_H

#include "core/error.h"

#include <cstdarg>
#include <cstdio>

namespace qgemm::detail {
namespace {
thread_local char t_message[512] = "";
}

qgemm_status fail(qgemm_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(t_message, sizeof t_message, format, args);
  va_end(args);
  return status;
}

}  // namespace qgemm::detail

extern "C" const char* qgemm_last_error(void) { return qgemm::detail::t_message; }

extern "C" const char* qgemm_status_name(qgemm_status status) {
  switch (status) {
    case QGEMM_OK: return "QGEMM_OK";
    case QGEMM_ERROR_NULL_POINTER: return "QGEMM_ERROR_NULL_POINTER";
    case QGEMM_ERROR_INVALID_SIZE: return "QGEMM_ERROR_INVALID_SIZE";
    case QGEMM_ERROR_INVALID_STRIDE: return "QGEMM_ERROR_INVALID_STRIDE";
    case QGEMM_ERROR_INVALID_TYPE: return "QGEMM_ERROR_INVALID_TYPE";
    case QGEMM_ERROR_ZERO_POINT_RANGE: return "QGEMM_ERROR_ZERO_POINT_RANGE";
    case QGEMM_ERROR_INVALID_SCALE: return "QGEMM_ERROR_INVALID_SCALE";
    case QGEMM_ERROR_INVALID_ARGUMENT: return "QGEMM_ERROR_INVALID_ARGUMENT";
    case QGEMM_ERROR_INVALID_DATA: return "QGEMM_ERROR_INVALID_DATA";
    case QGEMM_ERROR_PACKED_MISMATCH: return "QGEMM_ERROR_PACKED_MISMATCH";
    case QGEMM_ERROR_UNSUPPORTED_ISA: return "QGEMM_ERROR_UNSUPPORTED_ISA";
    case QGEMM_ERROR_OUT_OF_MEMORY: return "QGEMM_ERROR_OUT_OF_MEMORY";
  }
  return "QGEMM_ERROR_UNKNOWN";
}

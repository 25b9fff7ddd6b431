/* A C user of qgemm (tests/consumer): a GEMM large enough to run the selected kernel's tiles and
 * edges, u8 x s8 with zero points on both sides, checked against a plain C loop. Strict C99:
 * the public header must compile as C, and linking must need nothing but what the build system
 * or pkg-config gives. Prints "ok" and the kernel on success; exits 1 on any difference. */
#include <qgemm/qgemm.h>
#include <stdio.h>
#include <stdlib.h>

enum { M = 37, N = 29, K = 70 };

int main(void) {
  static uint8_t a[M * K];
  static int8_t b[K * N];
  static int32_t c[M * N];
  int32_t bias[N];
  qgemm_isa isa;
  int m, n, k, bad = 0;
  unsigned seed = 12345u;
  for (k = 0; k < M * K; ++k) a[k] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 24);
  for (k = 0; k < K * N; ++k) b[k] = (int8_t)(((seed = seed * 1103515245u + 12345u) >> 24) - 128);
  for (n = 0; n < N; ++n) bias[n] = 1000 * n - 7;

  {
    qgemm_operand A = {QGEMM_U8, QGEMM_NO_TRANS, a, K, 131, NULL};
    qgemm_operand B = {QGEMM_S8, QGEMM_NO_TRANS, b, N, -3, NULL};
    qgemm_epilogue out = qgemm_epilogue_s32(bias);
    if (qgemm_gemm(M, N, K, &A, &B, &out, c, N) != QGEMM_OK) {
      fprintf(stderr, "consumer_c: qgemm_gemm failed: %s\n", qgemm_last_error());
      return 1;
    }
  }
  for (m = 0; m < M; ++m) {
    for (n = 0; n < N; ++n) {
      int32_t want = bias[n];
      for (k = 0; k < K; ++k) want += (a[m * K + k] - 131) * (b[k * N + n] + 3);
      if (c[m * N + n] != want && bad++ < 5)
        fprintf(stderr, "consumer_c: C[%d][%d] = %d, want %d\n", m, n, (int)c[m * N + n],
                (int)want);
    }
  }
  if (bad) return 1;
  if (qgemm_selected_isa(&isa) != QGEMM_OK) {
    fprintf(stderr, "consumer_c: %s\n", qgemm_last_error());
    return 1;
  }
  printf("consumer_c: ok (%s)\n", qgemm_kernel_name(isa));
  return 0;
}

/* qgemm from C: C (int32) = (A - 128) * B + bias, A uint8 2x4, B int8 4x3. */
#include <qgemm/qgemm.h>
#include <stdio.h>

int main(void) {
  const uint8_t a[2 * 4] = {130, 126, 128, 138, 128, 128, 129, 127};
  const int8_t b[4 * 3] = {1, -1, 10, 2, 0, -10, 3, 1, 5, 4, 0, 0};
  const int32_t bias[3] = {100, 200, 300};
  int32_t c[2 * 3];
  qgemm_operand A = {QGEMM_U8, QGEMM_NO_TRANS, a, /*ld=*/4, /*zero_point=*/128, NULL};
  qgemm_operand B = {QGEMM_S8, QGEMM_NO_TRANS, b, /*ld=*/3, /*zero_point=*/0, NULL};
  qgemm_epilogue out = qgemm_epilogue_s32(bias);
  if (qgemm_gemm(2, 3, 4, &A, &B, &out, c, /*ldc=*/3) != QGEMM_OK) {
    fprintf(stderr, "qgemm: %s\n", qgemm_last_error());
    return 1;
  }
  for (int m = 0; m < 2; ++m) printf("%d %d %d\n", c[m * 3], c[m * 3 + 1], c[m * 3 + 2]);
  return 0;
}

// qgemm from C++: weights packed once, int8 output requantized with sA * sB / sC.
#include <qgemm/qgemm.hpp>
#include <cstdio>
#include <vector>

int main() {
  const int64_t M = 2, N = 3, K = 4;
  const std::vector<uint8_t> x = {130, 126, 128, 138, 128, 128, 129, 127};  // sA = 0.02, zA = 128
  const std::vector<int8_t> w = {1, 2, 3, 4, -1, 0, 1, 0, 10, -10, 5, 0};  // N x K, sB = 0.01
  const qgemm::packed_b weights(K, N, qgemm::operand(w.data(), K, 0, QGEMM_TRANS));  // once
  const float scale = qgemm::requant_scale(0.02, 0.01, 0.0004);  // sA * sB / sC = 0.5
  const qgemm_epilogue out = qgemm_epilogue_requant_float(QGEMM_S8, &scale, 0, 0, nullptr);
  std::vector<int8_t> y(M * N);
  try {
    qgemm::gemm(M, N, K, qgemm::operand(x.data(), K, 128), weights, out, y.data(), N);
  } catch (const qgemm::error& e) {
    std::fprintf(stderr, "qgemm: %s\n", e.what());
    return 1;
  }
  for (int64_t m = 0; m < M; ++m) std::printf("%d %d %d\n", y[m * N], y[m * N + 1], y[m * N + 2]);
}

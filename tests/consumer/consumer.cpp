// A C++ user of qgemm (tests/consumer): weights packed once through qgemm.hpp, a GEMM with a
// float32 epilogue, checked against a plain loop; then a bad call must throw qgemm::error (the
// exception crosses from the header into the user's code). Exits 1 on any difference.
#include <qgemm/qgemm.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  const int64_t M = 19, N = 41, K = 53;
  std::vector<int8_t> x(M * K), w(N * K);  // w: N x K (QGEMM_TRANS), as PyTorch stores weights
  uint32_t seed = 777;
  auto next = [&seed] { return static_cast<int8_t>((seed = seed * 1664525u + 1013904223u) >> 24); };
  for (auto& v : x) v = next();
  for (auto& v : w) v = next();
  const float sa = 0.5f, sb = 0.25f;  // powers of two: every product below is exact in float

  const qgemm::packed_b weights(K, N, qgemm::operand(w.data(), K, 0, QGEMM_TRANS));
  const qgemm_epilogue out = qgemm_epilogue_f32(&sa, 0, &sb, 0, nullptr);
  std::vector<float> y(M * N);
  qgemm::gemm(M, N, K, qgemm::operand(x.data(), K, 0), weights, out, y.data(), N);
  int bad = 0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += x[m * K + k] * w[n * K + k];
      const float want = std::fma(static_cast<float>(acc), sa * sb, 0.0f);
      if (y[m * N + n] != want && bad++ < 5)
        std::fprintf(stderr, "consumer_cpp: y[%lld][%lld] = %g, want %g\n",
                     static_cast<long long>(m), static_cast<long long>(n), y[m * N + n], want);
    }
  if (bad) return 1;

  try {
    qgemm::gemm(M, N, K, qgemm::operand(x.data(), K - 1, 0), weights, out, y.data(), N);
    std::fprintf(stderr, "consumer_cpp: lda < K was accepted\n");
    return 1;
  } catch (const qgemm::error& e) {
    if (e.status() != QGEMM_ERROR_INVALID_STRIDE) {
      std::fprintf(stderr, "consumer_cpp: wrong status for lda < K: %s\n", e.what());
      return 1;
    }
  }
  std::printf("consumer_cpp: ok (%s)\n", weights.info().kernel);
  return 0;
}

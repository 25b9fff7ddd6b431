// qgemm on the caller's own threads: a pool handed to qgemm through qgemm_context.parallel_for,
// as an inference runtime that owns its threads would (docs/threading.md, section 4). The pool,
// spinning_pool.h, keeps its workers spinning for a while between calls, so that GEMMs that
// follow each other do not wait for a sleeping thread to wake.
#include <qgemm/qgemm.hpp>

#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "spinning_pool.h"

int main() {
  const int64_t M = 512, N = 384, K = 768;
  std::mt19937 rng(7);
  std::vector<uint8_t> x(M * K);
  std::vector<int8_t> w(K * N);
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  for (auto& v : w) v = static_cast<int8_t>(rng());
  const qgemm::packed_b weights(K, N, qgemm::operand(w.data(), N, 0));
  const qgemm_operand a = qgemm::operand(x.data(), K, 128);
  const qgemm_epilogue out = qgemm_epilogue_s32(nullptr);

  const unsigned cores = std::thread::hardware_concurrency();
  spinning_pool pool(cores > 1 ? cores - 1 : 1);
  qgemm_context ctx = qgemm_context_default();
  ctx.num_threads = pool.threads();
  ctx.parallel_for = spinning_pool::parallel_for;
  ctx.pool = &pool;

  std::vector<int32_t> on_pool(M * N), on_one(M * N);
  try {
    for (int layer = 0; layer < 10; ++layer)  // calls back to back, as a network's layers
      qgemm::gemm(ctx, M, N, K, a, weights, out, on_pool.data(), N);
    qgemm::gemm(qgemm::threads(1), M, N, K, a, weights, out, on_one.data(), N);
  } catch (const qgemm::error& e) {
    std::fprintf(stderr, "qgemm: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", on_pool == on_one ? "pool result = one-thread result" : "MISMATCH");
  return on_pool == on_one ? 0 : 1;
}

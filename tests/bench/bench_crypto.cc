// Crypto layer throughput: AEAD seal+open at three packet sizes, X25519 operations per second.
#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/x25519.h"

#include <benchmark/benchmark.h>

using namespace tunnelsim::crypto;

namespace {

void SealOpen(benchmark::State& state, AeadAlgorithm algorithm) {
  if (!AeadAvailable(algorithm)) {
    state.SkipWithError("algorithm not supported on this CPU");
    return;
  }
  const size_t size = size_t(state.range(0));
  DeterministicRandom rng(1);
  AeadKey key;
  rng.Fill(key.data(), key.size());
  Bytes nonce(AeadNonceSize(algorithm));
  Bytes buffer(size + kAeadTagSize);
  rng.Fill(buffer.data(), size);
  for (auto _ : state) {
    AeadSealInto(algorithm, key, nonce, ByteView(buffer.data(), size), {}, buffer.data());
    bool ok = AeadOpenInto(algorithm, key, nonce, buffer, {}, buffer.data());
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(size));
}

void BM_ChaCha20Poly1305_SealOpen(benchmark::State& state) {
  SealOpen(state, AeadAlgorithm::ChaCha20Poly1305);
}
void BM_XChaCha20Poly1305_SealOpen(benchmark::State& state) {
  SealOpen(state, AeadAlgorithm::XChaCha20Poly1305);
}
void BM_Aes256Gcm_SealOpen(benchmark::State& state) { SealOpen(state, AeadAlgorithm::Aes256Gcm); }

void BM_X25519_SharedSecret(benchmark::State& state) {
  DeterministicRandom rng(2);
  auto a = GenerateX25519KeyPair(rng);
  auto b = GenerateX25519KeyPair(rng);
  for (auto _ : state) benchmark::DoNotOptimize(X25519(a.privateKey, b.publicKey));
  state.SetItemsProcessed(int64_t(state.iterations()));
}

} // namespace

BENCHMARK(BM_ChaCha20Poly1305_SealOpen)->Arg(64)->Arg(1420)->Arg(9000);
BENCHMARK(BM_XChaCha20Poly1305_SealOpen)->Arg(64)->Arg(1420)->Arg(9000);
BENCHMARK(BM_Aes256Gcm_SealOpen)->Arg(64)->Arg(1420)->Arg(9000);
BENCHMARK(BM_X25519_SharedSecret);

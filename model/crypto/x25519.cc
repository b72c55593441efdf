#include "x25519.h"
#include "sodium_init.h"

#include <atomic>
#include <sodium.h>

namespace tunnelsim::crypto {

namespace {
std::atomic<uint64_t> g_x25519Operations{0};
} // namespace

void ClampX25519(X25519PrivateKey &key) {
  key.data()[0] &= 248;
  key.data()[31] &= 127;
  key.data()[31] |= 64;
}

X25519PublicKey X25519PublicFromPrivate(const X25519PrivateKey &privateKey) {
  EnsureSodiumInitialised();
  g_x25519Operations.fetch_add(1, std::memory_order_relaxed);
  X25519PublicKey pub{};
  crypto_scalarmult_curve25519_base(pub.data(), privateKey.data());
  return pub;
}

X25519KeyPair X25519KeyPairFromPrivate(const X25519PrivateKey &privateKey) {
  X25519KeyPair pair;
  pair.privateKey = privateKey;
  pair.publicKey = X25519PublicFromPrivate(privateKey);
  return pair;
}

X25519KeyPair GenerateX25519KeyPair(RandomSource &rng) {
  X25519PrivateKey priv;
  rng.Fill(priv.data(), priv.size());
  ClampX25519(priv);
  return X25519KeyPairFromPrivate(priv);
}

std::optional<X25519SharedSecret> X25519(const X25519PrivateKey &privateKey,
                                         const X25519PublicKey &publicKey) {
  EnsureSodiumInitialised();
  g_x25519Operations.fetch_add(1, std::memory_order_relaxed);
  X25519SharedSecret shared;
  // libsodium returns -1 when the result is all zeros (low-order point).
  if (crypto_scalarmult_curve25519(shared.data(), privateKey.data(), publicKey.data()) != 0) {
    return std::nullopt;
  }
  return shared;
}

uint64_t X25519OperationCount() { return g_x25519Operations.load(std::memory_order_relaxed); }

} // namespace tunnelsim::crypto

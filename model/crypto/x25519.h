// X25519 Diffie-Hellman (RFC 7748), used by Noise (WireGuard) and IKEv2 group 31.
#pragma once

#include "bytes.h"
#include "random.h"

#include <array>
#include <optional>

namespace tunnelsim::crypto {

constexpr size_t kX25519KeySize = 32;
using X25519PublicKey = std::array<uint8_t, kX25519KeySize>;
using X25519PrivateKey = Secret<kX25519KeySize>;
using X25519SharedSecret = Secret<kX25519KeySize>;

struct X25519KeyPair {
  X25519PrivateKey privateKey;
  X25519PublicKey publicKey{};
};

// Applies RFC 7748 clamping (clear bits 0-2 and 255, set bit 254) in place.
void ClampX25519(X25519PrivateKey &key);

// Draws 32 random bytes, clamps them and derives the public key.
X25519KeyPair GenerateX25519KeyPair(RandomSource &rng);

X25519PublicKey X25519PublicFromPrivate(const X25519PrivateKey &privateKey);
X25519KeyPair X25519KeyPairFromPrivate(const X25519PrivateKey &privateKey);

// DH(private, public). Empty when the result is all zeros (a low-order public key),
// which callers must treat as a failed handshake.
std::optional<X25519SharedSecret> X25519(const X25519PrivateKey &privateKey,
                                         const X25519PublicKey &publicKey);

// Process-wide count of X25519 operations (scalar multiplications), so tests can show that
// cheap checks run before expensive ones. Relaxed atomic; costs nothing measurable.
uint64_t X25519OperationCount();

} // namespace tunnelsim::crypto

// A generic Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake (Noise revision 34), with the
// prologue and payloads as parameters:
//   <- s
//   ...
//   -> e, es, s, ss        (message A, initiator to responder)
//   <- e, ee, se, psk      (message B, responder to initiator)
// WireGuard (handshake.h) is this pattern with its identifier as prologue, a TAI64N timestamp
// as payload A and an empty payload B; the same code reproduces the cacophony test vector.
#pragma once

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/bytes.h"
#include "crypto/x25519.h"

#include <cstddef>
#include <cstdint>

namespace tunnelsim::wireguard {

using crypto::AeadKey;
using crypto::Blake2sHash;
using crypto::ByteView;
using crypto::X25519KeyPair;
using crypto::X25519PrivateKey;
using crypto::X25519PublicKey;
using PresharedKey = crypto::Secret<32>;

constexpr char kNoiseProtocolName[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";

constexpr size_t NoiseMessageASize(size_t payloadSize) {
  return 32 + (32 + crypto::kAeadTagSize) + payloadSize + crypto::kAeadTagSize;
}
constexpr size_t NoiseMessageBSize(size_t payloadSize) {
  return 32 + payloadSize + crypto::kAeadTagSize;
}

// The two transport cipher keys after Split(), already oriented for the local role.
struct NoiseTransportKeys {
  AeadKey sending;
  AeadKey receiving;
};

// Noise transport encryption: ChaCha20-Poly1305 with the counter as nonce and no associated
// data. `out` holds plaintext.size() + 16 bytes and may alias the plaintext.
void NoiseTransportSeal(const AeadKey &key, uint64_t counter, ByteView plaintext, uint8_t *out);
// `out` holds ciphertext.size() - 16 bytes and may alias the ciphertext.
[[nodiscard]] bool NoiseTransportOpen(const AeadKey &key, uint64_t counter, ByteView ciphertext,
                                      uint8_t *out);

class NoiseIkpsk2 {
public:
  enum class Role { Initiator, Responder };

  NoiseIkpsk2() = default;

  // Initialize(): h = HASH(protocol name) (it is longer than 32 bytes), ck = h,
  // MixHash(prologue), MixHash(responder's static public key).
  void StartInitiator(ByteView prologue, const X25519KeyPair &localStatic,
                      const X25519PublicKey &remoteStatic);
  void StartResponder(ByteView prologue, const X25519KeyPair &localStatic);

  // Message A. `out` holds NoiseMessageASize(payload.size()) bytes. False when a DH result
  // is zero (a low-order key).
  [[nodiscard]] bool WriteMessageA(const X25519KeyPair &ephemeral, ByteView payload, uint8_t *out);
  // `payloadOut` holds message.size() - NoiseMessageASize(0) bytes. On failure the state is
  // unchanged. Afterwards remoteStatic() is the initiator's key.
  [[nodiscard]] bool ReadMessageA(ByteView message, uint8_t *payloadOut);

  // Message B. `out` holds NoiseMessageBSize(payload.size()) bytes.
  [[nodiscard]] bool WriteMessageB(const X25519KeyPair &ephemeral, const PresharedKey &psk,
                                   ByteView payload, uint8_t *out);
  // On failure the state is unchanged, so a later genuine message B can still be read.
  [[nodiscard]] bool ReadMessageB(ByteView message, const PresharedKey &psk, uint8_t *payloadOut);

  // Split(): the initiator sends with the first key, the responder with the second.
  NoiseTransportKeys Split() const;

  Role role() const { return role_; }
  const Blake2sHash &handshakeHash() const { return h_; }
  const X25519PublicKey &remoteStatic() const { return remoteStatic_; }
  const X25519PublicKey &remoteEphemeral() const { return remoteEphemeral_; }
  const X25519KeyPair &localEphemeral() const { return localEphemeral_; }
  // Overwrites every secret (chaining key, hash, ephemeral and static copies).
  void Wipe();

private:
  Role role_ = Role::Initiator;
  crypto::ChainingKey ck_;
  Blake2sHash h_{};
  X25519KeyPair localStatic_;
  X25519KeyPair localEphemeral_;
  X25519PublicKey remoteStatic_{};
  X25519PublicKey remoteEphemeral_{};
};

} // namespace tunnelsim::wireguard

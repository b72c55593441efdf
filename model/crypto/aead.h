// AEAD ciphers: ChaCha20-Poly1305 (RFC 8439), XChaCha20-Poly1305 and AES-256-GCM.
// Seal writes ciphertext || 16-byte tag; Open verifies the tag before writing plaintext.
#pragma once

#include "bytes.h"

#include <array>
#include <optional>

namespace tunnelsim::crypto {

constexpr size_t kAeadKeySize = 32;
constexpr size_t kAeadTagSize = 16;
using AeadKey = Secret<kAeadKeySize>;

enum class AeadAlgorithm { ChaCha20Poly1305, XChaCha20Poly1305, Aes256Gcm };

// Nonce length in bytes: 12, 24 and 12.
size_t AeadNonceSize(AeadAlgorithm algorithm);
const char *AeadName(AeadAlgorithm algorithm);
// AES-256-GCM needs AES-NI and CLMUL in libsodium; the others are always available.
bool AeadAvailable(AeadAlgorithm algorithm);

// Low-level form: `out` must hold plaintext.size() + kAeadTagSize bytes. It may alias the
// plaintext (in-place encryption). Nonce length must be AeadNonceSize(algorithm).
void AeadSealInto(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce, ByteView plaintext,
                  ByteView associatedData, uint8_t *out);
// `out` must hold ciphertext.size() - kAeadTagSize bytes; may alias the ciphertext.
// Returns false (and leaves `out` unspecified) when the ciphertext is shorter than a tag or
// authentication fails.
[[nodiscard]] bool AeadOpenInto(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce,
                                ByteView ciphertext, ByteView associatedData, uint8_t *out);

Bytes AeadSeal(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce, ByteView plaintext,
               ByteView associatedData);
std::optional<Bytes> AeadOpen(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce,
                              ByteView ciphertext, ByteView associatedData);

// Noise/WireGuard nonce for ChaCha20-Poly1305: 4 zero bytes then the 64-bit counter,
// little-endian.
std::array<uint8_t, 12> CounterNonce(uint64_t counter);

} // namespace tunnelsim::crypto

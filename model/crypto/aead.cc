#include "aead.h"
#include "sodium_init.h"

#include <sodium.h>
#include <stdexcept>

namespace tunnelsim::crypto {

size_t AeadNonceSize(AeadAlgorithm algorithm) {
  switch (algorithm) {
  case AeadAlgorithm::ChaCha20Poly1305:
    return crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
  case AeadAlgorithm::XChaCha20Poly1305:
    return crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  case AeadAlgorithm::Aes256Gcm:
    return crypto_aead_aes256gcm_NPUBBYTES;
  }
  return 0;
}

const char *AeadName(AeadAlgorithm algorithm) {
  switch (algorithm) {
  case AeadAlgorithm::ChaCha20Poly1305:
    return "chacha20-poly1305";
  case AeadAlgorithm::XChaCha20Poly1305:
    return "xchacha20-poly1305";
  case AeadAlgorithm::Aes256Gcm:
    return "aes256-gcm";
  }
  return "?";
}

bool AeadAvailable(AeadAlgorithm algorithm) {
  EnsureSodiumInitialised();
  return algorithm != AeadAlgorithm::Aes256Gcm || crypto_aead_aes256gcm_is_available() == 1;
}

static void CheckNonce(AeadAlgorithm algorithm, ByteView nonce) {
  if (nonce.size() != AeadNonceSize(algorithm)) {
    throw std::invalid_argument(std::string("wrong nonce length for ") + AeadName(algorithm));
  }
  if (!AeadAvailable(algorithm)) {
    throw std::runtime_error(std::string(AeadName(algorithm)) + " is not supported on this CPU");
  }
}

void AeadSealInto(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce, ByteView plaintext,
                  ByteView associatedData, uint8_t *out) {
  CheckNonce(algorithm, nonce);
  unsigned long long outLength = 0;
  const auto *ad = associatedData.empty() ? nullptr : associatedData.data();
  switch (algorithm) {
  case AeadAlgorithm::ChaCha20Poly1305:
    crypto_aead_chacha20poly1305_ietf_encrypt(out, &outLength, plaintext.data(), plaintext.size(),
                                              ad, associatedData.size(), nullptr, nonce.data(),
                                              key.data());
    break;
  case AeadAlgorithm::XChaCha20Poly1305:
    crypto_aead_xchacha20poly1305_ietf_encrypt(out, &outLength, plaintext.data(), plaintext.size(),
                                               ad, associatedData.size(), nullptr, nonce.data(),
                                               key.data());
    break;
  case AeadAlgorithm::Aes256Gcm:
    crypto_aead_aes256gcm_encrypt(out, &outLength, plaintext.data(), plaintext.size(), ad,
                                  associatedData.size(), nullptr, nonce.data(), key.data());
    break;
  }
}

bool AeadOpenInto(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce, ByteView ciphertext,
                  ByteView associatedData, uint8_t *out) {
  CheckNonce(algorithm, nonce);
  if (ciphertext.size() < kAeadTagSize) return false;
  unsigned long long outLength = 0;
  const auto *ad = associatedData.empty() ? nullptr : associatedData.data();
  int rc = -1;
  switch (algorithm) {
  case AeadAlgorithm::ChaCha20Poly1305:
    rc = crypto_aead_chacha20poly1305_ietf_decrypt(out, &outLength, nullptr, ciphertext.data(),
                                                   ciphertext.size(), ad, associatedData.size(),
                                                   nonce.data(), key.data());
    break;
  case AeadAlgorithm::XChaCha20Poly1305:
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, &outLength, nullptr, ciphertext.data(),
                                                    ciphertext.size(), ad, associatedData.size(),
                                                    nonce.data(), key.data());
    break;
  case AeadAlgorithm::Aes256Gcm:
    rc = crypto_aead_aes256gcm_decrypt(out, &outLength, nullptr, ciphertext.data(),
                                       ciphertext.size(), ad, associatedData.size(), nonce.data(),
                                       key.data());
    break;
  }
  return rc == 0;
}

Bytes AeadSeal(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce, ByteView plaintext,
               ByteView associatedData) {
  Bytes out(plaintext.size() + kAeadTagSize);
  AeadSealInto(algorithm, key, nonce, plaintext, associatedData, out.data());
  return out;
}

std::optional<Bytes> AeadOpen(AeadAlgorithm algorithm, const AeadKey &key, ByteView nonce,
                              ByteView ciphertext, ByteView associatedData) {
  if (ciphertext.size() < kAeadTagSize) return std::nullopt;
  Bytes out(ciphertext.size() - kAeadTagSize);
  if (!AeadOpenInto(algorithm, key, nonce, ciphertext, associatedData, out.data())) {
    SecureWipe(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

std::array<uint8_t, 12> CounterNonce(uint64_t counter) {
  std::array<uint8_t, 12> nonce{};
  for (int i = 0; i < 8; ++i)
    nonce[4 + i] = uint8_t(counter >> (8 * i));
  return nonce;
}

} // namespace tunnelsim::crypto

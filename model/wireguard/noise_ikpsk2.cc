#include "noise_ikpsk2.h"

#include <cstring>

namespace tunnelsim::wireguard {

using crypto::AeadAlgorithm;
using crypto::kAeadTagSize;

namespace {

// The symmetric state of one in-flight message: a copy of ck and h plus the current cipher
// key. Every MixKey in IKpsk2 is followed by at most one encryption, so the nonce is always 0.
struct SymmetricState {
  crypto::ChainingKey ck;
  Blake2sHash h{};
  AeadKey k;

  void MixHash(ByteView data) { h = crypto::Blake2s256({ByteView(h), data}); }
  void MixKey(ByteView input) { crypto::Kdf2(ck, input, ck, k); }
  // MixKeyAndHash(psk): ck, temp_h, temp_k = HKDF(ck, psk, 3).
  void MixKeyAndHash(ByteView input) {
    crypto::Secret<32> tempHash;
    crypto::Kdf3(ck, input, ck, tempHash, k);
    MixHash(tempHash);
  }
  void EncryptAndHash(ByteView plaintext, uint8_t *out) {
    auto nonce = crypto::CounterNonce(0);
    crypto::AeadSealInto(AeadAlgorithm::ChaCha20Poly1305, k, nonce, plaintext, h, out);
    MixHash(ByteView(out, plaintext.size() + kAeadTagSize));
  }
  bool DecryptAndHash(ByteView ciphertext, uint8_t *out) {
    auto nonce = crypto::CounterNonce(0);
    if (!crypto::AeadOpenInto(AeadAlgorithm::ChaCha20Poly1305, k, nonce, ciphertext, h, out))
      return false;
    MixHash(ciphertext);
    return true;
  }
  // MixKey(DH(private, public)); false when the DH output is all zeros.
  bool MixDh(const X25519PrivateKey &priv, const X25519PublicKey &pub) {
    auto shared = crypto::X25519(priv, pub);
    if (!shared) return false;
    MixKey(*shared);
    return true;
  }
};

void InitializeSymmetric(crypto::ChainingKey &ck, Blake2sHash &h, ByteView prologue,
                         const X25519PublicKey &responderStatic) {
  const ByteView name(reinterpret_cast<const uint8_t *>(kNoiseProtocolName),
                      sizeof(kNoiseProtocolName) - 1);
  h = crypto::Blake2s256({name});
  std::memcpy(ck.data(), h.data(), h.size());
  h = crypto::Blake2s256({ByteView(h), prologue});
  h = crypto::Blake2s256({ByteView(h), ByteView(responderStatic)});
}

} // namespace

void NoiseTransportSeal(const AeadKey &key, uint64_t counter, ByteView plaintext, uint8_t *out) {
  auto nonce = crypto::CounterNonce(counter);
  crypto::AeadSealInto(AeadAlgorithm::ChaCha20Poly1305, key, nonce, plaintext, ByteView(), out);
}

bool NoiseTransportOpen(const AeadKey &key, uint64_t counter, ByteView ciphertext, uint8_t *out) {
  auto nonce = crypto::CounterNonce(counter);
  return crypto::AeadOpenInto(AeadAlgorithm::ChaCha20Poly1305, key, nonce, ciphertext, ByteView(),
                              out);
}

void NoiseIkpsk2::StartInitiator(ByteView prologue, const X25519KeyPair &localStatic,
                                 const X25519PublicKey &remoteStatic) {
  role_ = Role::Initiator;
  localStatic_ = localStatic;
  remoteStatic_ = remoteStatic;
  remoteEphemeral_.fill(0);
  InitializeSymmetric(ck_, h_, prologue, remoteStatic);
}

void NoiseIkpsk2::StartResponder(ByteView prologue, const X25519KeyPair &localStatic) {
  role_ = Role::Responder;
  localStatic_ = localStatic;
  remoteStatic_.fill(0);
  remoteEphemeral_.fill(0);
  InitializeSymmetric(ck_, h_, prologue, localStatic.publicKey);
}

bool NoiseIkpsk2::WriteMessageA(const X25519KeyPair &ephemeral, ByteView payload, uint8_t *out) {
  SymmetricState st{ck_, h_, {}};
  // e (in a PSK handshake the ephemeral key is also mixed into the chaining key)
  std::memcpy(out, ephemeral.publicKey.data(), 32);
  st.MixHash(ephemeral.publicKey);
  st.MixKey(ephemeral.publicKey);
  // es
  if (!st.MixDh(ephemeral.privateKey, remoteStatic_)) return false;
  // s
  st.EncryptAndHash(localStatic_.publicKey, out + 32);
  // ss
  if (!st.MixDh(localStatic_.privateKey, remoteStatic_)) return false;
  st.EncryptAndHash(payload, out + 32 + 32 + kAeadTagSize);
  ck_ = st.ck;
  h_ = st.h;
  localEphemeral_ = ephemeral;
  return true;
}

bool NoiseIkpsk2::ReadMessageA(ByteView message, uint8_t *payloadOut) {
  if (message.size() < NoiseMessageASize(0)) return false;
  SymmetricState st{ck_, h_, {}};
  X25519PublicKey remoteEphemeral;
  std::memcpy(remoteEphemeral.data(), message.data(), 32);
  st.MixHash(remoteEphemeral);
  st.MixKey(remoteEphemeral);
  if (!st.MixDh(localStatic_.privateKey, remoteEphemeral)) return false;
  X25519PublicKey remoteStatic;
  if (!st.DecryptAndHash(message.subview(32, 32 + kAeadTagSize), remoteStatic.data())) return false;
  if (!st.MixDh(localStatic_.privateKey, remoteStatic)) return false;
  if (!st.DecryptAndHash(message.subview(32 + 32 + kAeadTagSize), payloadOut)) return false;
  ck_ = st.ck;
  h_ = st.h;
  remoteEphemeral_ = remoteEphemeral;
  remoteStatic_ = remoteStatic;
  return true;
}

bool NoiseIkpsk2::WriteMessageB(const X25519KeyPair &ephemeral, const PresharedKey &psk,
                                ByteView payload, uint8_t *out) {
  SymmetricState st{ck_, h_, {}};
  std::memcpy(out, ephemeral.publicKey.data(), 32);
  st.MixHash(ephemeral.publicKey);
  st.MixKey(ephemeral.publicKey);
  // ee, se
  if (!st.MixDh(ephemeral.privateKey, remoteEphemeral_)) return false;
  if (!st.MixDh(ephemeral.privateKey, remoteStatic_)) return false;
  st.MixKeyAndHash(psk);
  st.EncryptAndHash(payload, out + 32);
  ck_ = st.ck;
  h_ = st.h;
  localEphemeral_ = ephemeral;
  return true;
}

bool NoiseIkpsk2::ReadMessageB(ByteView message, const PresharedKey &psk, uint8_t *payloadOut) {
  if (message.size() < NoiseMessageBSize(0)) return false;
  SymmetricState st{ck_, h_, {}};
  X25519PublicKey remoteEphemeral;
  std::memcpy(remoteEphemeral.data(), message.data(), 32);
  st.MixHash(remoteEphemeral);
  st.MixKey(remoteEphemeral);
  if (!st.MixDh(localEphemeral_.privateKey, remoteEphemeral)) return false;
  if (!st.MixDh(localStatic_.privateKey, remoteEphemeral)) return false;
  st.MixKeyAndHash(psk);
  if (!st.DecryptAndHash(message.subview(32), payloadOut)) return false;
  ck_ = st.ck;
  h_ = st.h;
  remoteEphemeral_ = remoteEphemeral;
  return true;
}

NoiseTransportKeys NoiseIkpsk2::Split() const {
  NoiseTransportKeys keys;
  if (role_ == Role::Initiator)
    crypto::Kdf2(ck_, ByteView(), keys.sending, keys.receiving);
  else
    crypto::Kdf2(ck_, ByteView(), keys.receiving, keys.sending);
  return keys;
}

void NoiseIkpsk2::Wipe() {
  ck_.Wipe();
  crypto::SecureWipe(h_.data(), h_.size());
  localEphemeral_.privateKey.Wipe();
  localStatic_.privateKey.Wipe();
  remoteEphemeral_.fill(0);
}

} // namespace tunnelsim::wireguard

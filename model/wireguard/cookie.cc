#include "cookie.h"

#include "crypto/aead.h"
#include "messages.h"

#include <cstring>

namespace tunnelsim::wireguard {

using crypto::ByteView;

namespace {
crypto::Secret<32> LabelledHash(const char *label, const crypto::X25519PublicKey &publicKey) {
  auto h = crypto::Blake2s256(
      {ByteView(reinterpret_cast<const uint8_t *>(label), 8), ByteView(publicKey)});
  return crypto::Secret<32>(h);
}
} // namespace

crypto::Secret<32> DeriveMac1Key(const crypto::X25519PublicKey &publicKey) {
  return LabelledHash(kLabelMac1, publicKey);
}

crypto::Secret<32> DeriveCookieKey(const crypto::X25519PublicKey &publicKey) {
  return LabelledHash(kLabelCookie, publicKey);
}

crypto::Bytes CookieSourceBytes(const Endpoint &source) {
  crypto::Bytes bytes(source.address.data(), source.address.data() + source.address.size());
  bytes.push_back(static_cast<uint8_t>(source.port >> 8));
  bytes.push_back(static_cast<uint8_t>(source.port & 0xff));
  return bytes;
}

CookieChecker::CookieChecker(const crypto::X25519PublicKey &localPublic, Duration secretMaxAge)
    : mac1Key_(DeriveMac1Key(localPublic)), cookieKey_(DeriveCookieKey(localPublic)),
      secretMaxAge_(secretMaxAge) {}

bool CookieChecker::CheckMac1(ByteView message, size_t mac1Offset) const {
  if (message.size() < mac1Offset + 2 * kMacSize) return false;
  auto mac = crypto::Blake2sMac128(mac1Key_, message.subview(0, mac1Offset));
  return crypto::ConstantTimeEqual(mac, message.subview(mac1Offset, kMacSize));
}

crypto::Mac16 CookieChecker::MakeCookie(const Endpoint &source, Time now,
                                        crypto::RandomSource &rng) {
  if (!secretBirth_ || now - *secretBirth_ >= secretMaxAge_) {
    rng.Fill(secret_.data(), secret_.size());
    secretBirth_ = now;
  }
  return crypto::Blake2sMac128(secret_, CookieSourceBytes(source));
}

bool CookieChecker::CheckMac2(ByteView message, size_t mac1Offset, const Endpoint &source, Time now,
                              crypto::RandomSource &rng) {
  if (message.size() < mac1Offset + 2 * kMacSize) return false;
  auto cookie = MakeCookie(source, now, rng);
  auto mac = crypto::Blake2sMac128(cookie, message.subview(0, mac1Offset + kMacSize));
  return crypto::ConstantTimeEqual(mac, message.subview(mac1Offset + kMacSize, kMacSize));
}

void CookieChecker::CreateReply(ByteView message, size_t mac1Offset, uint32_t receiverIndex,
                                const Endpoint &source, Time now, crypto::RandomSource &rng,
                                uint8_t *out) {
  WriteMessageType(out, MessageType::CookieReply);
  StoreLe32(out + cookie_reply::kReceiver, receiverIndex);
  rng.Fill(out + cookie_reply::kNonce, cookie_reply::kNonceSize);
  auto cookie = MakeCookie(source, now, rng);
  crypto::AeadSealInto(crypto::AeadAlgorithm::XChaCha20Poly1305, cookieKey_,
                       ByteView(out + cookie_reply::kNonce, cookie_reply::kNonceSize), cookie,
                       message.subview(mac1Offset, kMacSize), out + cookie_reply::kEncryptedCookie);
}

CookieGenerator::CookieGenerator(const crypto::X25519PublicKey &remotePublic,
                                 Duration cookieLifetime)
    : mac1Key_(DeriveMac1Key(remotePublic)), cookieKey_(DeriveCookieKey(remotePublic)),
      cookieLifetime_(cookieLifetime) {}

bool CookieGenerator::HasFreshCookie(Time now) const {
  return cookieBirth_ && now - *cookieBirth_ < cookieLifetime_;
}

void CookieGenerator::AddMacs(uint8_t *message, size_t mac1Offset, Time now) {
  lastMac1_ = crypto::Blake2sMac128(mac1Key_, ByteView(message, mac1Offset));
  std::memcpy(message + mac1Offset, lastMac1_.data(), kMacSize);
  haveSentMac1_ = true;
  if (HasFreshCookie(now)) {
    auto mac2 = crypto::Blake2sMac128(cookie_, ByteView(message, mac1Offset + kMacSize));
    std::memcpy(message + mac1Offset + kMacSize, mac2.data(), kMacSize);
  } else {
    std::memset(message + mac1Offset + kMacSize, 0, kMacSize);
  }
}

bool CookieGenerator::ConsumeReply(ByteView reply, Time now) {
  if (!haveSentMac1_ || reply.size() != cookie_reply::kSize) return false;
  crypto::Mac16 cookie;
  if (!crypto::AeadOpenInto(
          crypto::AeadAlgorithm::XChaCha20Poly1305, cookieKey_,
          reply.subview(cookie_reply::kNonce, cookie_reply::kNonceSize),
          reply.subview(cookie_reply::kEncryptedCookie, cookie_reply::kEncryptedCookieSize),
          lastMac1_, cookie.data()))
    return false;
  cookie_ = cookie;
  cookieBirth_ = now;
  haveSentMac1_ = false;
  return true;
}

void CookieGenerator::Clear() {
  crypto::SecureWipe(cookie_.data(), cookie_.size());
  cookieBirth_.reset();
  haveSentMac1_ = false;
}

} // namespace tunnelsim::wireguard

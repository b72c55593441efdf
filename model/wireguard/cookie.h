// MAC1, MAC2 and cookie replies (whitepaper 5.4.4 and 5.4.7): the responder side checks
// MACs and issues cookies (CookieChecker, one per device), the initiator side adds MACs and
// remembers the cookie it was given (CookieGenerator, one per peer).
#pragma once

#include "common/time.h"
#include "crypto/blake2s.h"
#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "endpoint.h"

#include <cstdint>
#include <optional>

namespace tunnelsim::wireguard {

constexpr char kLabelMac1[] = "mac1----";
constexpr char kLabelCookie[] = "cookie--";

// HASH(label || public key): the MAC1 key and the cookie encryption key for a public key.
crypto::Secret<32> DeriveMac1Key(const crypto::X25519PublicKey &publicKey);
crypto::Secret<32> DeriveCookieKey(const crypto::X25519PublicKey &publicKey);
// The bytes a cookie is bound to: the address (4 or 16 bytes) then the port, big-endian.
crypto::Bytes CookieSourceBytes(const Endpoint &source);

class CookieChecker {
public:
  CookieChecker(const crypto::X25519PublicKey &localPublic, Duration secretMaxAge);

  // MAC1 over bytes [0, mac1Offset): keyed BLAKE2s only, no DH. Checked first.
  bool CheckMac1(crypto::ByteView message, size_t mac1Offset) const;
  // MAC2 over bytes [0, mac1Offset + 16) with the cookie for `source`.
  bool CheckMac2(crypto::ByteView message, size_t mac1Offset, const Endpoint &source, Time now,
                 crypto::RandomSource &rng);
  // A 64-byte cookie reply to `message` (whose MAC1 is the associated data).
  void CreateReply(crypto::ByteView message, size_t mac1Offset, uint32_t receiverIndex,
                   const Endpoint &source, Time now, crypto::RandomSource &rng, uint8_t *out);

  // For tests: when the current secret was drawn.
  std::optional<Time> secretBirth() const { return secretBirth_; }

private:
  crypto::Mac16 MakeCookie(const Endpoint &source, Time now, crypto::RandomSource &rng);

  crypto::Secret<32> mac1Key_;
  crypto::Secret<32> cookieKey_;
  crypto::Secret<32> secret_;
  std::optional<Time> secretBirth_;
  Duration secretMaxAge_;
};

class CookieGenerator {
public:
  CookieGenerator(const crypto::X25519PublicKey &remotePublic, Duration cookieLifetime);

  // Writes MAC1 at mac1Offset and MAC2 after it (zeros when no fresh cookie is held).
  void AddMacs(uint8_t *message, size_t mac1Offset, Time now);
  // Accepts a cookie reply to the last message we MACed. False when it does not decrypt.
  bool ConsumeReply(crypto::ByteView reply, Time now);
  bool HasFreshCookie(Time now) const;
  void Clear();

private:
  crypto::Secret<32> mac1Key_;
  crypto::Secret<32> cookieKey_;
  crypto::Mac16 cookie_{};
  std::optional<Time> cookieBirth_;
  crypto::Mac16 lastMac1_{};
  bool haveSentMac1_ = false;
  Duration cookieLifetime_;
};

} // namespace tunnelsim::wireguard

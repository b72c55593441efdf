// Small helpers shared by the files of IkeSa (ike_sa*.cc); not part of the core's interface.
#pragma once

#include "crypto/random.h"
#include "crypto/x25519.h"
#include "ipsec/esp_sa.h"
#include "ipsec/ike_keys.h"
#include "ipsec/ike_message.h"
#include "ipsec/wire.h"

#include <algorithm>
#include <vector>

namespace tunnelsim::ipsec::ike_internal {

inline constexpr size_t kNonceSize = 32;

inline crypto::Bytes RandomBytes(crypto::RandomSource &rng, size_t n) {
  crypto::Bytes b(n);
  rng.Fill(b.data(), n);
  return b;
}

inline crypto::Bytes SpiBytes(uint32_t spi) {
  crypto::Bytes b(4);
  PutU32(b.data(), spi);
  return b;
}

inline crypto::Bytes IkeSpiBytes(uint64_t spi) {
  crypto::Bytes b(8);
  PutU64(b.data(), spi);
  return b;
}

inline uint64_t NewIkeSpi(crypto::RandomSource &rng) {
  uint64_t spi = 0;
  while (spi == 0)
    spi = rng.NextU64();
  return spi;
}

inline crypto::Bytes PublicKeyBytes(const crypto::X25519KeyPair &dh) {
  return crypto::Bytes(dh.publicKey.begin(), dh.publicKey.end());
}

inline IkeNotifyPayload Notify(uint16_t type, crypto::Bytes data = {}) {
  IkeNotifyPayload n;
  n.type = type;
  n.data = std::move(data);
  return n;
}

// The peer's PSK AUTH payload (RFC 7296 2.15): the identity it claims is the one expected, and
// its MAC over its IKE_SA_INIT message, our nonce and prf(SK_p, ID) is right. Both roles check
// it, each with the other side's message and SK_p.
inline bool PeerPskAuthVerifies(crypto::ByteView psk, const IkeIdPayload &expectedId,
                                const IkeIdPayload &id, const IkeAuthPayload &auth,
                                crypto::ByteView peerInitMessage, crypto::ByteView ourNonce,
                                crypto::ByteView peerSkP) {
  if (!(id == expectedId) || auth.method != kAuthSharedKeyMic) return false;
  const crypto::Bytes expected = ComputePskAuth(psk, peerInitMessage, ourNonce, peerSkP, id.Body());
  return crypto::ConstantTimeEqual(expected, auth.data);
}

// INVALID_KE_PAYLOAD names the one group we accept, X25519 (RFC 7296 1.2, 3.10.1).
inline IkeNotifyPayload InvalidKeNotify() {
  crypto::Bytes group(2);
  PutU16(group.data(), transform::kDhCurve25519);
  return Notify(notify::kInvalidKePayload, group);
}

// RFC 7296 2.8.1 and 2.8.2: when both ends rekeyed the same SA at once, the exchange that
// carried the lowest of the four nonces created the redundant SA. Nonces compare octet by octet
// (a nonce that is a prefix of the other is the lower one), not as numbers of equal length.
inline bool OurExchangeHasLowestNonce(const crypto::Bytes &ourNi, const crypto::Bytes &ourNr,
                                      const crypto::Bytes &peerNi, const crypto::Bytes &peerNr) {
  auto lower = [](const crypto::Bytes &x, const crypto::Bytes &y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  };
  const crypto::Bytes &ours = lower(ourNi, ourNr) ? ourNi : ourNr;
  const crypto::Bytes &peers = lower(peerNi, peerNr) ? peerNi : peerNr;
  return lower(ours, peers);
}

inline IkeTransform EncrTransform(EspCipher cipher) {
  if (cipher == EspCipher::Aes256Gcm16) {
    return IkeTransform{transform::kEncr, transform::kEncrAesGcm16, uint16_t(256)};
  }
  return IkeTransform{transform::kEncr, transform::kEncrChaCha20Poly1305, std::nullopt};
}

inline bool Contains(const std::vector<IkeTransform> &transforms, const IkeTransform &wanted) {
  return std::find(transforms.begin(), transforms.end(), wanted) != transforms.end();
}

} // namespace tunnelsim::ipsec::ike_internal

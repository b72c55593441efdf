// IKEv2 key derivation with PRF_HMAC_SHA2_256 (RFC 7296 sections 2.13-2.15 and 2.17):
// SKEYSEED, the IKE SA keys, Child SA KEYMAT and the pre-shared-key AUTH value.
#pragma once

#include "crypto/bytes.h"

#include <cstdint>

namespace tunnelsim::ipsec {

// The seven IKE SA secrets. With an AEAD the integrity keys SK_ai/SK_ar are empty
// (RFC 5282 section 7.1) and SK_ei/SK_er are key || 4-byte salt.
struct IkeSaKeys {
  crypto::Bytes skD, skAi, skAr, skEi, skEr, skPi, skPr;
  ~IkeSaKeys();
};

// SKEYSEED = prf(Ni | Nr, g^ir); {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). `encryptionKeySize` counts the salt.
IkeSaKeys DeriveIkeSaKeys(crypto::ByteView nonceI, crypto::ByteView nonceR,
                          crypto::ByteView sharedSecret, uint64_t spiI, uint64_t spiR,
                          size_t encryptionKeySize);

// IKE SA rekey (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then the same
// prf+ as above with the new SPIs and nonces.
IkeSaKeys DeriveRekeyedIkeSaKeys(crypto::ByteView oldSkD, crypto::ByteView nonceI,
                                 crypto::ByteView nonceR, crypto::ByteView sharedSecret,
                                 uint64_t spiI, uint64_t spiR, size_t encryptionKeySize);

// Child SA keys: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), the first `keySize` bytes for
// the direction initiator -> responder of the exchange that created it, the next for the other.
struct ChildSaKeys {
  crypto::Bytes initiatorToResponder, responderToInitiator;
  ~ChildSaKeys();
};
ChildSaKeys DeriveChildSaKeys(crypto::ByteView skD, crypto::ByteView newSharedSecret,
                              crypto::ByteView nonceI, crypto::ByteView nonceR, size_t keySize);

// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) with
// SignedOctets = RealMessage | NonceOfPeer | prf(SK_p, IDBody)  (RFC 7296 2.15).
crypto::Bytes ComputePskAuth(crypto::ByteView psk, crypto::ByteView realMessage,
                             crypto::ByteView peerNonce, crypto::ByteView skP,
                             crypto::ByteView idBody);

} // namespace tunnelsim::ipsec

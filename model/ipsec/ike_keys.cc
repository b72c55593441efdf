#include "ipsec/ike_keys.h"

#include "crypto/hmac_sha256.h"
#include "ipsec/wire.h"

#include <cstring>

namespace tunnelsim::ipsec {

namespace {
void Wipe(crypto::Bytes &b) { crypto::SecureWipe(b.data(), b.size()); }
crypto::Bytes Take(const crypto::Bytes &stream, size_t &offset, size_t n) {
  crypto::Bytes out(stream.begin() + offset, stream.begin() + offset + n);
  offset += n;
  return out;
}
} // namespace

IkeSaKeys::~IkeSaKeys() {
  for (crypto::Bytes *b : {&skD, &skAi, &skAr, &skEi, &skEr, &skPi, &skPr})
    Wipe(*b);
}

ChildSaKeys::~ChildSaKeys() {
  Wipe(initiatorToResponder);
  Wipe(responderToInitiator);
}

namespace {
// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr);
// wipes `skeyseed`.
IkeSaKeys ExpandIkeSaKeys(crypto::Sha256Digest &skeyseed, const crypto::Bytes &nonces,
                          uint64_t spiI, uint64_t spiR, size_t encryptionKeySize) {
  crypto::Bytes seed = nonces;
  seed.resize(nonces.size() + 16);
  PutU64(seed.data() + nonces.size(), spiI);
  PutU64(seed.data() + nonces.size() + 8, spiR);
  const size_t prfSize = crypto::kSha256Size;
  crypto::Bytes stream = crypto::PrfPlusSha256(skeyseed, seed, 3 * prfSize + 2 * encryptionKeySize);
  IkeSaKeys keys;
  size_t offset = 0;
  keys.skD = Take(stream, offset, prfSize);
  keys.skEi = Take(stream, offset, encryptionKeySize);
  keys.skEr = Take(stream, offset, encryptionKeySize);
  keys.skPi = Take(stream, offset, prfSize);
  keys.skPr = Take(stream, offset, prfSize);
  crypto::SecureWipe(skeyseed.data(), skeyseed.size());
  Wipe(stream);
  return keys;
}
} // namespace

IkeSaKeys DeriveIkeSaKeys(crypto::ByteView nonceI, crypto::ByteView nonceR,
                          crypto::ByteView sharedSecret, uint64_t spiI, uint64_t spiR,
                          size_t encryptionKeySize) {
  crypto::Bytes nonces(nonceI.begin(), nonceI.end());
  nonces.insert(nonces.end(), nonceR.begin(), nonceR.end());
  crypto::Sha256Digest skeyseed = crypto::HmacSha256(nonces, sharedSecret);
  return ExpandIkeSaKeys(skeyseed, nonces, spiI, spiR, encryptionKeySize);
}

IkeSaKeys DeriveRekeyedIkeSaKeys(crypto::ByteView oldSkD, crypto::ByteView nonceI,
                                 crypto::ByteView nonceR, crypto::ByteView sharedSecret,
                                 uint64_t spiI, uint64_t spiR, size_t encryptionKeySize) {
  crypto::Bytes nonces(nonceI.begin(), nonceI.end());
  nonces.insert(nonces.end(), nonceR.begin(), nonceR.end());
  crypto::Bytes input(sharedSecret.begin(), sharedSecret.end());
  input.insert(input.end(), nonces.begin(), nonces.end());
  crypto::Sha256Digest skeyseed = crypto::HmacSha256(oldSkD, input);
  Wipe(input);
  return ExpandIkeSaKeys(skeyseed, nonces, spiI, spiR, encryptionKeySize);
}

ChildSaKeys DeriveChildSaKeys(crypto::ByteView skD, crypto::ByteView newSharedSecret,
                              crypto::ByteView nonceI, crypto::ByteView nonceR, size_t keySize) {
  crypto::Bytes seed(newSharedSecret.begin(), newSharedSecret.end());
  seed.insert(seed.end(), nonceI.begin(), nonceI.end());
  seed.insert(seed.end(), nonceR.begin(), nonceR.end());
  crypto::Bytes stream = crypto::PrfPlusSha256(skD, seed, 2 * keySize);
  ChildSaKeys keys;
  size_t offset = 0;
  keys.initiatorToResponder = Take(stream, offset, keySize);
  keys.responderToInitiator = Take(stream, offset, keySize);
  Wipe(stream);
  Wipe(seed);
  return keys;
}

crypto::Bytes ComputePskAuth(crypto::ByteView psk, crypto::ByteView realMessage,
                             crypto::ByteView peerNonce, crypto::ByteView skP,
                             crypto::ByteView idBody) {
  static const char kKeyPad[] = "Key Pad for IKEv2";
  crypto::Sha256Digest padKey = crypto::HmacSha256(
      psk, crypto::ByteView(reinterpret_cast<const uint8_t *>(kKeyPad), sizeof kKeyPad - 1));
  crypto::Sha256Digest macedId = crypto::HmacSha256(skP, idBody);
  crypto::Bytes signedOctets(realMessage.begin(), realMessage.end());
  signedOctets.insert(signedOctets.end(), peerNonce.begin(), peerNonce.end());
  signedOctets.insert(signedOctets.end(), macedId.begin(), macedId.end());
  crypto::Sha256Digest auth = crypto::HmacSha256(padKey, signedOctets);
  crypto::SecureWipe(padKey.data(), padKey.size());
  return crypto::Bytes(auth.begin(), auth.end());
}

} // namespace tunnelsim::ipsec

// Builds IKEv2 datagrams whose Encrypted (SK) payload holds arbitrary bytes, sealed with a
// real key: the way a fuzz target reaches the payload parser behind the integrity check.
// Layout as RFC 7296 3.14 with RFC 5282's AEAD form: header | SK generic header | IV(8) |
// E(inner payloads | padding | pad length) | ICV(16), AAD = header and SK generic header.
#pragma once

#include "crypto/aead.h"
#include "ipsec/ike_message.h"

#include <cstring>

namespace tunnelsim::fuzz {

struct IkeRawHeader {
  uint64_t spiI = 0;
  uint64_t spiR = 0;
  uint8_t exchange = 35;
  uint8_t flags = 0;
  uint32_t messageId = 0;
};

inline void IkePutBe(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
}

// `plaintext` is everything inside the encryption, pad length byte included.
inline crypto::Bytes SealIkeSk(const IkeRawHeader &h, uint8_t firstInnerPayload,
                               crypto::ByteView plaintext, const ipsec::IkeSkKey &key,
                               uint64_t iv) {
  const size_t skLength = 4 + 8 + plaintext.size() + crypto::kAeadTagSize;
  crypto::Bytes out(ipsec::kIkeHeaderSize + skLength);
  IkePutBe(out.data(), h.spiI, 8);
  IkePutBe(out.data() + 8, h.spiR, 8);
  out[16] = ipsec::payload::kSk;
  out[17] = ipsec::kIkeVersion;
  out[18] = h.exchange;
  out[19] = h.flags;
  IkePutBe(out.data() + 20, h.messageId, 4);
  IkePutBe(out.data() + 24, out.size(), 4);
  uint8_t *sk = out.data() + ipsec::kIkeHeaderSize;
  sk[0] = firstInnerPayload;
  sk[1] = 0;
  IkePutBe(sk + 2, skLength, 2);
  IkePutBe(sk + 4, iv, 8);
  uint8_t nonce[12];
  std::memcpy(nonce, key.keymat.data() + ipsec::kEspKeySize, ipsec::kEspSaltSize);
  std::memcpy(nonce + ipsec::kEspSaltSize, sk + 4, 8);
  crypto::AeadKey aeadKey;
  std::memcpy(aeadKey.data(), key.keymat.data(), ipsec::kEspKeySize);
  crypto::AeadSealInto(ipsec::AeadFor(key.cipher), aeadKey, crypto::ByteView(nonce, 12), plaintext,
                       crypto::ByteView(out.data(), ipsec::kIkeHeaderSize + 4), sk + 12);
  return out;
}

} // namespace tunnelsim::fuzz

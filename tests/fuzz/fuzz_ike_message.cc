// The IKEv2 message parser (ParseIkeHeader, ParseIkeMessage) and its agreement with the
// encoder.
//
// Input: [mode] then the rest.
//   mode % 4 == 0: the rest is a datagram parsed without keys (IKE_SA_INIT is in the clear).
//               1: a datagram parsed with a fixed AES-256-GCM SK key.
//               2: a datagram parsed with a fixed ChaCha20-Poly1305 SK key.
//               3: [exchange][flags][message id: 4][first inner payload][inner bytes...]: the
//                  inner bytes (payload chain, padding, pad length) sealed in an SK payload with
//                  the ChaCha20-Poly1305 key, so the decrypted chain is what gets fuzzed.
// Checked besides memory safety: a message that parses has a header that parses with the same
// fields; re-encoding a parsed message gives a datagram that parses again, and encoding that
// gives the same bytes (the encoder and decoder agree on everything the decoder keeps).
#include "fuzz_input.h"
#include "ike_seal.h"

#include <cstdlib>

using namespace tunnelsim;
using namespace tunnelsim::ipsec;

namespace {

crypto::Bytes FixedKeymat(uint8_t salt) {
  crypto::Bytes k(kEspKeymatSize);
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<uint8_t>(salt + i);
  return k;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return -1;
  fuzz::FuzzInput in(data, size);
  const uint8_t mode = in.U8() % 4;
  static const crypto::Bytes gcmKeymat = FixedKeymat(0x10);
  static const crypto::Bytes chachaKeymat = FixedKeymat(0x80);
  std::optional<IkeSkKey> key;
  if (mode == 1 && EspCipherAvailable(EspCipher::Aes256Gcm16))
    key = IkeSkKey{EspCipher::Aes256Gcm16, gcmKeymat};
  if (mode >= 2) key = IkeSkKey{EspCipher::ChaCha20Poly1305, chachaKeymat};

  crypto::Bytes datagram;
  if (mode == 3) {
    fuzz::IkeRawHeader header;
    header.spiI = 0x0102030405060708;
    header.spiR = 0x1112131415161718;
    header.exchange = in.U8();
    header.flags = in.U8();
    header.messageId = in.U32();
    const uint8_t first = in.U8();
    datagram = fuzz::SealIkeSk(header, first, in.Rest(), *key, 42);
  } else {
    datagram = in.Rest().ToBytes();
  }

  const auto header = ParseIkeHeader(datagram);
  const IkeParseResult parsed = ParseIkeMessage(datagram, key);
  if (!parsed.message) return 0;
  if (parsed.error != IkeParseError::None || !header) abort();
  const IkeMessage &m = *parsed.message;
  if (header->spiI != m.spiI || header->spiR != m.spiR || header->messageId != m.messageId ||
      header->exchange != m.exchange)
    abort();

  const std::array<uint8_t, 8> iv{1, 2, 3, 4, 5, 6, 7, 8};
  const std::optional<IkeSkKey> encodeKey =
      m.exchange == IkeExchange::IkeSaInit ? std::nullopt : key;
  const crypto::Bytes first = EncodeIkeMessage(m, encodeKey, iv);
  const IkeParseResult reparsed = ParseIkeMessage(first, encodeKey);
  if (!reparsed.message) abort();
  const crypto::Bytes second = EncodeIkeMessage(*reparsed.message, encodeKey, iv);
  if (first != second) abort();
  return 0;
}

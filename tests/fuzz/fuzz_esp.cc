// ESP decapsulation (EspSad::Process, EspSa::Open) with configured SAs: AES-GCM and
// ChaCha20-Poly1305, ESN, tunnel and transport mode, replay windows of several sizes.
//
// Input: a configuration byte (replay window), then records
//   [kind][sa][sequence: 8 bytes][16-bit length][bytes]
// kind % 4 == 0: `bytes` is a raw ESP packet.
//             1: `bytes` is a payload, sealed properly (padding, next header = kind >> 2)
//                under SA `sa % 3` with that sequence number: reaches the trailer and
//                inner-packet checks and the replay window.
//             2: `bytes` is the whole plaintext (payload, padding, pad length, next header)
//                sealed as is: malformed trailers that authenticate.
//             3: as 1, then one byte flipped (position and mask from the sequence field).
// Checked besides memory safety: every packet ends in exactly one counter (delivered, dummy
// or one drop reason); a delivered sealed payload equals what was sealed; a packet accepted
// once is refused when it comes again (the replay window) unless anti-replay is off.
#include "crypto/aead.h"
#include "esp_fixture.h"
#include "fuzz_input.h"

#include <cstdlib>
#include <cstring>

using namespace tunnelsim;
using namespace tunnelsim::ipsec;

namespace {

void PutU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// RFC 4106/7634 sealing of an arbitrary plaintext (the core's EspEncrypt always writes a
// correct trailer).
crypto::Bytes SealRawPlaintext(const EspSaConfig &sa, uint64_t sequence, crypto::ByteView plain) {
  crypto::Bytes packet(kEspHeaderSize + kEspIvSize + plain.size() + kEspIcvSize);
  PutU32(packet.data(), sa.spi);
  PutU32(packet.data() + 4, static_cast<uint32_t>(sequence));
  for (int i = 0; i < 8; ++i)
    packet[8 + i] = static_cast<uint8_t>(sequence >> (56 - 8 * i));
  uint8_t aad[12];
  PutU32(aad, sa.spi);
  size_t aadSize = 8;
  if (sa.esn) {
    PutU32(aad + 4, static_cast<uint32_t>(sequence >> 32));
    PutU32(aad + 8, static_cast<uint32_t>(sequence));
    aadSize = 12;
  } else {
    PutU32(aad + 4, static_cast<uint32_t>(sequence));
  }
  uint8_t nonce[12];
  std::memcpy(nonce, sa.keymat.data() + kEspKeySize, kEspSaltSize);
  std::memcpy(nonce + kEspSaltSize, packet.data() + 8, 8);
  crypto::AeadKey key;
  std::memcpy(key.data(), sa.keymat.data(), kEspKeySize);
  crypto::AeadSealInto(AeadFor(sa.cipher), key, crypto::ByteView(nonce, 12), plain,
                       crypto::ByteView(aad, aadSize), packet.data() + kEspHeaderSize + kEspIvSize);
  return packet;
}

uint64_t Handled(const EspCounters &c) { return c.packets + c.TotalDrops() + c.dummy; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::FuzzInput in(data, size);
  const uint32_t window = fuzz::kEspFixtureWindows[in.U8() % 4];
  const std::vector<EspSaConfig> sas = fuzz::EspFixtureSas(window);
  EspSad sad;
  for (const EspSaConfig &sa : sas)
    sad.AddInbound(sa);

  uint64_t calls = 0;
  for (int record = 0; record < 32 && !in.empty(); ++record) {
    const uint8_t kind = in.U8();
    const EspSaConfig &sa = sas[in.U8() % sas.size()];
    const uint64_t sequence = in.U64();
    const crypto::ByteView bytes = in.Field();
    crypto::Bytes packet;
    bool sealedPayload = false;
    switch (kind % 4) {
    case 0:
      packet = bytes.ToBytes();
      break;
    case 1:
    case 3: {
      std::array<uint8_t, kEspIvSize> iv{};
      for (size_t i = 0; i < iv.size(); ++i)
        iv[i] = static_cast<uint8_t>(sequence >> (8 * i));
      packet = EspEncrypt(sa.cipher, sa.keymat, sa.spi, sequence, sa.esn, iv, bytes,
                          static_cast<uint8_t>(kind >> 2));
      sealedPayload = kind % 4 == 1;
      if (!sealedPayload) packet[(sequence >> 8) % packet.size()] ^= uint8_t(sequence | 1);
      break;
    }
    case 2:
      packet = SealRawPlaintext(sa, sequence, bytes);
      break;
    }
    const EspOpenResult result = sad.Process(packet);
    ++calls;
    if (result.status == EspStatus::Ok) {
      if (sealedPayload && (result.payload.size() != bytes.size() ||
                            !std::equal(bytes.begin(), bytes.end(), result.payload.begin())))
        abort();
      const EspSa *receiver = sad.FindInbound(result.spi);
      if (!receiver) abort();
      if (receiver->config().replayWindow > 0) {
        const EspOpenResult again = sad.Process(packet);
        ++calls;
        if (again.status == EspStatus::Ok || again.status == EspStatus::Dummy) abort();
      }
    }
    if (Handled(sad.inboundTotals()) != calls) abort();
  }
  return 0;
}

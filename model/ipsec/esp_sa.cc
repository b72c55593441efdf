#include "ipsec/esp_sa.h"

#include "common/ip_packet.h"
#include "ipsec/wire.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tunnelsim::ipsec {

namespace {

// RFC 4106 section 3 and RFC 7634 section 2: the ciphertext (payload plus trailer) is aligned
// to 4 bytes; neither cipher has a larger block size.
constexpr size_t kEspAlignment = 4;

std::array<uint8_t, 12> Nonce(crypto::ByteView salt, const uint8_t *iv) {
  std::array<uint8_t, 12> nonce{};
  std::memcpy(nonce.data(), salt.data(), kEspSaltSize);
  std::memcpy(nonce.data() + kEspSaltSize, iv, kEspIvSize);
  return nonce;
}

// RFC 4106 section 5 / RFC 7634 section 2.1.
size_t WriteAad(uint8_t *aad, uint32_t spi, uint64_t sequence, bool esn) {
  PutU32(aad, spi);
  if (esn) {
    PutU64(aad + 4, sequence);
    return 12;
  }
  PutU32(aad + 4, uint32_t(sequence));
  return 8;
}

crypto::AeadKey KeyFromKeymat(crypto::ByteView keymat) {
  crypto::AeadKey key;
  std::memcpy(key.data(), keymat.data(), kEspKeySize);
  return key;
}

} // namespace

crypto::AeadAlgorithm AeadFor(EspCipher cipher) {
  return cipher == EspCipher::Aes256Gcm16 ? crypto::AeadAlgorithm::Aes256Gcm
                                          : crypto::AeadAlgorithm::ChaCha20Poly1305;
}

const char *EspCipherName(EspCipher cipher) {
  return cipher == EspCipher::Aes256Gcm16 ? "aes256gcm16" : "chacha20poly1305";
}

bool EspCipherAvailable(EspCipher cipher) { return crypto::AeadAvailable(AeadFor(cipher)); }

const char *EspStatusName(EspStatus status) {
  switch (status) {
  case EspStatus::Ok:
    return "ok";
  case EspStatus::NoSa:
    return "no-sa";
  case EspStatus::Replay:
    return "replay";
  case EspStatus::OutsideWindow:
    return "outside-window";
  case EspStatus::IcvFailure:
    return "icv-failure";
  case EspStatus::Malformed:
    return "malformed";
  case EspStatus::SequenceOverflow:
    return "sequence-overflow";
  case EspStatus::HardLifetime:
    return "hard-lifetime";
  case EspStatus::Dummy:
    return "dummy";
  }
  return "?";
}

void EspCounters::Count(EspStatus status) {
  switch (status) {
  case EspStatus::Ok:
    break;
  case EspStatus::NoSa:
    ++dropNoSa;
    break;
  case EspStatus::Replay:
    ++dropReplay;
    break;
  case EspStatus::OutsideWindow:
    ++dropOutsideWindow;
    break;
  case EspStatus::IcvFailure:
    ++dropIcv;
    break;
  case EspStatus::Malformed:
    ++dropMalformed;
    break;
  case EspStatus::SequenceOverflow:
    ++dropSequenceOverflow;
    break;
  case EspStatus::HardLifetime:
    ++dropHardLifetime;
    break;
  case EspStatus::Dummy:
    ++dummy;
    break;
  }
}

EspCounters &EspCounters::operator+=(const EspCounters &o) {
  packets += o.packets;
  bytes += o.bytes;
  dropReplay += o.dropReplay;
  dropOutsideWindow += o.dropOutsideWindow;
  dropIcv += o.dropIcv;
  dropNoSa += o.dropNoSa;
  dropMalformed += o.dropMalformed;
  dropSequenceOverflow += o.dropSequenceOverflow;
  dropHardLifetime += o.dropHardLifetime;
  dummy += o.dummy;
  return *this;
}

namespace {

crypto::Bytes SealPacket(EspCipher cipher, const crypto::AeadKey &key, crypto::ByteView salt,
                         uint32_t spi, uint64_t sequence, bool esn,
                         const std::array<uint8_t, kEspIvSize> &iv, crypto::ByteView payload,
                         uint8_t nextHeader, crypto::Bytes packet = {}) {
  const size_t unpadded = payload.size() + 2;
  const size_t padLength = (kEspAlignment - unpadded % kEspAlignment) % kEspAlignment;
  const size_t plaintextSize = unpadded + padLength;
  packet.resize(kEspHeaderSize + kEspIvSize + plaintextSize + kEspIcvSize);
  PutU32(packet.data(), spi);
  PutU32(packet.data() + 4, uint32_t(sequence));
  std::memcpy(packet.data() + 8, iv.data(), kEspIvSize);
  uint8_t *plaintext = packet.data() + kEspHeaderSize + kEspIvSize;
  std::copy(payload.begin(), payload.end(), plaintext);
  for (size_t i = 0; i < padLength; ++i)
    plaintext[payload.size() + i] = uint8_t(i + 1); // RFC 4303 2.4 default padding
  plaintext[payload.size() + padLength] = uint8_t(padLength);
  plaintext[payload.size() + padLength + 1] = nextHeader;
  uint8_t aad[12];
  size_t aadSize = WriteAad(aad, spi, sequence, esn);
  auto nonce = Nonce(salt, iv.data());
  crypto::AeadSealInto(AeadFor(cipher), key, nonce, crypto::ByteView(plaintext, plaintextSize),
                       crypto::ByteView(aad, aadSize), plaintext);
  return packet;
}

} // namespace

crypto::Bytes EspEncrypt(EspCipher cipher, crypto::ByteView keymat, uint32_t spi, uint64_t sequence,
                         bool esn, const std::array<uint8_t, kEspIvSize> &iv,
                         crypto::ByteView payload, uint8_t nextHeader) {
  if (keymat.size() != kEspKeymatSize) throw std::invalid_argument("ESP keymat must be 36 bytes");
  return SealPacket(cipher, KeyFromKeymat(keymat), keymat.subview(kEspKeySize), spi, sequence, esn,
                    iv, payload, nextHeader);
}

std::optional<uint32_t> EspPacketSpi(crypto::ByteView packet) {
  if (packet.size() < 4) return std::nullopt;
  return GetU32(packet.data());
}

EspSa::EspSa(const EspSaConfig &config)
    : config_(config), sequence_(config.initialSequence), window_(config.replayWindow) {
  if (config.keymat.size() != kEspKeymatSize) {
    throw std::invalid_argument("ESP keymat must be 36 bytes (key and salt)");
  }
  if (!EspCipherAvailable(config.cipher)) {
    throw std::invalid_argument(std::string(EspCipherName(config.cipher)) +
                                " is not available on this CPU");
  }
  key_ = KeyFromKeymat(config.keymat);
  std::memcpy(salt_.data(), config.keymat.data() + kEspKeySize, kEspSaltSize);
  // The key lives in key_ and salt_ only; clear() alone would leave it in the vector's buffer.
  crypto::SecureWipe(config_.keymat.data(), config_.keymat.size());
  config_.keymat.clear();
}

EspSa::~EspSa() { crypto::SecureWipe(salt_.data(), salt_.size()); }

bool EspSa::Account(size_t bytes, bool &softReached, EspStatus &status) {
  const EspLifetime &l = config_.lifetime;
  if ((l.hardPackets && counters_.packets >= l.hardPackets) ||
      (l.hardBytes && counters_.bytes + bytes > l.hardBytes)) {
    status = EspStatus::HardLifetime;
    return false;
  }
  counters_.packets += 1;
  counters_.bytes += bytes;
  if (!softReported_ && ((l.softPackets && counters_.packets >= l.softPackets) ||
                         (l.softBytes && counters_.bytes >= l.softBytes))) {
    softReported_ = true;
    softReached = true;
  }
  return true;
}

EspSealResult EspSa::Seal(crypto::ByteView payload, uint8_t nextHeader, crypto::RandomSource *rng,
                          crypto::Bytes buffer) {
  EspSealResult result;
  const uint64_t limit = config_.esn ? UINT64_MAX : UINT32_MAX;
  if (sequence_ >= limit) {
    result.status = EspStatus::SequenceOverflow;
    counters_.Count(result.status);
    return result;
  }
  if (!Account(payload.size(), result.softLifetimeReached, result.status)) {
    counters_.Count(result.status);
    return result;
  }
  result.sequence = ++sequence_;
  std::array<uint8_t, kEspIvSize> iv{};
  if (config_.ivPolicy == EspIvPolicy::Random) {
    if (!rng) throw std::invalid_argument("random IV policy needs a random source");
    rng->Fill(iv.data(), iv.size());
  } else {
    PutU64(iv.data(), result.sequence);
  }
  result.packet =
      SealPacket(config_.cipher, key_, crypto::ByteView(salt_), config_.spi, result.sequence,
                 config_.esn, iv, payload, nextHeader, std::move(buffer));
  return result;
}

EspOpenResult EspSa::Open(crypto::ByteView packet, crypto::Bytes buffer) {
  EspOpenResult result;
  result.spi = config_.spi;
  auto fail = [&](EspStatus status) {
    result.status = status;
    result.payload.clear();
    counters_.Count(status);
    return result;
  };
  // Header, IV, at least pad length and next header (4-byte aligned), ICV.
  if (packet.size() < kEspHeaderSize + kEspIvSize + kEspAlignment + kEspIcvSize) {
    return fail(EspStatus::Malformed);
  }
  const size_t ciphertextSize = packet.size() - kEspHeaderSize - kEspIvSize;
  if ((ciphertextSize - kEspIcvSize) % kEspAlignment != 0) return fail(EspStatus::Malformed);
  if (GetU32(packet.data()) != config_.spi) return fail(EspStatus::NoSa);
  const uint32_t low = GetU32(packet.data() + 4);
  result.sequence = config_.esn ? window_.InferEsn(low) : low;
  switch (window_.Check(result.sequence)) {
  case ReplayCheck::Ok:
    break;
  case ReplayCheck::Replay:
    return fail(EspStatus::Replay);
  case ReplayCheck::OutsideWindow:
    return fail(EspStatus::OutsideWindow);
  }
  uint8_t aad[12];
  size_t aadSize = WriteAad(aad, config_.spi, result.sequence, config_.esn);
  auto nonce = Nonce(crypto::ByteView(salt_), packet.data() + kEspHeaderSize);
  crypto::Bytes plaintext = std::move(buffer);
  plaintext.resize(ciphertextSize - kEspIcvSize);
  if (!crypto::AeadOpenInto(AeadFor(config_.cipher), key_, nonce,
                            packet.subview(kEspHeaderSize + kEspIvSize),
                            crypto::ByteView(aad, aadSize), plaintext.data())) {
    return fail(EspStatus::IcvFailure);
  }
  // Authenticated: only now may the window move (RFC 4303 3.4.3).
  window_.Update(result.sequence);
  const uint8_t nextHeader = plaintext.back();
  const size_t padLength = plaintext[plaintext.size() - 2];
  if (padLength + 2 > plaintext.size()) return fail(EspStatus::Malformed);
  const size_t payloadSize = plaintext.size() - 2 - padLength;
  for (size_t i = 0; i < padLength; ++i) {
    if (plaintext[payloadSize + i] != uint8_t(i + 1)) return fail(EspStatus::Malformed);
  }
  plaintext.resize(payloadSize);
  result.nextHeader = nextHeader;
  if (nextHeader == kEspNextHeaderNone) return fail(EspStatus::Dummy);
  if (config_.mode == EspMode::Tunnel) {
    auto info = ParseIpPacket(plaintext.data(), plaintext.size());
    const uint8_t expected = info && info->version == 4 ? kEspNextHeaderIpv4 : kEspNextHeaderIpv6;
    if (!info || nextHeader != expected) return fail(EspStatus::Malformed);
  }
  if (!Account(payloadSize, result.softLifetimeReached, result.status)) {
    return fail(result.status);
  }
  result.payload = std::move(plaintext);
  return result;
}

} // namespace tunnelsim::ipsec

// IKEv2 messages on the wire (RFC 7296 section 3): the header, the generic payload chain and
// the payloads this implementation uses (SA with proposals and transforms, KE, Nonce, IDi,
// IDr, AUTH, Notify, Delete, TSi, TSr), and the Encrypted (SK) payload protected with an AEAD
// (RFC 5282 for AES-GCM, RFC 7634 for ChaCha20-Poly1305).
#pragma once

#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "ipsec/esp_sa.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tunnelsim::ipsec {

constexpr uint16_t kIkeUdpPort = 500;
constexpr size_t kIkeHeaderSize = 28;
constexpr uint8_t kIkeVersion = 0x20; // major 2, minor 0

enum class IkeExchange : uint8_t {
  IkeSaInit = 34,
  IkeAuth = 35,
  CreateChildSa = 36,
  Informational = 37,
};

namespace payload {
constexpr uint8_t kNone = 0;
constexpr uint8_t kSa = 33;
constexpr uint8_t kKe = 34;
constexpr uint8_t kIdi = 35;
constexpr uint8_t kIdr = 36;
constexpr uint8_t kAuth = 39;
constexpr uint8_t kNonce = 40;
constexpr uint8_t kNotify = 41;
constexpr uint8_t kDelete = 42;
constexpr uint8_t kTsi = 44;
constexpr uint8_t kTsr = 45;
constexpr uint8_t kSk = 46;
} // namespace payload

namespace flags {
constexpr uint8_t kInitiator = 0x08;
constexpr uint8_t kResponse = 0x20;
} // namespace flags

constexpr uint8_t kProtocolIke = 1;
constexpr uint8_t kProtocolEsp = 3;

// Transform types and IDs (IANA "IKEv2 Parameters").
namespace transform {
constexpr uint8_t kEncr = 1;
constexpr uint8_t kPrf = 2;
constexpr uint8_t kInteg = 3;
constexpr uint8_t kDh = 4;
constexpr uint8_t kEsn = 5;
constexpr uint16_t kEncrAesGcm16 = 20;
constexpr uint16_t kEncrChaCha20Poly1305 = 28;
constexpr uint16_t kPrfHmacSha256 = 5;
constexpr uint16_t kDhCurve25519 = 31;
constexpr uint16_t kAttrKeyLength = 14;
} // namespace transform

namespace notify {
constexpr uint16_t kUnsupportedCriticalPayload = 1;
constexpr uint16_t kInvalidSyntax = 7;
constexpr uint16_t kNoProposalChosen = 14;
constexpr uint16_t kInvalidKePayload = 17;
constexpr uint16_t kAuthenticationFailed = 24;
constexpr uint16_t kTsUnacceptable = 38;
constexpr uint16_t kTemporaryFailure = 43;
constexpr uint16_t kChildSaNotFound = 44;
constexpr uint16_t kNatDetectionSourceIp = 16388;
constexpr uint16_t kNatDetectionDestinationIp = 16389;
constexpr uint16_t kUseTransportMode = 16391;
constexpr uint16_t kRekeySa = 16393;
constexpr uint16_t kEspTfcPaddingNotSupported = 16394;
} // namespace notify

constexpr uint8_t kIdIpv4Addr = 1;
constexpr uint8_t kIdFqdn = 2;
constexpr uint8_t kIdRfc822Addr = 3;
constexpr uint8_t kIdIpv6Addr = 5;
constexpr uint8_t kIdKeyId = 11;
constexpr uint8_t kAuthSharedKeyMic = 2;
constexpr uint8_t kTsIpv4AddrRange = 7;
constexpr uint8_t kTsIpv6AddrRange = 8;

struct IkeTransform {
  uint8_t type = 0;
  uint16_t id = 0;
  std::optional<uint16_t> keyLength; // the Key Length attribute (TV format), in bits
  bool operator==(const IkeTransform &o) const {
    return type == o.type && id == o.id && keyLength == o.keyLength;
  }
};

struct IkeProposal {
  uint8_t number = 1;
  uint8_t protocolId = kProtocolIke;
  crypto::Bytes spi; // empty for IKE in IKE_SA_INIT, 4 bytes for ESP
  std::vector<IkeTransform> transforms;
};

struct IkeKePayload {
  uint16_t group = 0;
  crypto::Bytes data;
};

struct IkeIdPayload {
  uint8_t type = kIdFqdn;
  crypto::Bytes data;
  // The payload body after the generic header (type, 3 reserved bytes, data): what the AUTH
  // computation MACs (RFC 7296 2.15, RestOfInitIDPayload).
  crypto::Bytes Body() const;
  static IkeIdPayload Fqdn(const std::string &name);
  static IkeIdPayload Address(const IpAddress &address);
  bool operator==(const IkeIdPayload &o) const { return type == o.type && data == o.data; }
};

struct IkeAuthPayload {
  uint8_t method = kAuthSharedKeyMic;
  crypto::Bytes data;
};

struct IkeNotifyPayload {
  uint8_t protocolId = 0;
  crypto::Bytes spi;
  uint16_t type = 0;
  crypto::Bytes data;
};

struct IkeDeletePayload {
  uint8_t protocolId = kProtocolEsp;
  std::vector<uint32_t> spis; // ESP SPIs; empty with protocol IKE
};

struct IkeTrafficSelector {
  uint8_t ipProtocol = 0; // 0 = any
  uint16_t startPort = 0;
  uint16_t endPort = 65535;
  IpAddress start;
  IpAddress end;
  static IkeTrafficSelector FromPrefix(const IpPrefix &prefix);
  bool operator==(const IkeTrafficSelector &o) const {
    return ipProtocol == o.ipProtocol && startPort == o.startPort && endPort == o.endPort &&
           start == o.start && end == o.end;
  }
};

// A decoded message: the header fields and the payloads found (outside or inside SK).
struct IkeMessage {
  uint64_t spiI = 0;
  uint64_t spiR = 0;
  IkeExchange exchange = IkeExchange::IkeSaInit;
  bool fromInitiator = false; // the I flag: sent by the original initiator of the IKE SA
  bool response = false;      // the R flag
  uint32_t messageId = 0;

  std::vector<IkeProposal> sa; // empty = no SA payload
  std::optional<IkeKePayload> ke;
  std::optional<crypto::Bytes> nonce;
  std::optional<IkeIdPayload> idi;
  std::optional<IkeIdPayload> idr;
  std::optional<IkeAuthPayload> auth;
  std::vector<IkeNotifyPayload> notifies;
  std::vector<IkeDeletePayload> deletes;
  std::optional<std::vector<IkeTrafficSelector>> tsi;
  std::optional<std::vector<IkeTrafficSelector>> tsr;

  const IkeNotifyPayload *FindNotify(uint16_t type) const;
  // The first error notify (type < 16384), if any.
  const IkeNotifyPayload *FindError() const;
};

// Keys protecting SK payloads in one direction: AEAD key || 4-byte salt (RFC 5282 section 7.1,
// RFC 7634 section 3).
struct IkeSkKey {
  EspCipher cipher = EspCipher::Aes256Gcm16;
  crypto::ByteView keymat; // 36 bytes
};

// Encodes a message. Payloads of IKE_SA_INIT go in the clear; every other exchange puts them
// in an SK payload sealed with `key` and an 8-byte `iv` (which must never repeat under a key).
crypto::Bytes EncodeIkeMessage(const IkeMessage &message, const std::optional<IkeSkKey> &key,
                               const std::array<uint8_t, 8> &iv);

enum class IkeParseError {
  None,
  Malformed,           // bad lengths, truncated payloads, wrong version, unknown exchange
  UnsupportedCritical, // an unknown payload with the critical bit set
  Integrity,           // the SK payload did not authenticate
  MissingSk,           // a protected exchange without an SK payload
};

struct IkeHeaderInfo {
  uint64_t spiI = 0;
  uint64_t spiR = 0;
  IkeExchange exchange = IkeExchange::IkeSaInit;
  uint8_t flags = 0;
  uint32_t messageId = 0;
};

// Header only (so the caller can pick keys by SPI and direction before decrypting).
std::optional<IkeHeaderInfo> ParseIkeHeader(crypto::ByteView datagram);

struct IkeParseResult {
  std::optional<IkeMessage> message;
  IkeParseError error = IkeParseError::None;
};
// Full parse; `key` is needed for every exchange but IKE_SA_INIT.
IkeParseResult ParseIkeMessage(crypto::ByteView datagram, const std::optional<IkeSkKey> &key);

} // namespace tunnelsim::ipsec

// WireGuard's four message formats (whitepaper 5.4.2-5.4.6): byte offsets, sizes and
// little-endian field access. Messages stay plain byte buffers; these helpers name the fields.
#pragma once

#include "crypto/bytes.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tunnelsim::wireguard {

enum class MessageType : uint8_t {
  HandshakeInitiation = 1,
  HandshakeResponse = 2,
  CookieReply = 3,
  TransportData = 4,
};

// Handshake initiation: type(4) sender(4) ephemeral(32) static(32+16) timestamp(12+16)
// mac1(16) mac2(16).
namespace initiation {
constexpr size_t kSender = 4;
constexpr size_t kNoiseMessage = 8; // ephemeral || encrypted static || encrypted timestamp
constexpr size_t kNoiseMessageSize = 32 + 48 + 28;
constexpr size_t kMac1 = 116;
constexpr size_t kMac2 = 132;
constexpr size_t kSize = 148;
} // namespace initiation

// Handshake response: type(4) sender(4) receiver(4) ephemeral(32) empty(0+16) mac1 mac2.
namespace response {
constexpr size_t kSender = 4;
constexpr size_t kReceiver = 8;
constexpr size_t kNoiseMessage = 12; // ephemeral || encrypted empty payload
constexpr size_t kNoiseMessageSize = 32 + 16;
constexpr size_t kMac1 = 60;
constexpr size_t kMac2 = 76;
constexpr size_t kSize = 92;
} // namespace response

// Cookie reply: type(4) receiver(4) nonce(24) encrypted cookie(16+16).
namespace cookie_reply {
constexpr size_t kReceiver = 4;
constexpr size_t kNonce = 8;
constexpr size_t kNonceSize = 24;
constexpr size_t kEncryptedCookie = 32;
constexpr size_t kEncryptedCookieSize = 32;
constexpr size_t kSize = 64;
} // namespace cookie_reply

// Transport data: type(4) receiver(4) counter(8) then the AEAD ciphertext of the padded
// inner packet (a multiple of 16 bytes) and its 16-byte tag. An empty packet is a keepalive.
namespace transport {
constexpr size_t kReceiver = 4;
constexpr size_t kCounter = 8;
constexpr size_t kHeaderSize = 16;
constexpr size_t kMinSize = kHeaderSize + 16;
constexpr size_t kPaddingMultiple = 16;
} // namespace transport

constexpr size_t kMacSize = 16;

inline uint32_t LoadLe32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline uint64_t LoadLe64(const uint8_t *p) {
  return static_cast<uint64_t>(LoadLe32(p)) | static_cast<uint64_t>(LoadLe32(p + 4)) << 32;
}
inline void StoreLe32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void StoreLe64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Writes the 4-byte type field (type then three reserved zero bytes).
void WriteMessageType(uint8_t *message, MessageType type);

// The message's type when its first four bytes are a known type with zero reserved bytes
// and its length is valid for that type (exact for handshake messages, at least a header
// and tag for transport data). Empty otherwise.
std::optional<MessageType> ClassifyMessage(crypto::ByteView message);

// Transport payload length after padding: the next multiple of 16, but never past the MTU
// unless the packet itself is larger (then it is left unpadded), as Linux does.
size_t PaddedLength(size_t packetLength, size_t mtu);

} // namespace tunnelsim::wireguard

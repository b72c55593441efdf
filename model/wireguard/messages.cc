#include "messages.h"

namespace tunnelsim::wireguard {

void WriteMessageType(uint8_t *message, MessageType type) {
  StoreLe32(message, static_cast<uint32_t>(type));
}

std::optional<MessageType> ClassifyMessage(crypto::ByteView message) {
  if (message.size() < 4) return std::nullopt;
  switch (LoadLe32(message.data())) {
  case static_cast<uint32_t>(MessageType::HandshakeInitiation):
    if (message.size() != initiation::kSize) return std::nullopt;
    return MessageType::HandshakeInitiation;
  case static_cast<uint32_t>(MessageType::HandshakeResponse):
    if (message.size() != response::kSize) return std::nullopt;
    return MessageType::HandshakeResponse;
  case static_cast<uint32_t>(MessageType::CookieReply):
    if (message.size() != cookie_reply::kSize) return std::nullopt;
    return MessageType::CookieReply;
  case static_cast<uint32_t>(MessageType::TransportData):
    if (message.size() < transport::kMinSize) return std::nullopt;
    return MessageType::TransportData;
  default:
    return std::nullopt;
  }
}

size_t PaddedLength(size_t packetLength, size_t mtu) {
  size_t rounded = (packetLength + transport::kPaddingMultiple - 1) / transport::kPaddingMultiple *
                   transport::kPaddingMultiple;
  if (packetLength >= mtu) return packetLength;
  return rounded < mtu ? rounded : mtu;
}

} // namespace tunnelsim::wireguard

#include "handshake.h"

#include "messages.h"

namespace tunnelsim::wireguard {

ByteView WireGuardPrologue() {
  return ByteView(reinterpret_cast<const uint8_t *>(kWireGuardIdentifier),
                  sizeof(kWireGuardIdentifier) - 1);
}

void Handshake::Clear() {
  noise.Wipe();
  state = HandshakeState::Zeroed;
  localIndex = 0;
  remoteIndex = 0;
}

bool CreateInitiation(Handshake &handshake, const X25519KeyPair &localStatic,
                      const X25519PublicKey &remoteStatic, const X25519KeyPair &ephemeral,
                      uint32_t senderIndex, const crypto::Tai64n &timestamp, uint8_t *message) {
  handshake.noise.StartInitiator(WireGuardPrologue(), localStatic, remoteStatic);
  WriteMessageType(message, MessageType::HandshakeInitiation);
  StoreLe32(message + initiation::kSender, senderIndex);
  if (!handshake.noise.WriteMessageA(ephemeral, timestamp, message + initiation::kNoiseMessage)) {
    handshake.Clear();
    return false;
  }
  handshake.state = HandshakeState::InitiationCreated;
  handshake.localIndex = senderIndex;
  return true;
}

std::optional<ConsumedInitiation> ConsumeInitiation(ByteView message,
                                                    const X25519KeyPair &localStatic) {
  if (message.size() != initiation::kSize) return std::nullopt;
  ConsumedInitiation result;
  result.noise.StartResponder(WireGuardPrologue(), localStatic);
  if (!result.noise.ReadMessageA(
          message.subview(initiation::kNoiseMessage, initiation::kNoiseMessageSize),
          result.timestamp.data()))
    return std::nullopt;
  result.senderIndex = LoadLe32(message.data() + initiation::kSender);
  return result;
}

bool CreateResponse(Handshake &handshake, const X25519KeyPair &ephemeral, const PresharedKey &psk,
                    uint32_t senderIndex, uint8_t *message) {
  if (handshake.state != HandshakeState::InitiationConsumed) return false;
  WriteMessageType(message, MessageType::HandshakeResponse);
  StoreLe32(message + response::kSender, senderIndex);
  StoreLe32(message + response::kReceiver, handshake.remoteIndex);
  if (!handshake.noise.WriteMessageB(ephemeral, psk, ByteView(),
                                     message + response::kNoiseMessage)) {
    handshake.Clear();
    return false;
  }
  handshake.state = HandshakeState::ResponseCreated;
  handshake.localIndex = senderIndex;
  return true;
}

bool ConsumeResponse(Handshake &handshake, ByteView message, const PresharedKey &psk) {
  if (handshake.state != HandshakeState::InitiationCreated) return false;
  if (message.size() != response::kSize) return false;
  uint8_t emptyPayload[1];
  if (!handshake.noise.ReadMessageB(
          message.subview(response::kNoiseMessage, response::kNoiseMessageSize), psk, emptyPayload))
    return false;
  handshake.remoteIndex = LoadLe32(message.data() + response::kSender);
  return true;
}

} // namespace tunnelsim::wireguard

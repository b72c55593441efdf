// The device's receive path (wireguard-go's receive.go): classify a datagram, check the
// handshake MACs and load, consume initiations, responses and cookie replies, decrypt and
// filter transport data, learn the peer's endpoint.
#include "device.h"

#include "common/ip_packet.h"
#include "crypto/tai64n.h"
#include "messages.h"

namespace tunnelsim::wireguard {

using crypto::Bytes;
using crypto::ByteView;

void Device::OnDatagram(ByteView datagram, const Endpoint &from, Time now, Actions &out) {
  X25519Meter meter(counters_.x25519Operations);
  auto type = ClassifyMessage(datagram);
  if (!type) {
    Drop(DropReason::Malformed, now, nullptr, from);
  } else {
    switch (*type) {
    case MessageType::HandshakeInitiation:
      HandleInitiation(datagram, from, now, out);
      break;
    case MessageType::HandshakeResponse:
      HandleResponse(datagram, from, now, out);
      break;
    case MessageType::CookieReply:
      HandleCookieReply(datagram, from, now);
      break;
    case MessageType::TransportData:
      HandleTransport(datagram, from, now, out);
      break;
    }
  }
  ReindexTouchedPeers();
  out.nextTimer = NextTimer();
}

bool Device::CountHandshakeLoad(Time now) {
  const Constants &c = config_.constants;
  if (now - loadWindowStart_ >= Seconds(1) || now < loadWindowStart_) {
    loadWindowStart_ = now;
    loadWindowCount_ = 0;
  }
  ++loadWindowCount_;
  if (loadWindowCount_ >= c.underLoadHandshakesPerSecond) lastUnderLoad_ = now;
  return UnderLoad(now);
}

bool Device::UnderLoad(Time now) const {
  return lastUnderLoad_ && now - *lastUnderLoad_ < config_.constants.underLoadHoldTime;
}

bool Device::CheckHandshakeMacs(ByteView message, size_t mac1Offset, uint32_t senderIndex,
                                const Endpoint &from, Time now, Actions &out) {
  const bool underLoad = CountHandshakeLoad(now);
  // MAC1 first: it costs one keyed hash and keeps unauthenticated traffic away from DH.
  if (!cookieChecker_.CheckMac1(message, mac1Offset)) {
    Drop(DropReason::BadMac1, now, nullptr, from);
    return false;
  }
  if (!underLoad) return true;
  if (!cookieChecker_.CheckMac2(message, mac1Offset, from, now, rng_)) {
    Bytes reply(cookie_reply::kSize);
    cookieChecker_.CreateReply(message, mac1Offset, senderIndex, from, now, rng_, reply.data());
    out.toNetwork.push_back(Datagram{from, std::move(reply)});
    ++counters_.cookieRepliesSent;
    Emit(EventType::CookieReplySent, now, nullptr, from);
    Drop(DropReason::CookieRequired, now, nullptr, from);
    return false;
  }
  if (!rateLimiter_.Allow(from.address, now)) {
    Drop(DropReason::RateLimited, now, nullptr, from);
    return false;
  }
  return true;
}

void Device::HandleInitiation(ByteView message, const Endpoint &from, Time now, Actions &out) {
  const uint32_t sender = LoadLe32(message.data() + initiation::kSender);
  if (!CheckHandshakeMacs(message, initiation::kMac1, sender, from, now, out)) return;
  auto consumed = ConsumeInitiation(message, static_);
  if (!consumed) {
    Drop(DropReason::HandshakeFailed, now, nullptr, from);
    return;
  }
  Peer *peer = FindPeer(consumed->noise.remoteStatic());
  if (!peer) {
    Drop(DropReason::UnknownPeer, now, nullptr, from);
    return;
  }
  Handshake &hs = peer->handshake_;
  if (!crypto::Tai64nAfter(consumed->timestamp, hs.latestTimestamp)) {
    Drop(DropReason::StaleTimestamp, now, peer, from);
    return;
  }
  if (hs.lastInitiationConsumed &&
      now - *hs.lastInitiationConsumed < config_.constants.minInitiationInterval) {
    Drop(DropReason::InitiationFlood, now, peer, from);
    return;
  }
  ClearHandshake(*peer);
  hs.latestTimestamp = consumed->timestamp;
  hs.lastInitiationConsumed = now;
  hs.noise = std::move(consumed->noise);
  hs.remoteIndex = consumed->senderIndex;
  hs.state = HandshakeState::InitiationConsumed;
  consumed->noise.Wipe();

  ++counters_.handshakeInitiationsReceived;
  peer->counters_.rxDatagramBytes += message.size();
  Emit(EventType::HandshakeInitiationReceived, now, peer, from);
  UpdateEndpoint(*peer, from, now);
  Timers(*peer).AnyAuthenticatedPacketReceived();
  Timers(*peer).AnyAuthenticatedPacketTraversal(now, peer->persistentKeepalive_);
  SendHandshakeResponse(*peer, now, out);
}

void Device::HandleResponse(ByteView message, const Endpoint &from, Time now, Actions &out) {
  const uint32_t sender = LoadLe32(message.data() + response::kSender);
  if (!CheckHandshakeMacs(message, response::kMac1, sender, from, now, out)) return;
  const uint32_t receiver = LoadLe32(message.data() + response::kReceiver);
  const IndexTable::Entry *entry = indexTable_.Find(receiver);
  if (!entry || entry->keypair ||
      entry->peer->handshake_.state != HandshakeState::InitiationCreated ||
      entry->peer->handshake_.localIndex != receiver) {
    Drop(DropReason::UnexpectedResponse, now, entry ? entry->peer : nullptr, from);
    return;
  }
  Peer &peer = *entry->peer;
  if (!ConsumeResponse(peer.handshake_, message, peer.presharedKey_)) {
    Drop(DropReason::HandshakeFailed, now, &peer, from);
    return;
  }
  ++counters_.handshakeResponsesReceived;
  peer.counters_.rxDatagramBytes += message.size();
  Emit(EventType::HandshakeResponseReceived, now, &peer, from);
  UpdateEndpoint(peer, from, now);
  Timers(peer).AnyAuthenticatedPacketReceived();
  Timers(peer).AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  BeginSession(peer, now);
  ConfirmSession(peer, now);
  Timers(peer).SessionDerived(now, config_.constants);
  Timers(peer).HandshakeComplete();
  // Sends what waited for the session, or a keepalive so the responder gets key
  // confirmation at once.
  SendKeepalive(peer, now, out);
}

void Device::HandleCookieReply(ByteView message, const Endpoint &from, Time now) {
  const uint32_t receiver = LoadLe32(message.data() + cookie_reply::kReceiver);
  const IndexTable::Entry *entry = indexTable_.Find(receiver);
  if (!entry) {
    Drop(DropReason::UnexpectedResponse, now, nullptr, from);
    return;
  }
  Peer &peer = *entry->peer;
  if (!peer.cookieGenerator_.ConsumeReply(message, now)) {
    Drop(DropReason::BadCookieReply, now, &peer, from);
    return;
  }
  ++counters_.cookieRepliesReceived;
  Emit(EventType::CookieReplyReceived, now, &peer, from);
}

void Device::HandleTransport(ByteView message, const Endpoint &from, Time now, Actions &out) {
  const Constants &c = config_.constants;
  const uint32_t receiver = LoadLe32(message.data() + transport::kReceiver);
  const IndexTable::Entry *entry = indexTable_.Find(receiver);
  if (!entry || !entry->keypair) {
    Drop(DropReason::UnknownIndex, now, entry ? entry->peer : nullptr, from);
    return;
  }
  Peer &peer = *entry->peer;
  Keypair &keypair = *entry->keypair;
  const uint64_t counter = LoadLe64(message.data() + transport::kCounter);
  if (!keypair.valid || now - keypair.created >= c.rejectAfterTime ||
      counter >= c.rejectAfterMessages) {
    Drop(DropReason::KeyExpired, now, &peer, from);
    return;
  }
  ByteView ciphertext = message.subview(transport::kHeaderSize);
  Bytes plaintext = TakeBuffer(ciphertext.size() - crypto::kAeadTagSize);
  if (!NoiseTransportOpen(keypair.receivingKey, counter, ciphertext, plaintext.data())) {
    Drop(DropReason::DecryptFailed, now, &peer, from);
    return;
  }
  if (!keypair.receivingFilter.ValidateAndRecord(counter)) {
    Drop(DropReason::Replay, now, &peer, from);
    return;
  }
  peer.counters_.rxDatagramBytes += message.size();
  UpdateEndpoint(peer, from, now);
  std::vector<KeypairPtr> retired;
  if (peer.keypairs_.ConfirmIfNext(&keypair, retired)) {
    RetireKeypairs(retired);
    ConfirmSession(peer, now);
    Timers(peer).HandshakeComplete();
    SendStaged(peer, now, out);
  }
  KeepKeyFreshReceiving(peer, now, out);
  Timers(peer).AnyAuthenticatedPacketReceived();
  Timers(peer).AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  if (plaintext.empty()) {
    ++counters_.keepalivesReceived;
    ++peer.counters_.keepalivesReceived;
    Emit(EventType::KeepaliveReceived, now, &peer, from);
    return;
  }
  Timers(peer).DataReceived(now, c);
  auto info = ParseIpPacket(plaintext.data(), plaintext.size());
  if (!info) {
    Drop(DropReason::InvalidInnerPacket, now, &peer, from);
    return;
  }
  if (allowedIps_.Lookup(info->source) != &peer) {
    Drop(DropReason::BadAllowedIp, now, &peer, from);
    return;
  }
  plaintext.resize(info->totalLength); // strip the padding
  ++counters_.dataPacketsReceived;
  counters_.dataBytesReceived += plaintext.size();
  ++peer.counters_.rxPackets;
  peer.counters_.rxBytes += plaintext.size();
  out.toTunnel.push_back(std::move(plaintext));
}

void Device::UpdateEndpoint(Peer &peer, const Endpoint &from, Time now) {
  if (peer.endpoint_ && *peer.endpoint_ == from) return;
  peer.endpoint_ = from;
  Emit(EventType::EndpointChanged, now, &peer, from);
}

} // namespace tunnelsim::wireguard

#include "device.h"

#include "common/ip_packet.h"
#include "crypto/tai64n.h"
#include "messages.h"

#include <cstring>
#include <stdexcept>

namespace tunnelsim::wireguard {

using crypto::Bytes;
using crypto::ByteView;

Device::Device(DeviceConfig config, crypto::RandomSource &rng, Time now)
    : config_(std::move(config)), rng_(rng),
      static_(crypto::X25519KeyPairFromPrivate(config_.privateKey)),
      cookieChecker_(static_.publicKey, config_.constants.cookieSecretMaxAge),
      rateLimiter_(config_.constants.ratelimitPacketsPerSecond, config_.constants.ratelimitBurst,
                   config_.constants.ratelimitMaxEntries),
      loadWindowStart_(now) {
  // Rejects an unusable replay window now rather than at the first handshake.
  ReplayFilter(config_.constants.rejectAfterMessages, config_.constants.replayWindow);
  for (const PeerConfig &peer : config_.peers)
    AddPeer(peer, now);
}

Peer &Device::AddPeer(const PeerConfig &config, Time now) {
  if (config.publicKey == static_.publicKey)
    throw std::invalid_argument("a peer cannot have the device's own public key");
  if (peers_.count(config.publicKey))
    throw std::invalid_argument("duplicate peer public key " + crypto::ToBase64(config.publicKey));
  auto owned = std::make_unique<Peer>(config, config_.constants);
  Peer &peer = *owned;
  peers_.emplace(config.publicKey, std::move(owned));
  for (const IpPrefix &prefix : config.allowedIps)
    allowedIps_.Insert(prefix, &peer);
  if (peer.persistentKeepalive_.count() > 0 && peer.endpoint_)
    peer.timers_.persistentKeepalive = now;
  return peer;
}

bool Device::RemovePeer(const crypto::X25519PublicKey &publicKey) {
  auto it = peers_.find(publicKey);
  if (it == peers_.end()) return false;
  Peer &peer = *it->second;
  std::vector<KeypairPtr> retired;
  peer.keypairs_.Clear(retired);
  RetireKeypairs(retired);
  ClearHandshake(peer);
  peer.cookieGenerator_.Clear();
  allowedIps_.RemoveOwner(&peer);
  peers_.erase(it);
  return true;
}

Peer *Device::FindPeer(const crypto::X25519PublicKey &publicKey) {
  auto it = peers_.find(publicKey);
  return it == peers_.end() ? nullptr : it->second.get();
}

const Peer *Device::FindPeer(const crypto::X25519PublicKey &publicKey) const {
  auto it = peers_.find(publicKey);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::vector<const Peer *> Device::Peers() const {
  std::vector<const Peer *> out;
  for (const auto &entry : peers_)
    out.push_back(entry.second.get());
  return out;
}

Time Device::NextTimer() const {
  Time next = kNever;
  for (const auto &entry : peers_)
    next = std::min(next, entry.second->timers_.NextDeadline());
  return next;
}

Actions Device::OnTunnelPacket(Bytes ipPacket, Time now) {
  Actions out;
  OnTunnelPacket(std::move(ipPacket), now, out);
  return out;
}

Actions Device::OnDatagram(ByteView datagram, const Endpoint &from, Time now) {
  Actions out;
  OnDatagram(datagram, from, now, out);
  return out;
}

Actions Device::OnTimer(Time now) {
  Actions out;
  OnTimer(now, out);
  return out;
}

// ---- observation ----------------------------------------------------------------------

void Device::Emit(EventType type, Time now, const Peer *peer,
                  const std::optional<Endpoint> &endpoint) {
  if (!observer_) return;
  Event event{type,   now, peer ? &peer->publicKey_ : nullptr, endpoint, DropReason::Malformed,
              nullptr};
  observer_->OnEvent(event);
}

void Device::Drop(DropReason reason, Time now, const Peer *peer,
                  const std::optional<Endpoint> &endpoint) {
  ++counters_.drops[static_cast<size_t>(reason)];
  if (!observer_) return;
  Event event{
      EventType::PacketDropped, now, peer ? &peer->publicKey_ : nullptr, endpoint, reason, nullptr};
  observer_->OnEvent(event);
}

void Device::EmitKeyLog(const Peer &peer, const X25519PrivateKey &ephemeral, Time now) {
  if (!config_.exportKeyLog || !observer_) return;
  KeyLogEntry entry;
  entry.localStaticPrivate = static_.privateKey;
  entry.remoteStaticPublic = peer.publicKey_;
  entry.localEphemeralPrivate = ephemeral;
  entry.presharedKey = peer.presharedKey_;
  Event event{EventType::KeyLog,     now,   &peer.publicKey_, peer.endpoint_,
              DropReason::Malformed, &entry};
  observer_->OnEvent(event);
}

// ---- receive path ---------------------------------------------------------------------

void Device::OnDatagram(ByteView datagram, const Endpoint &from, Time now, Actions &out) {
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
  peer->timers_.AnyAuthenticatedPacketReceived();
  peer->timers_.AnyAuthenticatedPacketTraversal(now, peer->persistentKeepalive_);
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
  peer.timers_.AnyAuthenticatedPacketReceived();
  peer.timers_.AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  BeginSession(peer, now);
  ConfirmSession(peer, now);
  peer.timers_.SessionDerived(now, config_.constants);
  peer.timers_.HandshakeComplete();
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
  Bytes plaintext(ciphertext.size() - crypto::kAeadTagSize);
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
    peer.timers_.HandshakeComplete();
    SendStaged(peer, now, out);
  }
  KeepKeyFreshReceiving(peer, now, out);
  peer.timers_.AnyAuthenticatedPacketReceived();
  peer.timers_.AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  if (plaintext.empty()) {
    ++counters_.keepalivesReceived;
    ++peer.counters_.keepalivesReceived;
    Emit(EventType::KeepaliveReceived, now, &peer, from);
    return;
  }
  peer.timers_.DataReceived(now, c);
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

// ---- send path ------------------------------------------------------------------------

void Device::OnTunnelPacket(Bytes ipPacket, Time now, Actions &out) {
  auto info = ParseIpPacket(ipPacket.data(), ipPacket.size());
  if (!info) {
    Drop(DropReason::InvalidInnerPacket, now, nullptr, std::nullopt);
  } else if (Peer *peer = allowedIps_.Lookup(info->destination); !peer) {
    Drop(DropReason::NoPeerForDestination, now, nullptr, std::nullopt);
  } else if (!peer->endpoint_) {
    Drop(DropReason::NoEndpoint, now, peer, std::nullopt);
  } else {
    ipPacket.resize(info->totalLength);
    peer->staged_.push_back(std::move(ipPacket));
    SendStaged(*peer, now, out);
    while (peer->staged_.size() > config_.constants.maxStagedPackets) {
      peer->staged_.pop_front();
      Drop(DropReason::StagedQueueFull, now, peer, peer->endpoint_);
    }
  }
  out.nextTimer = NextTimer();
}

bool Device::CanSendOn(const Keypair *keypair, Time now) const {
  const Constants &c = config_.constants;
  return keypair && keypair->valid && now - keypair->created < c.rejectAfterTime &&
         keypair->sendingCounter < c.rejectAfterMessages;
}

void Device::SendStaged(Peer &peer, Time now, Actions &out) {
  if (peer.staged_.empty()) return;
  Keypair *keypair = peer.keypairs_.current().get();
  if (!CanSendOn(keypair, now) || !peer.endpoint_) {
    SendQueuedHandshakeInitiation(peer, now, out, false);
    return;
  }
  while (!peer.staged_.empty()) {
    if (!CanSendOn(keypair, now)) {
      SendQueuedHandshakeInitiation(peer, now, out, false);
      return;
    }
    Bytes packet = std::move(peer.staged_.front());
    peer.staged_.pop_front();
    EncryptAndSend(peer, *keypair, std::move(packet), now, out);
  }
  KeepKeyFreshSending(peer, now, out);
}

void Device::EncryptAndSend(Peer &peer, Keypair &keypair, Bytes packet, Time now, Actions &out) {
  const size_t length = packet.size();
  const bool isKeepalive = length == 0;
  const size_t padded = PaddedLength(length, config_.mtu);
  const uint64_t counter = keypair.sendingCounter++;
  // Encrypt in place: slide the packet behind the header, pad, seal over itself.
  packet.resize(transport::kHeaderSize + padded + crypto::kAeadTagSize);
  std::memmove(packet.data() + transport::kHeaderSize, packet.data(), length);
  std::memset(packet.data() + transport::kHeaderSize + length, 0, padded - length);
  WriteMessageType(packet.data(), MessageType::TransportData);
  StoreLe32(packet.data() + transport::kReceiver, keypair.remoteIndex);
  StoreLe64(packet.data() + transport::kCounter, counter);
  NoiseTransportSeal(keypair.sendingKey, counter,
                     ByteView(packet.data() + transport::kHeaderSize, padded),
                     packet.data() + transport::kHeaderSize);
  SendToPeer(peer, std::move(packet), out);

  peer.timers_.AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  peer.timers_.AnyAuthenticatedPacketSent();
  if (isKeepalive) {
    ++counters_.keepalivesSent;
    ++peer.counters_.keepalivesSent;
    Emit(EventType::KeepaliveSent, now, &peer, peer.endpoint_);
  } else {
    ++counters_.dataPacketsSent;
    counters_.dataBytesSent += length;
    ++peer.counters_.txPackets;
    peer.counters_.txBytes += length;
    peer.timers_.DataSent(now, config_.constants, rng_);
  }
}

void Device::SendToPeer(Peer &peer, Bytes message, Actions &out) {
  peer.counters_.txDatagramBytes += message.size();
  out.toNetwork.push_back(Datagram{*peer.endpoint_, std::move(message)});
}

void Device::SendKeepalive(Peer &peer, Time now, Actions &out) {
  if (peer.staged_.empty()) peer.staged_.emplace_back();
  SendStaged(peer, now, out);
}

void Device::KeepKeyFreshSending(Peer &peer, Time now, Actions &out) {
  const Constants &c = config_.constants;
  const Keypair *keypair = peer.keypairs_.current().get();
  if (keypair && keypair->valid &&
      (keypair->sendingCounter > c.rekeyAfterMessages ||
       (keypair->isInitiator && now - keypair->created >= c.rekeyAfterTime)))
    SendQueuedHandshakeInitiation(peer, now, out, false);
}

void Device::KeepKeyFreshReceiving(Peer &peer, Time now, Actions &out) {
  const Constants &c = config_.constants;
  if (peer.timers_.sentLastMinuteHandshake) return;
  const Keypair *keypair = peer.keypairs_.current().get();
  if (keypair && keypair->valid && keypair->isInitiator &&
      now - keypair->created >= c.rejectAfterTime - c.keepaliveTimeout - c.rekeyTimeout) {
    peer.timers_.sentLastMinuteHandshake = true;
    SendQueuedHandshakeInitiation(peer, now, out, false);
  }
}

void Device::SendQueuedHandshakeInitiation(Peer &peer, Time now, Actions &out, bool isRetry) {
  if (!isRetry) peer.timers_.handshakeAttempts = 0;
  SendHandshakeInitiation(peer, now, out, isRetry);
}

void Device::SendHandshakeInitiation(Peer &peer, Time now, Actions &out, bool /*isRetry*/) {
  const Constants &c = config_.constants;
  if (peer.lastSentHandshake_ && now - *peer.lastSentHandshake_ < c.rekeyTimeout) return;
  if (!peer.endpoint_) return;
  peer.lastSentHandshake_ = now;

  ClearHandshake(peer);
  X25519KeyPair ephemeral = crypto::GenerateX25519KeyPair(rng_);
  const uint32_t index = indexTable_.AllocateForHandshake(&peer, rng_);
  // Like Linux and wireguard-go, round the nanoseconds down to 2^24 ns (~16.8 ms, the
  // largest power of two below 1 s / 50 initiations) so the timestamp leaks no fine timing.
  const uint64_t wallNanos =
      static_cast<uint64_t>(std::max<int64_t>(0, (config_.wallClockOffset + now).count()));
  const uint64_t seconds = wallNanos / 1000000000u;
  const uint32_t nanos = static_cast<uint32_t>(wallNanos % 1000000000u) & ~((1u << 24) - 1);
  const crypto::Tai64n timestamp = crypto::Tai64nFromUnix(seconds, nanos);
  Bytes message(initiation::kSize);
  if (!CreateInitiation(peer.handshake_, static_, peer.publicKey_, ephemeral, index, timestamp,
                        message.data())) {
    indexTable_.Remove(index);
    return;
  }
  EmitKeyLog(peer, ephemeral.privateKey, now);
  peer.cookieGenerator_.AddMacs(message.data(), initiation::kMac1, now);
  peer.timers_.AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  peer.timers_.AnyAuthenticatedPacketSent();
  SendToPeer(peer, std::move(message), out);
  ++counters_.handshakeInitiationsSent;
  ++peer.counters_.handshakeInitiationsSent;
  Emit(EventType::HandshakeInitiationSent, now, &peer, peer.endpoint_);
  peer.timers_.HandshakeInitiated(now, c, rng_);
}

void Device::SendHandshakeResponse(Peer &peer, Time now, Actions &out) {
  X25519KeyPair ephemeral = crypto::GenerateX25519KeyPair(rng_);
  const uint32_t index = indexTable_.AllocateForHandshake(&peer, rng_);
  Bytes message(response::kSize);
  if (!CreateResponse(peer.handshake_, ephemeral, peer.presharedKey_, index, message.data())) {
    indexTable_.Remove(index);
    Drop(DropReason::HandshakeFailed, now, &peer, peer.endpoint_);
    return;
  }
  EmitKeyLog(peer, ephemeral.privateKey, now);
  peer.cookieGenerator_.AddMacs(message.data(), response::kMac1, now);
  BeginSession(peer, now);
  peer.timers_.SessionDerived(now, config_.constants);
  peer.timers_.AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  peer.timers_.AnyAuthenticatedPacketSent();
  // A responder does not start its own handshake within REKEY_TIMEOUT of answering one.
  peer.lastSentHandshake_ = now;
  SendToPeer(peer, std::move(message), out);
  ++counters_.handshakeResponsesSent;
  ++peer.counters_.handshakeResponsesSent;
  Emit(EventType::HandshakeResponseSent, now, &peer, peer.endpoint_);
}

// ---- sessions -------------------------------------------------------------------------

void Device::BeginSession(Peer &peer, Time now) {
  Handshake &hs = peer.handshake_;
  const bool isInitiator = hs.noise.role() == NoiseIkpsk2::Role::Initiator;
  auto keypair = std::make_shared<Keypair>(
      hs.noise.Split(), isInitiator, hs.localIndex, hs.remoteIndex, now,
      config_.constants.rejectAfterMessages, config_.constants.replayWindow);
  indexTable_.BindKeypair(hs.localIndex, keypair.get());
  hs.Clear(); // the index now belongs to the keypair
  const bool isRekey = peer.keypairs_.current() != nullptr || peer.keypairs_.next() != nullptr;
  std::vector<KeypairPtr> retired;
  peer.keypairs_.Install(std::move(keypair), retired);
  RetireKeypairs(retired);
  ++counters_.handshakesCompleted;
  ++peer.counters_.handshakesCompleted;
  peer.counters_.lastHandshake = now;
  if (isRekey) ++counters_.rekeys;
  Emit(EventType::HandshakeCompleted, now, &peer, peer.endpoint_);
}

void Device::ConfirmSession(Peer &peer, Time now) {
  ++counters_.sessionsConfirmed;
  ++peer.counters_.sessionsConfirmed;
  Emit(EventType::SessionConfirmed, now, &peer, peer.endpoint_);
}

void Device::RetireKeypairs(std::vector<KeypairPtr> &retired) {
  for (KeypairPtr &keypair : retired) {
    const IndexTable::Entry *entry = indexTable_.Find(keypair->localIndex);
    if (entry && entry->keypair == keypair.get()) indexTable_.Remove(keypair->localIndex);
    keypair->Wipe();
  }
  retired.clear();
}

void Device::ClearHandshake(Peer &peer) {
  Handshake &hs = peer.handshake_;
  if (hs.state != HandshakeState::Zeroed) {
    const IndexTable::Entry *entry = indexTable_.Find(hs.localIndex);
    if (entry && !entry->keypair && entry->peer == &peer) indexTable_.Remove(hs.localIndex);
  }
  hs.Clear();
}

void Device::ZeroKeyMaterial(Peer &peer, Time now) {
  std::vector<KeypairPtr> retired;
  peer.keypairs_.Clear(retired);
  RetireKeypairs(retired);
  ClearHandshake(peer);
  ++counters_.keysZeroed;
  Emit(EventType::KeysZeroed, now, &peer, peer.endpoint_);
}

// ---- timers ---------------------------------------------------------------------------

void Device::OnTimer(Time now, Actions &out) {
  for (auto &entry : peers_) {
    Peer &peer = *entry.second;
    // Each expiry disarms its timer; a handler may re-arm one only in the future unless a
    // constant is zero, so bound the loop for such what-if settings.
    for (int guard = 0; guard < 64; ++guard) {
      auto kind = peer.timers_.PopExpired(now);
      if (!kind) break;
      FireTimer(peer, *kind, now, out);
    }
  }
  out.nextTimer = NextTimer();
}

void Device::FireTimer(Peer &peer, TimerKind kind, Time now, Actions &out) {
  const Constants &c = config_.constants;
  switch (kind) {
  case TimerKind::RetransmitHandshake:
    if (peer.timers_.handshakeAttempts > c.MaxHandshakeAttempts()) {
      peer.timers_.sendKeepalive = kNever;
      while (!peer.staged_.empty()) {
        peer.staged_.pop_front();
        Drop(DropReason::HandshakeGaveUp, now, &peer, peer.endpoint_);
      }
      ++counters_.handshakesFailed;
      Emit(EventType::HandshakeGaveUp, now, &peer, peer.endpoint_);
      if (peer.timers_.zeroKeyMaterial == kNever)
        peer.timers_.zeroKeyMaterial = now + c.zeroKeyMaterialAfter;
    } else {
      ++peer.timers_.handshakeAttempts;
      SendHandshakeInitiation(peer, now, out, true);
    }
    break;
  case TimerKind::SendKeepalive:
    SendKeepalive(peer, now, out);
    if (peer.timers_.needAnotherKeepalive) {
      peer.timers_.needAnotherKeepalive = false;
      peer.timers_.sendKeepalive = now + c.keepaliveTimeout;
    }
    break;
  case TimerKind::NewHandshake:
    SendQueuedHandshakeInitiation(peer, now, out, false);
    break;
  case TimerKind::ZeroKeyMaterial:
    ZeroKeyMaterial(peer, now);
    break;
  case TimerKind::PersistentKeepalive:
    if (peer.persistentKeepalive_.count() > 0) SendKeepalive(peer, now, out);
    break;
  }
}

} // namespace tunnelsim::wireguard

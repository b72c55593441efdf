// The device's send path (wireguard-go's send.go): route and stage inner packets, encrypt and
// pad transport data, keepalives, handshake initiations and responses, and the rekey checks
// made on every packet sent or received.
#include "device.h"

#include "common/ip_packet.h"
#include "crypto/tai64n.h"
#include "messages.h"

#include <cstring>

namespace tunnelsim::wireguard {

using crypto::Bytes;
using crypto::ByteView;

void Device::OnTunnelPacket(Bytes ipPacket, Time now, Actions &out) {
  X25519Meter meter(counters_.x25519Operations);
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
  ReindexTouchedPeers();
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

  Timers(peer).AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  Timers(peer).AnyAuthenticatedPacketSent();
  if (isKeepalive) {
    ++counters_.keepalivesSent;
    ++peer.counters_.keepalivesSent;
    Emit(EventType::KeepaliveSent, now, &peer, peer.endpoint_);
  } else {
    ++counters_.dataPacketsSent;
    counters_.dataBytesSent += length;
    ++peer.counters_.txPackets;
    peer.counters_.txBytes += length;
    Timers(peer).DataSent(now, config_.constants, rng_);
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
  if (Timers(peer).sentLastMinuteHandshake) return;
  const Keypair *keypair = peer.keypairs_.current().get();
  if (keypair && keypair->valid && keypair->isInitiator &&
      now - keypair->created >= c.rejectAfterTime - c.keepaliveTimeout - c.rekeyTimeout) {
    Timers(peer).sentLastMinuteHandshake = true;
    SendQueuedHandshakeInitiation(peer, now, out, false);
  }
}

void Device::SendQueuedHandshakeInitiation(Peer &peer, Time now, Actions &out, bool isRetry) {
  if (!isRetry) Timers(peer).handshakeAttempts = 0;
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
  Timers(peer).AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  Timers(peer).AnyAuthenticatedPacketSent();
  SendToPeer(peer, std::move(message), out);
  ++counters_.handshakeInitiationsSent;
  ++peer.counters_.handshakeInitiationsSent;
  Emit(EventType::HandshakeInitiationSent, now, &peer, peer.endpoint_);
  Timers(peer).HandshakeInitiated(now, c, rng_);
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
  Timers(peer).SessionDerived(now, config_.constants);
  Timers(peer).AnyAuthenticatedPacketTraversal(now, peer.persistentKeepalive_);
  Timers(peer).AnyAuthenticatedPacketSent();
  // A responder does not start its own handshake within REKEY_TIMEOUT of answering one.
  peer.lastSentHandshake_ = now;
  SendToPeer(peer, std::move(message), out);
  ++counters_.handshakeResponsesSent;
  ++peer.counters_.handshakeResponsesSent;
  Emit(EventType::HandshakeResponseSent, now, &peer, peer.endpoint_);
}

} // namespace tunnelsim::wireguard

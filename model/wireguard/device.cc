// The device itself (wireguard-go's device.go and peer.go): construction, the peer set, the
// next timer deadline, sessions (installing, confirming and retiring keypairs) and events. The
// three paths that drive it are device_send.cc, device_receive.cc and device_timers.cc.
#include "device.h"

#include <algorithm>
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
    Timers(peer).persistentKeepalive = now;
  ReindexTouchedPeers();
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
  if (peer.indexedDeadline_ != kNever) timerIndex_.erase({peer.indexedDeadline_, &peer});
  if (peer.timersTouched_)
    touchedPeers_.erase(std::find(touchedPeers_.begin(), touchedPeers_.end(), &peer));
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

namespace {
// Enough for the packets a call can leave in Actions::toTunnel at once in a data flow; more
// are freed rather than kept.
constexpr size_t kMaxSpareBuffers = 16;
} // namespace

void Device::RecycleBuffer(crypto::Bytes buffer) {
  // Kept at its size: TakeBuffer's resize to the next packet's (in a flow, about the same
  // size) then zero-fills only the difference, which the decryption overwrites anyway.
  if (spareBuffers_.size() >= kMaxSpareBuffers || buffer.capacity() == 0) return;
  spareBuffers_.push_back(std::move(buffer));
}

crypto::Bytes Device::TakeBuffer(size_t size) {
  crypto::Bytes buffer;
  if (!spareBuffers_.empty()) {
    buffer = std::move(spareBuffers_.back());
    spareBuffers_.pop_back();
  }
  buffer.resize(size);
  return buffer;
}

} // namespace tunnelsim::wireguard

// A WireGuard interface as a sans-IO state machine. The caller feeds it inner packets from
// the tunnel, UDP datagrams from the network and timer expiries, always with the current
// time, and carries out the returned actions: datagrams to send, packets to deliver to the
// tunnel, and the time at which OnTimer must be called next.
//
//   Device dev(config, rng);
//   Actions out;
//   dev.OnTunnelPacket(std::move(ipPacket), now, out);   // encrypt (or queue + handshake)
//   dev.OnDatagram(udpPayload, from, now, out);          // handshake / decrypt
//   if (now >= out.nextTimer) dev.OnTimer(now, out);     // retransmits, keepalives, rekeys
#pragma once

#include "allowedips.h"
#include "config.h"
#include "cookie.h"
#include "events.h"
#include "indextable.h"
#include "peer.h"
#include "ratelimiter.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace tunnelsim::wireguard {

struct Datagram {
  Endpoint to;
  crypto::Bytes data;
};

struct Actions {
  std::vector<Datagram> toNetwork;
  std::vector<crypto::Bytes> toTunnel;
  Time nextTimer = kNever; // call OnTimer at or after this time
  void Clear() {
    toNetwork.clear();
    toTunnel.clear();
    nextTimer = kNever;
  }
};

class Device {
public:
  // Adds config.peers at time `now`. Throws std::invalid_argument for a duplicate peer.
  Device(DeviceConfig config, crypto::RandomSource &rng, Time now = Time(0));
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  // Optional; must outlive the device or be reset to null.
  void SetObserver(EventObserver *observer) { observer_ = observer; }

  // Adds a peer at runtime. With a persistent keepalive and a known endpoint, a keepalive
  // (and so a handshake) is due at once, as when wg(8) sets one on a running interface.
  // Throws std::invalid_argument for a duplicate key or our own public key.
  Peer &AddPeer(const PeerConfig &config, Time now);
  // Removes a peer and wipes its keys. False when unknown.
  bool RemovePeer(const crypto::X25519PublicKey &publicKey);
  Peer *FindPeer(const crypto::X25519PublicKey &publicKey);
  const Peer *FindPeer(const crypto::X25519PublicKey &publicKey) const;
  std::vector<const Peer *> Peers() const;

  // Appends to `out` (without clearing it) and sets out.nextTimer.
  void OnTunnelPacket(crypto::Bytes ipPacket, Time now, Actions &out);
  void OnDatagram(crypto::ByteView datagram, const Endpoint &from, Time now, Actions &out);
  void OnTimer(Time now, Actions &out);

  // Convenience forms returning fresh Actions.
  Actions OnTunnelPacket(crypto::Bytes ipPacket, Time now);
  Actions OnDatagram(crypto::ByteView datagram, const Endpoint &from, Time now);
  Actions OnTimer(Time now);

  // Hands back a buffer the host is done with (an inner packet of Actions::toTunnel once it
  // is copied into the host's packet, say). The device keeps a few and reuses their capacity
  // for the next decrypted packets instead of allocating a buffer per packet. Optional.
  void RecycleBuffer(crypto::Bytes buffer);

  // The earliest armed timer over all peers: O(1), read from the deadline index.
  Time NextTimer() const;
  bool UnderLoad(Time now) const;

  const crypto::X25519PublicKey &publicKey() const { return static_.publicKey; }
  const DeviceConfig &config() const { return config_; }
  const Constants &constants() const { return config_.constants; }
  const DeviceCounters &counters() const { return counters_; }
  const AllowedIps<Peer> &allowedIps() const { return allowedIps_; }
  const IndexTable &indexTable() const { return indexTable_; }
  const CookieChecker &cookieChecker() const { return cookieChecker_; }

private:
  // Receive path (device_receive.cc).
  bool CheckHandshakeMacs(crypto::ByteView message, size_t mac1Offset, uint32_t senderIndex,
                          const Endpoint &from, Time now, Actions &out);
  void HandleInitiation(crypto::ByteView message, const Endpoint &from, Time now, Actions &out);
  void HandleResponse(crypto::ByteView message, const Endpoint &from, Time now, Actions &out);
  void HandleCookieReply(crypto::ByteView message, const Endpoint &from, Time now);
  void HandleTransport(crypto::ByteView message, const Endpoint &from, Time now, Actions &out);
  bool CountHandshakeLoad(Time now);

  // Send path (device_send.cc).
  void SendHandshakeInitiation(Peer &peer, Time now, Actions &out, bool isRetry);
  void SendQueuedHandshakeInitiation(Peer &peer, Time now, Actions &out, bool isRetry);
  void SendHandshakeResponse(Peer &peer, Time now, Actions &out);
  void SendKeepalive(Peer &peer, Time now, Actions &out);
  void SendStaged(Peer &peer, Time now, Actions &out);
  void EncryptAndSend(Peer &peer, Keypair &keypair, crypto::Bytes packet, Time now, Actions &out);
  void SendToPeer(Peer &peer, crypto::Bytes message, Actions &out);
  void KeepKeyFreshSending(Peer &peer, Time now, Actions &out);
  void KeepKeyFreshReceiving(Peer &peer, Time now, Actions &out);
  bool CanSendOn(const Keypair *keypair, Time now) const;

  // Sessions (device.cc) and timer expiries (device_timers.cc).
  void BeginSession(Peer &peer, Time now);
  void ConfirmSession(Peer &peer, Time now);
  void RetireKeypairs(std::vector<KeypairPtr> &retired);
  void ClearHandshake(Peer &peer);
  void ZeroKeyMaterial(Peer &peer, Time now);
  void FireTimer(Peer &peer, TimerKind kind, Time now, Actions &out);
  void UpdateEndpoint(Peer &peer, const Endpoint &from, Time now);

  // The deadline index (device_timers.cc). Every change to a peer's timers goes through
  // Timers(peer), which marks the peer; each public entry point ends with
  // ReindexTouchedPeers(), so NextTimer and OnTimer see only current deadlines without
  // scanning every peer.
  PeerTimers &Timers(Peer &peer);
  void ReindexTouchedPeers();
  void Reindex(Peer &peer);

  // Adds the X25519 operations done during its lifetime to counters_.x25519Operations.
  class X25519Meter {
  public:
    explicit X25519Meter(uint64_t &total) : total_(total), start_(crypto::X25519OperationCount()) {}
    ~X25519Meter() { total_ += crypto::X25519OperationCount() - start_; }
    X25519Meter(const X25519Meter &) = delete;
    X25519Meter &operator=(const X25519Meter &) = delete;

  private:
    uint64_t &total_;
    uint64_t start_;
  };

  // A buffer of `size` bytes (contents unspecified), from the recycled ones when there are.
  crypto::Bytes TakeBuffer(size_t size);

  // Observation.
  void Emit(EventType type, Time now, const Peer *peer, const std::optional<Endpoint> &endpoint);
  void Drop(DropReason reason, Time now, const Peer *peer, const std::optional<Endpoint> &endpoint);
  void EmitKeyLog(const Peer &peer, const X25519PrivateKey &ephemeral, Time now);

  DeviceConfig config_;
  crypto::RandomSource &rng_;
  X25519KeyPair static_;
  CookieChecker cookieChecker_;
  RateLimiter rateLimiter_;
  IndexTable indexTable_;
  AllowedIps<Peer> allowedIps_;
  std::map<crypto::X25519PublicKey, std::unique_ptr<Peer>> peers_;
  // (earliest deadline, peer) for every peer with an armed timer; see Peer::indexedDeadline_.
  std::set<std::pair<Time, Peer *>> timerIndex_;
  std::vector<Peer *> touchedPeers_;        // peers whose timers changed since the last reindex
  std::vector<crypto::Bytes> spareBuffers_; // see RecycleBuffer
  DeviceCounters counters_;
  EventObserver *observer_ = nullptr;

  Time loadWindowStart_{0};
  uint64_t loadWindowCount_ = 0;
  std::optional<Time> lastUnderLoad_;
};

} // namespace tunnelsim::wireguard

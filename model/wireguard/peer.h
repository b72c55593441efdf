// One configured peer's state: identity, endpoint, handshake, keypairs, cookie state,
// timers, packets waiting for a session and counters. The Device drives it; the accessors
// let a simulation or a test inspect everything.
#pragma once

#include "config.h"
#include "cookie.h"
#include "events.h"
#include "handshake.h"
#include "keypair.h"
#include "timers.h"

#include <deque>
#include <optional>

namespace tunnelsim::wireguard {

class Peer {
public:
  Peer(const PeerConfig &config, const Constants &constants);
  Peer(const Peer &) = delete;
  Peer &operator=(const Peer &) = delete;

  const crypto::X25519PublicKey &publicKey() const { return publicKey_; }
  const std::optional<Endpoint> &endpoint() const { return endpoint_; }
  Duration persistentKeepalive() const { return persistentKeepalive_; }
  bool hasPresharedKey() const { return hasPresharedKey_; }
  const Keypairs &keypairs() const { return keypairs_; }
  const Handshake &handshake() const { return handshake_; }
  const PeerTimers &timers() const { return timers_; }
  const PeerCounters &counters() const { return counters_; }
  const CookieGenerator &cookieGenerator() const { return cookieGenerator_; }
  size_t stagedPacketCount() const { return staged_.size(); }

private:
  friend class Device;

  crypto::X25519PublicKey publicKey_;
  PresharedKey presharedKey_; // all zeros when none is configured, as the protocol says
  bool hasPresharedKey_;
  std::optional<Endpoint> endpoint_;
  Duration persistentKeepalive_;
  Handshake handshake_;
  Keypairs keypairs_;
  CookieGenerator cookieGenerator_;
  PeerTimers timers_;
  // The key under which the device's deadline index holds this peer (kNever: not held), and
  // whether the peer waits in the device's list of peers to reindex.
  Time indexedDeadline_ = kNever;
  bool timersTouched_ = false;
  std::optional<Time> lastSentHandshake_;
  std::deque<crypto::Bytes> staged_;
  PeerCounters counters_;
};

} // namespace tunnelsim::wireguard

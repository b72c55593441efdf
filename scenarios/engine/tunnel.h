// How the engine sees a tunnel: something installed on the two gateways that carries the
// traffic between the home LAN and the work LAN, and that reports counters afterwards. Each
// tunnel type lives in its own file under tunnels/ and is listed once in tunnel_registry.cc.
#pragma once

#include "tunnel/spec.h"

#include "ns3/ipv4-address.h"
#include "ns3/net-device.h"
#include "ns3/node.h"
#include "ns3/ptr.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

// One gateway as a tunnel sees it.
struct TunnelGateway {
  ns3::Ptr<ns3::Node> node;
  ns3::Ptr<ns3::NetDevice> wanDevice; // the device towards the other gateway
  ns3::Ipv4Address wanAddress;        // the outer (underlay) address tunnel packets use
  ns3::Ipv4Address lanNetwork;        // the LAN behind this gateway
  ns3::Ipv4Mask lanMask;
};

struct TunnelContext {
  TunnelGateway home;
  TunnelGateway work;
  uint64_t seed = 1;                  // for the tunnel's own random sources
  tunnelsim::tunnel::TunnelSpec spec; // the scenario's [tunnel] table (TunnelSpecFrom)
  std::filesystem::path outDir;       // where key logs and tunnel pcaps go
  bool keyLog = false;
  bool pcap = false;
};

// Counters every tunnel reports (zero where a tunnel has no such thing), plus its own extras.
struct TunnelCounters {
  uint64_t handshakes = 0;    // completed handshakes / IKE SA + child SA establishments
  uint64_t rekeys = 0;        // completed rekeys (handshakes after the first)
  uint64_t replayDrops = 0;   // packets dropped by the anti-replay check
  uint64_t authFailures = 0;  // packets whose authentication (AEAD tag, ICV) failed
  uint64_t overheadBytes = 0; // bytes added on the wire by encapsulation, both gateways
  uint64_t packetsEncapsulated = 0;
  uint64_t packetsDecapsulated = 0;
  nlohmann::json extra = nlohmann::json::object(); // tunnel-specific counters

  nlohmann::json ToJson() const;
};

// One control-plane event of a tunnel (handshake, rekey, SA install), for the timeline in
// results.json: {"time_s", "kind", "side"}.
struct TunnelEvent {
  double timeSeconds = 0;
  std::string kind; // e.g. handshake_complete, rekey, ike_sa_established, child_sa_rekey
  std::string side; // "home" or "work"
};

// Records events at the current simulation time, in the order they happen.
class TunnelEventLog {
public:
  void Record(const std::string &kind, const std::string &side);
  const std::vector<TunnelEvent> &Events() const { return events_; }

private:
  std::vector<TunnelEvent> events_;
};

class Tunnel {
public:
  virtual ~Tunnel() = default;
  // Called after addressing and global routing are in place; must leave the gateways routing
  // each other's LAN through the tunnel. Throws std::runtime_error when it cannot.
  virtual void Install(const TunnelContext &context) = 0;
  // Read after the simulation has run.
  virtual TunnelCounters Counters() const = 0;
  // Control-plane events with their simulation times (empty for tunnels without any).
  virtual const std::vector<TunnelEvent> &Events() const;
};

} // namespace tunnelsim::scenario

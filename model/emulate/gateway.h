// A tunnel gateway inside the relay: inner packets from its LAN side become outer IPv4
// packets (real headers, real encryption) towards the other gateway, and outer packets from
// the WAN side become inner packets for its LAN, as the same sans-IO cores do in the ns-3
// gateways. The relay calls it with the model time at which the packet reaches it.
#pragma once

#include "common/time.h"
#include "tunnel/spec.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tunnelsim::emulate {

using Bytes = std::vector<uint8_t>;

struct GatewayOutput {
  std::vector<Bytes> toLan; // inner packets for this gateway's LAN
  std::vector<Bytes> toWan; // outer IPv4 packets for the other gateway
};

// What every gateway counts, in the terms of the engine's TunnelCounters.
struct GatewayCounters {
  uint64_t handshakes = 0;
  uint64_t rekeys = 0;
  uint64_t replayDrops = 0;
  uint64_t authFailures = 0;
  uint64_t packetsEncapsulated = 0;
  uint64_t packetsDecapsulated = 0;
  uint64_t innerBytesSent = 0; // inner bytes encapsulated
  uint64_t outerBytesSent = 0; // outer bytes (IPv4 header included) sent
  uint64_t tooBig = 0;         // inner packets above the tunnel MTU, dropped
  uint64_t drops = 0;          // every other drop (malformed, no session yet...)
  nlohmann::json extra = nlohmann::json::object();
};

class Gateway {
public:
  virtual ~Gateway() = default;
  virtual void FromLan(Bytes inner, Time now, GatewayOutput &out) = 0;
  virtual void FromWan(Bytes outer, Time now, GatewayOutput &out) = 0;
  // Protocol timers (WireGuard's; IKE's start, retransmissions and rekeys); kNever when none
  // is pending.
  virtual Time NextTimer() const { return kNever; }
  virtual void OnTimer(Time /*now*/, GatewayOutput & /*out*/) {}
  virtual GatewayCounters Counters() const = 0;
};

// Where the two gateways sit on the relay's path, and the scenario's tunnel spec (type and
// options, decoded once: scenarios/engine/tunnel_spec_json.h) for the tunnel between them.
struct TunnelSettings {
  tunnel::TunnelSpec spec;           // default: no tunnel
  uint64_t seed = 1;                 // derives every key, PSK and random stream
  uint32_t homeWan = 0, workWan = 0; // outer addresses (host byte order)
  uint32_t homeLan = 0, workLan = 0; // LAN networks, /24
  size_t innerMtu = 1500;            // inner packets above it are dropped (counted)
};

struct GatewayPair {
  std::unique_ptr<Gateway> home;
  std::unique_ptr<Gateway> work;
};

// Throws std::invalid_argument for an unknown type or unusable settings.
GatewayPair MakeGateways(const TunnelSettings &settings, Time now);

std::unique_ptr<Gateway> MakePlainGateway(const TunnelSettings &settings);
GatewayPair MakeWireGuardGateways(const TunnelSettings &settings, Time now);
GatewayPair MakeGreIpsecGateways(const TunnelSettings &settings, Time now);

} // namespace tunnelsim::emulate

// The relay's whole path between the two end hosts, sans-IO: per direction, the LAN hop, the
// sending gateway's tunnel core, the access and WAN hops, the receiving gateway's core and
// the far LAN hop, each hop with the scenario's impairments, rate, delay and queue:
//
//   home host -> home_lan.up -> home gw -> access.up -> wan.up -> work gw -> work_lan.up -> work
//   work host -> work_lan.down -> work gw -> wan.down -> access.down -> home gw -> home_lan.down
//
// Events are carried out in model time (each at its scheduled time, whatever the real clock
// says), so given the same packet arrivals the relay decides the same as on a virtual clock;
// the real clock only decides when a due packet is actually written to a host.
#pragma once

#include "emulate/esp_replay_analysis.h"
#include "emulate/gateway.h"
#include "emulate/link_hop.h"

#include <nlohmann/json.hpp>

#include <array>
#include <memory>
#include <vector>

namespace tunnelsim::emulate {

enum class Side { kHome, kWork };

// The hops in path order: the first four carry "up" (home to work), the last four "down".
enum HopIndex {
  kHomeLanUp,
  kAccessUp,
  kWanUp,
  kWorkLanUp,
  kWorkLanDown,
  kWanDown,
  kAccessDown,
  kHomeLanDown,
  kHopCount
};

struct RelaySettings {
  TunnelSettings tunnel;
  std::array<LinkHopSettings, kHopCount> hops;
};

struct Delivery {
  Side to = Side::kHome;
  Time due{0}; // model time at which it reaches the host
  Bytes packet;
};

struct RelayCounters {
  uint64_t fromHome = 0, fromWork = 0; // inner packets read from each host
  uint64_t toHome = 0, toWork = 0;     // inner packets delivered to each host
  uint64_t events = 0;                 // internal event steps carried out
};

class Relay {
public:
  // Throws std::invalid_argument when a setting cannot be honoured.
  Relay(const RelaySettings &settings, Time start);

  // An inner packet the host on `from` sent, at `now` (non-decreasing across all calls).
  void FromHost(Side from, Bytes packet, Time now);
  // The earliest model time at which something is due (kNever when idle).
  Time NextDeadline() const;
  // Carries out everything due at or before `now`; appends the packets for the hosts.
  void Advance(Time now, std::vector<Delivery> &out);

  const RelayCounters &Counters() const { return counters_; }
  const LinkHop &Hop(HopIndex index) const { return *hops_[index]; }
  const Gateway &HomeGateway() const { return *home_; }
  const Gateway &WorkGateway() const { return *work_; }
  // The anti-replay analysis of the outer ESP packets reaching either gateway, for tunnel
  // types that carry ESP (ipsec, gre-over-ipsec, strongswan); null for the others.
  const EspReplayAnalysis *EspAnalysis() const { return espAnalysis_.get(); }

  // {"access.down": {"netem": {...}, "ack": {...}}, ...} as the engine reports impairments.
  nlohmann::json ImpairmentsJson() const;
  // {"handshakes", ..., "extra": {"home": {...}, "work": {...}}} as the engine's tunnel counters.
  nlohmann::json TunnelCountersJson() const;
  // Per hop: packets, bytes, queue drops, deepest queue.
  nlohmann::json HopsJson() const;

private:
  void RunUntil(Time now);
  void Route(HopIndex from, Bytes packet, Time at);
  void Carry(Side gateway, GatewayOutput &output, Time at);

  RelaySettings settings_;
  std::array<std::unique_ptr<LinkHop>, kHopCount> hops_;
  std::unique_ptr<Gateway> home_, work_;
  std::unique_ptr<EspReplayAnalysis> espAnalysis_;
  std::vector<Delivery> ready_;
  std::vector<Released> scratch_;
  Time lastNow_{0};
  RelayCounters counters_;
};

const char *HopName(HopIndex index);

} // namespace tunnelsim::emulate

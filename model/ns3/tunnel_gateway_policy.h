// What a Linux gateway does to forwarded packets around its tunnel interface, beyond the
// tunnel itself: TCP MSS clamping (iptables -j TCPMSS in the FORWARD chain, both directions)
// and path MTU discovery's router half (RFC 1191: a DF packet too big for the next hop is
// dropped and answered with ICMP "fragmentation needed" carrying that hop's MTU). Shared by
// the WireGuard application and the GRE/IPsec gateway; configured from the tunnel spec's
// GatewaySpec (tunnel.clamp_mss, tunnel.pmtu_discovery), off by default.
#pragma once

#include "common/mss_clamp.h"
#include "tunnel/spec.h"

#include "ns3/node.h"
#include "ns3/ptr.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ns3 {

struct TunnelGatewayCounters {
  uint64_t clampedSyns = 0;         // SYNs whose MSS option was lowered or added
  uint64_t clampMalformed = 0;      // packets the clamp could not parse (passed untouched)
  uint64_t fragmentsIntoTunnel = 0; // IPv4 fragments the node handed to the tunnel
  uint64_t icmpFragNeededSent = 0;  // ICMP type 3 code 4 sent back to a sender
  uint64_t pmtuDrops = 0;           // DF packets too big for the tunnel, dropped
};

class TunnelGatewayPolicy {
public:
  // `innerMtu` is the tunnel interface's MTU (what "pmtu" clamps to and ICMP reports).
  void Configure(const tunnelsim::tunnel::GatewaySpec &spec, uint32_t innerMtu);
  bool ClampsMss() const { return m_clamp.has_value(); }
  // A packet the node routed into the tunnel, before encapsulation: clamped in place. Returns
  // false when it must be dropped instead (PMTU discovery; the ICMP error has been sent).
  bool FromLan(std::vector<uint8_t> &packet, Ptr<Node> node);
  // A decapsulated packet about to re-enter the node: clamped in place.
  void ToLan(std::vector<uint8_t> &packet);
  TunnelGatewayCounters Counters() const;

private:
  void SendFragmentationNeeded(const std::vector<uint8_t> &packet, Ptr<Node> node);

  std::optional<tunnelsim::MssClamp> m_clamp;
  bool m_pmtuDiscovery = false;
  uint32_t m_innerMtu = 0;
  TunnelGatewayCounters m_counters;
};

} // namespace ns3

#include "tunnel_gateway_policy.h"

#include "ns3/icmpv4-l4-protocol.h"
#include "ns3/ipv4-header.h"
#include "ns3/packet.h"

#include <algorithm>

namespace ns3 {
namespace {

constexpr uint16_t kDontFragment = 0x4000;
constexpr uint16_t kMoreFragments = 0x2000;
constexpr uint16_t kOffsetMask = 0x1fff;
// RFC 792: the error quotes the IP header and the first 64 bits of the datagram's data.
constexpr uint32_t kQuotedDataBytes = 8;

} // namespace

void TunnelGatewayPolicy::Configure(const tunnelsim::tunnel::GatewaySpec &spec, uint32_t innerMtu) {
  m_innerMtu = innerMtu;
  m_pmtuDiscovery = spec.pmtuDiscovery;
  m_clamp.reset();
  if (const std::optional<uint16_t> mss = spec.ClampMssFor(innerMtu)) m_clamp.emplace(*mss);
}

bool TunnelGatewayPolicy::FromLan(std::vector<uint8_t> &packet, Ptr<Node> node) {
  if (packet.size() >= 20 && packet[0] >> 4 == 4) {
    const uint16_t flags = static_cast<uint16_t>(packet[6] << 8 | packet[7]);
    if (flags & (kMoreFragments | kOffsetMask)) {
      ++m_counters.fragmentsIntoTunnel;
      // The node's IP layer fragments whatever exceeds the tunnel's MTU, DF or not (ns-3's
      // Ipv4L3Protocol does not look at DF when it forwards); a fragment with DF set is
      // therefore a DF packet that was too big, which a router must refuse. The first
      // fragment carries the header and data the ICMP error quotes; the rest are dropped.
      if (m_pmtuDiscovery && (flags & kDontFragment)) {
        ++m_counters.pmtuDrops;
        if ((flags & kOffsetMask) == 0) SendFragmentationNeeded(packet, node);
        return false;
      }
    }
  }
  if (m_clamp) m_clamp->Apply(packet);
  return true;
}

void TunnelGatewayPolicy::ToLan(std::vector<uint8_t> &packet) {
  if (m_clamp) m_clamp->Apply(packet);
}

void TunnelGatewayPolicy::SendFragmentationNeeded(const std::vector<uint8_t> &packet,
                                                  Ptr<Node> node) {
  Ptr<Icmpv4L4Protocol> icmp = node ? node->GetObject<Icmpv4L4Protocol>() : nullptr;
  if (!icmp) return;
  Ptr<Packet> copy = Create<Packet>(packet.data(), packet.size());
  Ipv4Header header;
  if (copy->RemoveHeader(header) == 0) return;
  Ptr<Packet> quoted = copy->CreateFragment(0, std::min(kQuotedDataBytes, copy->GetSize()));
  icmp->SendDestUnreachFragNeeded(header, quoted, static_cast<uint16_t>(m_innerMtu));
  ++m_counters.icmpFragNeededSent;
}

TunnelGatewayCounters TunnelGatewayPolicy::Counters() const {
  TunnelGatewayCounters counters = m_counters;
  if (m_clamp) {
    counters.clampedSyns = m_clamp->counters().Clamped();
    counters.clampMalformed = m_clamp->counters().malformed;
  }
  return counters;
}

} // namespace ns3

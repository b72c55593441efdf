// What every tunnel installer does for tunnel.clamp_mss and tunnel.pmtu_discovery besides
// handing the spec to its gateways: the hosts' TCP shim and the counters in results.json.
#pragma once

#include "ns3/host_tcp_pmtu.h"
#include "ns3/node-list.h"
#include "ns3/tunnel_gateway_policy.h"
#include "tunnel/spec.h"

#include <nlohmann/json.hpp>

namespace tunnelsim::scenario {

// Every node's TCP advertises its MSS in SYNs (and sets DF with PMTU discovery), as Linux
// hosts do, when either feature is on; otherwise nothing changes. The gateways carry no TCP.
inline void InstallHostTcpShims(const tunnel::GatewaySpec &spec) {
  if (!spec.HostsUseMssOption()) return;
  ns3::HostTcpPmtuOptions options;
  options.advertiseMss = true;
  options.setDontFragment = spec.pmtuDiscovery;
  for (auto node = ns3::NodeList::Begin(); node != ns3::NodeList::End(); ++node)
    ns3::InstallHostTcpPmtu(*node, options);
}

// tunnel.counters.extra.gateway in results.json, summed over both gateways; present only when
// one of the two features is on, so other results are as before.
inline void AddGatewayCounters(const tunnel::GatewaySpec &spec, const ns3::TunnelGatewayCounters &a,
                               const ns3::TunnelGatewayCounters &b, nlohmann::json &extra) {
  if (spec.clampMss == tunnel::GatewaySpec::ClampMss::kOff && !spec.pmtuDiscovery) return;
  extra["gateway"] = {{"clamped_syns", a.clampedSyns + b.clampedSyns},
                      {"clamp_malformed", a.clampMalformed + b.clampMalformed},
                      {"fragments_into_tunnel", a.fragmentsIntoTunnel + b.fragmentsIntoTunnel},
                      {"icmp_frag_needed_sent", a.icmpFragNeededSent + b.icmpFragNeededSent},
                      {"pmtu_drops", a.pmtuDrops + b.pmtuDrops}};
}

} // namespace tunnelsim::scenario

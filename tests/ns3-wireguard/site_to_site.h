// The test topology: the two sites of model/ns3/site_path.h joined by a WireGuard tunnel
// between their gateways. Tunnel: wgA 10.99.0.1/24, wgB 10.99.0.2/24.
// gwA (the initiator) knows gwB's endpoint; gwB learns gwA's from its first handshake.
#pragma once

#include "ns3/site_path.h"
#include "ns3/wireguard_helper.h"

#include "../ns3-common/site_flows.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <functional>
#include <string>

namespace tunnelsim_test {

using namespace ns3;

constexpr uint16_t kWgPort = 51820;

struct SiteToSiteOptions : site_path::PathOptions {
  bool tunnel = true;
  // Called with the helper before the two gateways are installed (attributes, CPU model).
  std::function<void(WireGuardHelper &)> configure;
  WireGuardPeerOptions optionsA; // gwA's view of gwB
  WireGuardPeerOptions optionsB; // gwB's view of gwA
  // Called after the gateways are set up and before routes are computed (extra nodes/links).
  std::function<void(struct SiteToSite &)> extend;
};

struct SiteToSite : site_path::SitePath {
  Ptr<WireGuardApplication> wgA, wgB;
  WireGuardHelper helper;

  explicit SiteToSite(const SiteToSiteOptions &options = {}) : SitePath(options) {
    if (options.tunnel) {
      if (options.configure) options.configure(helper);
      wgA = helper.Install(gwA);
      wgB = helper.Install(gwB);
      WireGuardHelper::AssignAddress(wgA, "10.99.0.1/24");
      WireGuardHelper::AssignAddress(wgB, "10.99.0.2/24");
      WireGuardHelper::AddPeer(wgA, wgB, {"10.99.0.2/32", "10.2.0.0/24"},
                               InetSocketAddress(gwBOuter, kWgPort), options.optionsA);
      WireGuardHelper::AddPeer(wgB, wgA, {"10.99.0.1/32", "10.1.0.0/24"}, Address(),
                               options.optionsB);
    }
    if (options.extend) options.extend(*this);
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  }
};

using site_flows::CbrFlow;
using site_flows::GoodputWindow;
using site_flows::InstallBulkTcp;
using site_flows::InstallCbr;

// Per-test ns-3 defaults: TCP segments sized so inner packets fill the 1420-byte tunnel MTU.
constexpr uint32_t kTunnelMtu = 1420;
using site_path::kIpv4Header;
using site_path::kTcpHeaderWithTimestamps;
constexpr uint32_t kSegmentSize = kTunnelMtu - kIpv4Header - kTcpHeaderWithTimestamps;

inline void ResetDefaults(uint32_t run = 1) { site_path::ResetDefaults(kTunnelMtu, run); }

} // namespace tunnelsim_test

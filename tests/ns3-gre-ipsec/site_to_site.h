// The test topology: the two sites of model/ns3/site_path.h joined by a GRE /
// GRE-over-IPsec / IPsec tunnel between their gateways; tunnel interfaces 10.255.255.1/30 and
// .2/30.
#pragma once

#include "ns3/gre_ipsec/gre_ipsec_helper.h"
#include "ns3/site_path.h"

#include "../ns3-common/site_flows.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <functional>
#include <map>
#include <string>

namespace gre_ipsec_test {

using namespace ns3;

struct SiteToSiteOptions : site_path::PathOptions {
  GreIpsecGateway::Mode mode = GreIpsecGateway::GRE_OVER_IPSEC;
  // Called with the helper before the gateways are installed (attributes, CPU model, keys).
  std::function<void(GreIpsecHelper &)> configure;
};

struct SiteToSite : site_path::SitePath {
  GreIpsecHelper helper;
  GreIpsecTunnel tunnel;

  explicit SiteToSite(const SiteToSiteOptions &options = {}) : SitePath(options) {
    helper.SetAttribute("Mode", EnumValue(options.mode));
    if (options.configure) options.configure(helper);
    tunnel = helper.Install(gwA, gwAOuter, gwB, gwBOuter, {{"10.1.0.0/24"}, {"10.2.0.0/24"}});
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  }
};

using site_flows::CbrFlow;
using site_flows::GoodputWindow;
using site_flows::InstallBulkTcp;
using site_flows::InstallCbr;

// Drop trace counts by reason, attached to a gateway's "Drop" source.
struct DropCounter {
  std::map<std::string, uint64_t> byReason;
  void Attach(Ptr<GreIpsecGateway> gateway) {
    gateway->TraceConnectWithoutContext("Drop", MakeCallback(&DropCounter::OnDrop, this));
  }
  void OnDrop(const std::string &reason, Ptr<const Packet>) { ++byReason[reason]; }
  uint64_t Get(const std::string &reason) const {
    const auto it = byReason.find(reason);
    return it == byReason.end() ? 0 : it->second;
  }
  uint64_t Total() const {
    uint64_t n = 0;
    for (const auto &[reason, count] : byReason)
      n += count;
    return n;
  }
};

using site_path::kIpv4Header;
using site_path::kTcpHeaderWithTimestamps;

// Seeds and TCP defaults; segments sized so inner packets fill a tunnel MTU of `tunnelMtu`.
inline void ResetDefaults(uint32_t tunnelMtu, uint32_t run = 1) {
  site_path::ResetDefaults(tunnelMtu, run);
}

} // namespace gre_ipsec_test

// The test topology: two sites joined by a GRE / GRE-over-IPsec / IPsec tunnel between their
// gateways.
//
//   hostA --LAN-- gwA ==access (100 Mbit/s, 10 ms)== router ==WAN (1 Gbit/s, 10 ms)== gwB
//   --LAN-- hostB
//
// Outer addresses: gwA 100.64.0.1/24 (router 100.64.0.254), gwB 198.51.100.2/30.
// Sites 10.1.0.0/24 and 10.2.0.0/24; tunnel interfaces 10.255.255.1/30 and .2/30.
#pragma once

#include "ns3/gre-ipsec/gre-ipsec-helper.h"

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

struct SiteToSiteOptions {
  std::string accessRate = "100Mbps";
  Time accessDelay = MilliSeconds(10);
  std::string wanRate = "1Gbps";
  Time wanDelay = MilliSeconds(10);
  uint32_t queuePackets = 1000;
  GreIpsecGateway::Mode mode = GreIpsecGateway::GRE_OVER_IPSEC;
  // Called with the helper before the gateways are installed (attributes, CPU model, keys).
  std::function<void(GreIpsecHelper &)> configure;
};

struct SiteToSite {
  Ptr<Node> hostA, gwA, router, gwB, hostB;
  NodeContainer all;
  NetDeviceContainer lanA, access, wan, lanB;
  Ipv4Address hostAAddress, hostBAddress, gwAOuter, gwBOuter;
  GreIpsecHelper helper;
  GreIpsecTunnel tunnel;

  explicit SiteToSite(const SiteToSiteOptions &options = {}) {
    all.Create(5);
    hostA = all.Get(0);
    gwA = all.Get(1);
    router = all.Get(2);
    gwB = all.Get(3);
    hostB = all.Get(4);
    InternetStackHelper internet;
    internet.SetIpv6StackInstall(false);
    internet.Install(all);

    PointToPointHelper p2p;
    p2p.SetQueue("ns3::DropTailQueue", "MaxSize",
                 StringValue(std::to_string(options.queuePackets) + "p"));
    p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
    p2p.SetChannelAttribute("Delay", TimeValue(MicroSeconds(100)));
    lanA = p2p.Install(hostA, gwA);
    lanB = p2p.Install(gwB, hostB);
    p2p.SetDeviceAttribute("DataRate", StringValue(options.accessRate));
    p2p.SetChannelAttribute("Delay", TimeValue(options.accessDelay));
    access = p2p.Install(gwA, router);
    p2p.SetDeviceAttribute("DataRate", StringValue(options.wanRate));
    p2p.SetChannelAttribute("Delay", TimeValue(options.wanDelay));
    wan = p2p.Install(router, gwB);

    Ipv4AddressHelper addresses;
    addresses.SetBase("10.1.0.0", "255.255.255.0");
    Ipv4InterfaceContainer lanAIf = addresses.Assign(lanA);
    addresses.SetBase("10.2.0.0", "255.255.255.0");
    Ipv4InterfaceContainer lanBIf = addresses.Assign(lanB);
    addresses.SetBase("100.64.0.0", "255.255.255.0", "0.0.0.1");
    gwAOuter = addresses.Assign(access.Get(0)).GetAddress(0);
    addresses.SetBase("100.64.0.0", "255.255.255.0", "0.0.0.254");
    addresses.Assign(access.Get(1));
    addresses.SetBase("198.51.100.0", "255.255.255.252");
    gwBOuter = addresses.Assign(wan).GetAddress(1);
    hostAAddress = lanAIf.GetAddress(0);
    hostBAddress = lanBIf.GetAddress(1);
    // Plain drop-tail queues, so the bottleneck behaves the same for every mode.
    TrafficControlHelper tc;
    for (NetDeviceContainer *link : {&lanA, &lanB, &access, &wan})
      tc.Uninstall(*link);

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

// With timestamps (ns-3's default) a data segment's TCP header is 20 + 12 bytes.
constexpr uint32_t kIpv4Header = 20;
constexpr uint32_t kTcpHeaderWithTimestamps = 32;

// Seeds and TCP defaults; segments sized so inner packets fill a tunnel MTU of `tunnelMtu`.
inline void ResetDefaults(uint32_t tunnelMtu, uint32_t run = 1) {
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(run);
  Config::SetDefault("ns3::TcpL4Protocol::SocketType", StringValue("ns3::TcpCubic"));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::SegmentSize",
                     UintegerValue(tunnelMtu - kIpv4Header - kTcpHeaderWithTimestamps));
}

} // namespace gre_ipsec_test

// The five-node path the ns-3 tunnel tests (tests/ns3-wireguard, tests/ns3-gre-ipsec) and the
// site-to-site example programs (scenarios/examples/) are built on:
//
//   hostA --LAN-- gwA ==access (100 Mbit/s, 10 ms)== router ==WAN (1 Gbit/s, 10 ms)== gwB
//   --LAN-- hostB
//
// Sites 10.1.0.0/24 and 10.2.0.0/24; outer addresses gwA 100.64.0.1/24 (router
// 100.64.0.254), gwB 198.51.100.2/30. Plain drop-tail queues on every link (no queue disc),
// so the bottleneck behaves the same with and without a tunnel (no AQM tuned to one packet
// size). The tunnel suites derive their SiteToSite from it and add the gateways' tunnel; the
// tests rely on these addresses, so change them only together with the tests.
#pragma once

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <cstdint>
#include <string>

namespace site_path {

struct PathOptions {
  std::string accessRate = "100Mbps";
  ns3::Time accessDelay = ns3::MilliSeconds(10);
  std::string wanRate = "1Gbps";
  ns3::Time wanDelay = ns3::MilliSeconds(10);
  uint32_t queuePackets = 1000;
};

struct SitePath {
  ns3::Ptr<ns3::Node> hostA, gwA, router, gwB, hostB;
  ns3::NodeContainer all;
  ns3::NetDeviceContainer lanA, access, wan, lanB;
  ns3::Ipv4Address hostAAddress, hostBAddress, gwAOuter, gwBOuter;

  explicit SitePath(const PathOptions &options) {
    using namespace ns3;
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
    TrafficControlHelper tc;
    for (NetDeviceContainer *link : {&lanA, &lanB, &access, &wan})
      tc.Uninstall(*link);
  }
};

// With timestamps (ns-3's default) a data segment's TCP header is 20 + 12 bytes.
constexpr uint32_t kIpv4Header = 20;
constexpr uint32_t kTcpHeaderWithTimestamps = 32;

// Seeds and TCP defaults (CUBIC, 4 MiB buffers); segments sized so inner packets fill a tunnel
// MTU of `tunnelMtu`.
inline void ResetDefaults(uint32_t tunnelMtu, uint32_t run) {
  using namespace ns3;
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(run);
  Config::SetDefault("ns3::TcpL4Protocol::SocketType", StringValue("ns3::TcpCubic"));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::SegmentSize",
                     UintegerValue(tunnelMtu - kIpv4Header - kTcpHeaderWithTimestamps));
}

} // namespace site_path

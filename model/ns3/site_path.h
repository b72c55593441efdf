// The five-node path (model/ns3/five_node_path.h) with the options and addresses the ns-3 tunnel
// tests (tests/ns3-wireguard, tests/ns3-gre-ipsec) and the site-to-site example programs
// (scenarios/examples/) are built on:
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

#include "ns3/five_node_path.h"

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

// The builder's config for these options: LANs 1 Gbit/s, 100 us; symmetric access and WAN;
// no IPv6; both LANs built (and numbered) before the access link and the WAN, as the tests
// were written against.
inline tunnelsim::FiveNodePathConfig SitePathConfig(const PathOptions &options) {
  using namespace ns3;
  using tunnelsim::PathLink;
  tunnelsim::FiveNodePathConfig config;
  const DataRate lanRate("1Gbps"), accessRate(options.accessRate), wanRate(options.wanRate);
  config.links = {{{lanRate, lanRate, MicroSeconds(100)},
                   {accessRate, accessRate, options.accessDelay},
                   {wanRate, wanRate, options.wanDelay},
                   {lanRate, lanRate, MicroSeconds(100)}}};
  const Ipv4Mask lanMask("255.255.255.0");
  config.subnets = {{{Ipv4Address("10.1.0.0"), lanMask},
                     {Ipv4Address("100.64.0.0"), lanMask, 1, 254},
                     {Ipv4Address("198.51.100.0"), Ipv4Mask("255.255.255.252")},
                     {Ipv4Address("10.2.0.0"), lanMask}}};
  config.queuePackets = options.queuePackets;
  config.ipv6Stack = false;
  config.buildOrder = {PathLink::kHomeLan, PathLink::kWorkLan, PathLink::kAccess, PathLink::kWan};
  return config;
}

struct SitePath {
  ns3::Ptr<ns3::Node> hostA, gwA, router, gwB, hostB;
  ns3::NodeContainer all;
  ns3::NetDeviceContainer lanA, access, wan, lanB;
  ns3::Ipv4Address hostAAddress, hostBAddress, gwAOuter, gwBOuter;

  explicit SitePath(const PathOptions &options)
      : SitePath(tunnelsim::BuildFiveNodePath(SitePathConfig(options))) {}

private:
  explicit SitePath(const tunnelsim::FiveNodePath &path)
      : hostA(path.HomeHost()), gwA(path.HomeGateway()), router(path.WanRouter()),
        gwB(path.WorkGateway()), hostB(path.WorkHost()), all(path.nodes),
        lanA(path.Link(tunnelsim::PathLink::kHomeLan)),
        access(path.Link(tunnelsim::PathLink::kAccess)), wan(path.Link(tunnelsim::PathLink::kWan)),
        lanB(path.Link(tunnelsim::PathLink::kWorkLan)),
        hostAAddress(path.Interfaces(tunnelsim::PathLink::kHomeLan).GetAddress(0)),
        hostBAddress(path.Interfaces(tunnelsim::PathLink::kWorkLan).GetAddress(1)),
        gwAOuter(path.Interfaces(tunnelsim::PathLink::kAccess).GetAddress(0)),
        gwBOuter(path.Interfaces(tunnelsim::PathLink::kWan).GetAddress(1)) {}
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

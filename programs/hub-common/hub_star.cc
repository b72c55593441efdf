#include "hub_star.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/csma-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <algorithm>
#include <cmath>
#include <sstream>

using namespace ns3;

namespace tunnelsim::hub {
namespace {

const Ipv4Address kTunnelNet("10.99.0.0");
constexpr uint32_t kFirstSpokeHost = 2;
constexpr uint16_t kEchoPort = 9;

// A per-spoke callback needs the spoke's index bound in front of ns-3's arguments.
void SpokeRx(EchoTally *tally, uint32_t index, Ptr<const Packet>);

} // namespace

Ipv4Address SpokeTunnelAddress(uint32_t index) {
  return Ipv4Address(kTunnelNet.Get() + kFirstSpokeHost + index);
}

std::string SpokeTunnelAddressText(uint32_t index) {
  std::ostringstream text;
  SpokeTunnelAddress(index).Print(text);
  return text.str();
}

uint32_t SpokeIndexOf(Ipv4Address address, uint32_t peers) {
  const uint32_t first = kTunnelNet.Get() + kFirstSpokeHost;
  if (address.Get() < first || address.Get() - first >= peers) return peers;
  return address.Get() - first;
}

std::string CheckStarArguments(uint32_t peers, uint32_t segmentSize) {
  if (peers == 0 || peers > kMaxPeers)
    return "--peers must be between 1 and " + std::to_string(kMaxPeers);
  // One /24 per LAN inside 10.128.0.0/10, clear of the host's 10.200.0.0/24.
  if (segmentSize > 250 || (segmentSize > 0 && (peers + segmentSize - 1) / segmentSize > 16384))
    return "--segment must be at most 250 and give at most 16384 LANs";
  return "";
}

Star BuildStar(uint32_t peers, uint32_t segmentSize) {
  Star star;
  star.spokes.Create(peers);
  star.hub = CreateObject<Node>();
  star.host = CreateObject<Node>();
  InternetStackHelper internet;
  internet.SetIpv6StackInstall(false);
  internet.Install(star.spokes);
  internet.Install(star.hub);
  internet.Install(star.host);

  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("1ms"));
  TrafficControlHelper tc;
  Ipv4AddressHelper addresses;
  star.spokeOuterAddress.resize(peers);
  star.hubOuterAddress.resize(peers);
  if (segmentSize == 0) {
    addresses.SetBase("10.128.0.0", "255.255.255.252");
    for (uint32_t i = 0; i < peers; ++i) {
      NetDeviceContainer link = p2p.Install(star.spokes.Get(i), star.hub);
      Ipv4InterfaceContainer ifs = addresses.Assign(link);
      // Assign installs a queue disc on each device; drop it so the device queue is the only
      // one and the hub does not carry N of them.
      tc.Uninstall(link);
      star.spokeOuterAddress[i] = ifs.GetAddress(0);
      star.hubOuterAddress[i] = ifs.GetAddress(1);
      addresses.NewNetwork();
    }
  } else {
    CsmaHelper csma;
    csma.SetChannelAttribute("DataRate", StringValue("100Mbps"));
    csma.SetChannelAttribute("Delay", StringValue("10us"));
    addresses.SetBase("10.128.0.0", "255.255.255.0");
    for (uint32_t first = 0; first < peers; first += segmentSize) {
      const uint32_t end = std::min(peers, first + segmentSize);
      NodeContainer lan(star.hub); // the hub first: it gets .1 on every segment
      for (uint32_t i = first; i < end; ++i)
        lan.Add(star.spokes.Get(i));
      NetDeviceContainer devices = csma.Install(lan);
      Ipv4InterfaceContainer ifs = addresses.Assign(devices);
      tc.Uninstall(devices);
      for (uint32_t i = first; i < end; ++i) {
        star.spokeOuterAddress[i] = ifs.GetAddress(1 + i - first);
        star.hubOuterAddress[i] = ifs.GetAddress(0);
      }
      addresses.NewNetwork();
    }
  }
  p2p.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
  p2p.SetChannelAttribute("Delay", StringValue("100us"));
  NetDeviceContainer hostLink = p2p.Install(star.hub, star.host);
  addresses.SetBase("10.200.0.0", "255.255.255.0");
  Ipv4InterfaceContainer hostLinkIfs = addresses.Assign(hostLink);
  tc.Uninstall(hostLink);
  star.hubHostSideAddress = hostLinkIfs.GetAddress(0);
  star.hostAddress = hostLinkIfs.GetAddress(1);
  Ipv4StaticRoutingHelper staticRouting;
  Ptr<Ipv4> hostIpv4 = star.host->GetObject<Ipv4>();
  staticRouting.GetStaticRouting(hostIpv4)->SetDefaultRoute(
      star.hubHostSideAddress, hostIpv4->GetInterfaceForDevice(hostLink.Get(1)));
  return star;
}

EchoTally::EchoTally(const Star &star, double rate, Time stop)
    : m_star(star), m_rate(rate), m_stop(stop), m_delivered(star.spokes.GetN(), 0),
      m_echoed(star.spokes.GetN(), 0) {
  UdpEchoServerHelper echoServer(kEchoPort);
  ApplicationContainer server = echoServer.Install(star.host);
  server.Get(0)->TraceConnectWithoutContext("RxWithAddresses",
                                            MakeCallback(&EchoTally::OnHostRx, this));
}

void EchoTally::InstallClient(uint32_t index, Time start) {
  UdpEchoClientHelper echoClient(m_star.hostAddress, kEchoPort);
  const double seconds = std::max(0.0, (m_stop - start).GetSeconds());
  echoClient.SetAttribute("MaxPackets", UintegerValue(uint32_t(std::ceil(m_rate * seconds)) + 1));
  echoClient.SetAttribute("Interval", TimeValue(Seconds(1.0 / m_rate)));
  echoClient.SetAttribute("PacketSize", UintegerValue(64));
  ApplicationContainer client = echoClient.Install(m_star.spokes.Get(index));
  client.Get(0)->TraceConnectWithoutContext("Rx", MakeBoundCallback(&SpokeRx, this, index));
  client.Start(start);
  client.Stop(m_stop);
}

void EchoTally::OnHostRx(Ptr<const Packet>, const Address &from, const Address &) {
  const uint32_t index =
      SpokeIndexOf(InetSocketAddress::ConvertFrom(from).GetIpv4(), m_delivered.size());
  if (index >= m_delivered.size()) {
    ++m_unknownSources;
    return;
  }
  ++m_delivered[index];
}

namespace {
void SpokeRx(EchoTally *tally, uint32_t index, Ptr<const Packet>) { tally->CountEcho(index); }
} // namespace

} // namespace tunnelsim::hub

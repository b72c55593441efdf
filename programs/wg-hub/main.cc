// A WireGuard hub with many peers: one gateway (the hub) holds a WireGuard interface with N
// peers, each allowed one /32 (cryptokey routing), and N spoke nodes each hold an interface
// with the hub as their only peer. Every spoke sends UDP echo requests through its tunnel to
// a host behind the hub, which echoes them back through the hub's tunnel to that spoke.
//
//   spoke i --p2p 10.128.x.y/30-- hub --p2p 10.200.0.0/24-- host (echo server 10.200.0.2)
//   spoke i wg0 10.99.0.(i+2)      hub wg0 10.99.0.1/16
//
// Outer links: by default one point-to-point link per spoke (the hub has N interfaces, and
// ns-3's static routing and address checks walk them on every packet); with --segment=S the
// spokes share CSMA LANs of S spokes with the hub (10.128.k.0/24, the hub .1): the hub has
// N/S interfaces, but a CSMA channel hands every frame to all S+1 devices on its LAN, so
// S near sqrt(N) balances the two. One LAN for all N would cost N receptions per frame.
// No global routing: every outer path is one directly connected link.
//
// Prints one JSON line: peers, handshakes completed at the hub (distinct peers), echo
// requests delivered to the host and replies delivered back, per peer, wall time and memory.
// Exits 1 when a peer did not complete a handshake or did not get traffic through both ways.
//
//   tunnelsim-wg-hub --peers=100 --duration=3 --rate=2
#include "ns3/wireguard-helper.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/csma-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <vector>

using namespace ns3;

namespace {

// Spoke i's tunnel address is 10.99.0.0 + kFirstSpokeHost + i (the hub is 10.99.0.1).
const Ipv4Address kTunnelNet("10.99.0.0");
constexpr uint32_t kFirstSpokeHost = 2;
constexpr uint32_t kMaxPeers = 60000; // fits 10.99.0.0/16 and 10.128.0.0/10 in /30s
constexpr uint16_t kEchoPort = 9;

struct Counts {
  std::vector<uint64_t> delivered; // echo requests the host received, by spoke
  std::vector<uint64_t> echoed;    // echo replies the spoke received
  std::set<std::string> hubHandshakePeers;
  uint64_t unknownSources = 0;
};

Counts g_counts;

void OnHostRx(Ptr<const Packet>, const Address &from, const Address &) {
  const uint32_t source = InetSocketAddress::ConvertFrom(from).GetIpv4().Get();
  const uint32_t index = source - kTunnelNet.Get() - kFirstSpokeHost;
  if (source < kTunnelNet.Get() + kFirstSpokeHost || index >= g_counts.delivered.size()) {
    ++g_counts.unknownSources;
    return;
  }
  ++g_counts.delivered[index];
}

void OnSpokeRx(uint32_t index, Ptr<const Packet>) { ++g_counts.echoed[index]; }

void OnHubHandshake(const std::string &peer) { g_counts.hubHandshakePeers.insert(peer); }

nlohmann::ordered_json Summary(const std::vector<uint64_t> &perPeer) {
  const auto [lo, hi] = std::minmax_element(perPeer.begin(), perPeer.end());
  uint64_t total = 0;
  for (uint64_t n : perPeer)
    total += n;
  return {{"min", *lo},
          {"max", *hi},
          {"total", total},
          {"peers_with_none", std::count(perPeer.begin(), perPeer.end(), 0)}};
}

} // namespace

int main(int argc, char *argv[]) {
  uint32_t peers = 10;
  double durationSeconds = 5.0, rate = 2.0, startSpread = -1.0;
  uint32_t segmentSize = 0;
  bool listPerPeer = false;
  CommandLine cmd(__FILE__);
  cmd.AddValue("peers", "Number of spokes, each a WireGuard peer of the hub", peers);
  cmd.AddValue("duration", "Simulated seconds", durationSeconds);
  cmd.AddValue("rate", "Echo requests per second from each spoke", rate);
  cmd.AddValue("startSpread",
               "Spokes start evenly over this many seconds (default: peers/100, at least 1, "
               "which keeps the hub below WireGuard's 128 handshakes/s under-load threshold)",
               startSpread);
  cmd.AddValue("segment",
               "Spokes per shared CSMA LAN with the hub (0: one point-to-point link per spoke)",
               segmentSize);
  cmd.AddValue("perPeer", "Also list every peer's counts in the JSON", listPerPeer);
  cmd.Parse(argc, argv);
  if (startSpread < 0) startSpread = std::max(1.0, peers / 100.0);
  if (peers == 0 || peers > kMaxPeers) {
    std::cerr << "wg-hub: --peers must be between 1 and " << kMaxPeers << "\n";
    return 2;
  }
  // One /24 per LAN inside 10.128.0.0/10, clear of the host's 10.200.0.0/24.
  if (segmentSize > 250 || (segmentSize > 0 && (peers + segmentSize - 1) / segmentSize > 16384)) {
    std::cerr << "wg-hub: --segment must be at most 250 and give at most 16384 LANs\n";
    return 2;
  }
  if (!(rate > 0) || !(durationSeconds > 0) || !(startSpread >= 0)) {
    std::cerr << "wg-hub: --rate and --duration must be positive, --startSpread not negative\n";
    return 2;
  }
  // The last spoke starts at startSpread and needs a handshake round trip and an echo.
  if (durationSeconds < startSpread + 1.0) {
    std::cerr << "wg-hub: --duration must be at least --startSpread + 1 s (" << startSpread + 1.0
              << " s here)\n";
    return 2;
  }
  const auto wallStart = std::chrono::steady_clock::now();

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(1);
  NodeContainer spokes;
  spokes.Create(peers);
  Ptr<Node> hub = CreateObject<Node>(), host = CreateObject<Node>();
  InternetStackHelper internet;
  internet.SetIpv6StackInstall(false);
  internet.Install(spokes);
  internet.Install(hub);
  internet.Install(host);

  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("1ms"));
  TrafficControlHelper tc;
  Ipv4AddressHelper addresses;
  std::vector<Ipv4Address> hubAddressTowards(peers);
  if (segmentSize == 0) {
    addresses.SetBase("10.128.0.0", "255.255.255.252");
    for (uint32_t i = 0; i < peers; ++i) {
      NetDeviceContainer link = p2p.Install(spokes.Get(i), hub);
      Ipv4InterfaceContainer ifs = addresses.Assign(link);
      // Assign installs a queue disc on each device; drop it so the device queue is the only
      // one (as the scenario engine's topology does) and the hub does not carry N of them.
      tc.Uninstall(link);
      hubAddressTowards[i] = ifs.GetAddress(1);
      addresses.NewNetwork();
    }
  } else {
    CsmaHelper csma;
    csma.SetChannelAttribute("DataRate", StringValue("100Mbps"));
    csma.SetChannelAttribute("Delay", StringValue("10us"));
    addresses.SetBase("10.128.0.0", "255.255.255.0");
    for (uint32_t first = 0; first < peers; first += segmentSize) {
      NodeContainer lan(hub); // the hub first: it gets .1 on every segment
      for (uint32_t i = first; i < std::min(peers, first + segmentSize); ++i)
        lan.Add(spokes.Get(i));
      NetDeviceContainer devices = csma.Install(lan);
      Ipv4InterfaceContainer ifs = addresses.Assign(devices);
      tc.Uninstall(devices);
      for (uint32_t i = first; i < std::min(peers, first + segmentSize); ++i)
        hubAddressTowards[i] = ifs.GetAddress(0);
      addresses.NewNetwork();
    }
  }
  p2p.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
  p2p.SetChannelAttribute("Delay", StringValue("100us"));
  NetDeviceContainer hostLink = p2p.Install(hub, host);
  addresses.SetBase("10.200.0.0", "255.255.255.0");
  Ipv4InterfaceContainer hostLinkIfs = addresses.Assign(hostLink);
  tc.Uninstall(hostLink);
  Ipv4StaticRoutingHelper staticRouting;
  Ptr<Ipv4> hostIpv4 = host->GetObject<Ipv4>();
  staticRouting.GetStaticRouting(hostIpv4)->SetDefaultRoute(
      hostLinkIfs.GetAddress(0), hostIpv4->GetInterfaceForDevice(hostLink.Get(1)));

  WireGuardHelper wireguard;
  Ptr<WireGuardApplication> hubWg = wireguard.Install(hub);
  WireGuardHelper::AssignAddress(hubWg, "10.99.0.1/16");
  hubWg->TraceConnectWithoutContext("HandshakeCompleted", MakeCallback(&OnHubHandshake));
  std::map<std::string, uint32_t> peerIndex;
  g_counts.delivered.assign(peers, 0);
  g_counts.echoed.assign(peers, 0);

  UdpEchoServerHelper echoServer(kEchoPort);
  ApplicationContainer server = echoServer.Install(host);
  server.Get(0)->TraceConnectWithoutContext("RxWithAddresses", MakeCallback(&OnHostRx));
  const uint32_t packetsPerSpoke = uint32_t(std::ceil(rate * durationSeconds)) + 1;
  UdpEchoClientHelper echoClient(hostLinkIfs.GetAddress(1), kEchoPort);
  echoClient.SetAttribute("MaxPackets", UintegerValue(packetsPerSpoke));
  echoClient.SetAttribute("Interval", TimeValue(Seconds(1.0 / rate)));
  echoClient.SetAttribute("PacketSize", UintegerValue(64));

  for (uint32_t i = 0; i < peers; ++i) {
    Ptr<WireGuardApplication> spokeWg = wireguard.Install(spokes.Get(i));
    const Ipv4Address tunnelAddress(kTunnelNet.Get() + kFirstSpokeHost + i);
    std::ostringstream tunnelPrefix, hubAllowed;
    tunnelAddress.Print(tunnelPrefix);
    WireGuardHelper::AssignAddress(spokeWg, tunnelPrefix.str() + "/16");
    // Hub side: exactly this spoke's tunnel address; the endpoint is learnt from the spoke's
    // handshake. Spoke side: the hub and the network behind it, at the hub's address on
    // this spoke's link.
    // No route per peer: the interface's /16 already routes them to wg0 (wg-quick also
    // skips a route that an existing one on the interface covers), and N more routes would
    // lengthen ns-3's linear static-route lookup on every forwarded packet.
    WireGuardPeerOptions hubSide;
    hubSide.addRoutes = false;
    WireGuardHelper::AddPeer(hubWg, spokeWg, {tunnelPrefix.str() + "/32"}, Address(), hubSide);
    WireGuardHelper::AddPeer(spokeWg, hubWg, {"10.99.0.1/32", "10.200.0.0/24"},
                             InetSocketAddress(hubAddressTowards[i], hubWg->GetListenPort()));
    peerIndex[WireGuardApplication::KeyToString(spokeWg->GetPublicKey())] = i;

    ApplicationContainer client = echoClient.Install(spokes.Get(i));
    client.Get(0)->TraceConnectWithoutContext("Rx", MakeBoundCallback(&OnSpokeRx, i));
    client.Start(Seconds(startSpread * i / peers));
    client.Stop(Seconds(durationSeconds));
  }

  const auto runStart = std::chrono::steady_clock::now();
  Simulator::Stop(Seconds(durationSeconds));
  Simulator::Run();
  const auto runEnd = std::chrono::steady_clock::now();

  uint32_t handshakes = 0;
  for (const auto &peer : g_counts.hubHandshakePeers)
    handshakes += peerIndex.count(peer);
  const auto &hubCounters = hubWg->GetCounters();
  const nlohmann::ordered_json delivered = Summary(g_counts.delivered);
  const nlohmann::ordered_json echoed = Summary(g_counts.echoed);
  const bool ok =
      handshakes == peers && delivered["peers_with_none"] == 0 && echoed["peers_with_none"] == 0;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double runWall = std::chrono::duration<double>(runEnd - runStart).count();
  const double setupWall = std::chrono::duration<double>(runStart - wallStart).count();
  nlohmann::ordered_json out = {{"peers", peers},
                                {"duration_s", durationSeconds},
                                {"rate_pps", rate},
                                {"start_spread_s", startSpread},
                                {"handshakes_completed", handshakes},
                                {"hub_handshakes_total", hubCounters.handshakesCompleted},
                                {"hub_cookie_replies_sent", hubCounters.cookieRepliesSent},
                                {"hub_drops", hubCounters.TotalDrops()},
                                {"delivered", delivered},
                                {"echoed", echoed},
                                {"unknown_sources", g_counts.unknownSources},
                                {"setup_wall_s", setupWall},
                                {"wall_s", runWall},
                                {"wall_per_sim_s", runWall / durationSeconds},
                                {"max_rss_kib", usage.ru_maxrss}, // Linux: kibibytes
                                {"rss_per_peer_kib", double(usage.ru_maxrss) / peers},
                                {"ok", ok}};
  if (listPerPeer) {
    out["delivered_per_peer"] = g_counts.delivered;
    out["echoed_per_peer"] = g_counts.echoed;
  }
  std::cout << out.dump() << std::endl;
  Simulator::Destroy();
  if (!ok) {
    std::cerr << "wg-hub: " << peers - handshakes << " peers without a handshake, "
              << delivered["peers_with_none"] << " without delivered requests, "
              << echoed["peers_with_none"] << " without echo replies\n";
    return 1;
  }
  return 0;
}

// An IPsec hub with many spokes: one gateway (the hub) and N spoke gateways, each spoke with
// its own GRE-over-IPsec tunnel (or IPsec tunnel mode) to the hub, as a hub running one gre or
// VTI interface and one IKEv2 connection per site would. Each pair is the scenario engine's
// GreIpsecGateway pair (GreIpsecHelper): the spoke initiates IKEv2 (PSK) to the hub's address
// on its link and negotiates its own IKE SA and CHILD_SA; ESP then carries the spoke's UDP
// echo requests to a host behind the hub and the host's replies back (programs/hub-common).
//
//   spoke i --p2p 10.128.x.y/30-- hub --p2p 10.200.0.0/24-- host (echo server 10.200.0.2)
//   spoke i gre 10.99.0.(i+2)/32   hub: one gre per spoke (10.99.0.1/32 on each),
//                                       route 10.99.0.(i+2)/32 through it
//
// The hub demultiplexes ESP to the spoke's gateway by the (local, remote) outer address pair
// (OuterIpProtocol, a map) and each gateway looks the SPI up in its own SAD, so the hub's
// per-packet SA lookup is logarithmic in the number of spokes. The hub's gateways share one IKE
// socket on port 500 (SharedIkeSocket, unless --sharedIkeSocket=0), as charon has one for all
// peers: it hands each IKE datagram to the spoke's gateway by its address pair through a map,
// where one socket per gateway had ns-3 compare every datagram with all N sockets. Outer links
// are point-to-point only: each hub gateway is told apart by the hub's own address on its
// spoke's link, and on a shared LAN the hub would have one address for all the spokes of that
// LAN. The hub thus has 2N
// interfaces and 3N routes, which ns-3 would walk for every packet; the hub shortcuts of
// programs/hub-common (on unless --hubShortcuts=0) keep its per-packet work independent of N.
//
// Prints one JSON line: peers, IKE SAs and CHILD_SAs established at the hub, the hub's IKE
// sockets, echo requests delivered and replies received per peer, drops, wall and CPU time and
// memory. Exits 1 when a peer has no IKE SA or CHILD_SA at the hub, or no traffic through in
// either direction, or the hub has other than one IKE socket (N with --sharedIkeSocket=0).
//
//   tunnelsim-ipsec-hub --peers=100 --duration=3 --rate=2
#include "hub_report.h"
#include "hub_star.h"
#include "prefix_index_routing.h"
#include "receive_shortcut.h"
#include "udp_send_route.h"

#include "ns3/gre_ipsec/gre_ipsec_helper.h"
#include "ns3/gre_ipsec/outer_ip_protocol.h"

#include "ns3/core-module.h"
#include "ns3/network-module.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace ns3;
namespace hub = tunnelsim::hub;
namespace ipsec = tunnelsim::ipsec;

namespace {

// What the hub's gateways reported on their IkeEvent traces, by spoke.
struct HubIkeTally {
  std::vector<uint8_t> established, childCreated;
};

void OnHubIkeEvent(HubIkeTally *tally, uint32_t index, const std::string &event, uint32_t,
                   const std::string &) {
  if (event == "established") tally->established[index] = 1;
  if (event == "child-sa-created") tally->childCreated[index] = 1;
}

nlohmann::ordered_json DropsJson(const std::vector<Ptr<GreIpsecGateway>> &gateways) {
  std::map<std::string, uint64_t> byReason;
  uint64_t total = 0;
  for (const auto &gateway : gateways) {
    for (const auto &[reason, count] : gateway->GetDropCounts()) {
      byReason[reason] += count;
      total += count;
    }
  }
  nlohmann::ordered_json out = {{"total", total}};
  for (const auto &[reason, count] : byReason)
    out[reason] = count;
  return out;
}

} // namespace

int main(int argc, char *argv[]) {
  hub::WallClock clock;
  uint32_t peers = 10;
  double durationSeconds = 5.0, rate = 2.0, startSpread = -1.0, trafficDelay = 0.1;
  std::string mode = "gre-over-ipsec";
  bool listPerPeer = false, hubShortcuts = true, sharedIkeSocket = true;
  CommandLine cmd(__FILE__);
  cmd.AddValue("peers", "Number of spokes, each with its own IKE SA and CHILD_SA to the hub",
               peers);
  cmd.AddValue("duration", "Simulated seconds", durationSeconds);
  cmd.AddValue("rate", "Echo requests per second from each spoke", rate);
  cmd.AddValue("startSpread",
               "Spokes start IKE evenly over this many seconds (default: peers/100, at least 1)",
               startSpread);
  cmd.AddValue("trafficDelay",
               "Seconds between a spoke's IKE start and its first echo request (packets before "
               "its CHILD_SA exists are dropped at the spoke as no-sa)",
               trafficDelay);
  cmd.AddValue("mode", "gre-over-ipsec (GRE in ESP transport mode) or ipsec (ESP tunnel mode)",
               mode);
  cmd.AddValue("perPeer", "Also list every peer's counts in the JSON", listPerPeer);
  cmd.AddValue("hubShortcuts",
               "Keep the hub's per-packet IPv4 work independent of the spoke count: indexed "
               "routes, strong end-system model, frames straight to IPv4 (0: ns-3's linear "
               "walks, to compare)",
               hubShortcuts);
  cmd.AddValue("sharedIkeSocket",
               "The hub's gateways share one IKE socket, demultiplexed by address pair (0: one "
               "socket per hub gateway, bound to its address, to compare)",
               sharedIkeSocket);
  cmd.Parse(argc, argv);
  if (startSpread < 0) startSpread = std::max(1.0, peers / 100.0);
  if (const std::string error = hub::CheckStarArguments(peers, 0); !error.empty()) {
    std::cerr << "ipsec-hub: " << error << "\n";
    return 2;
  }
  if (mode != "gre-over-ipsec" && mode != "ipsec") {
    std::cerr << "ipsec-hub: --mode must be gre-over-ipsec or ipsec\n";
    return 2;
  }
  if (!(rate > 0) || !(durationSeconds > 0) || !(startSpread >= 0) || !(trafficDelay >= 0)) {
    std::cerr << "ipsec-hub: --rate and --duration must be positive, --startSpread and "
                 "--trafficDelay not negative\n";
    return 2;
  }
  // The last spoke starts at startSpread and needs its IKE exchanges and an echo round trip.
  if (durationSeconds < startSpread + trafficDelay + 1.0) {
    std::cerr << "ipsec-hub: --duration must be at least --startSpread + --trafficDelay + 1 s ("
              << startSpread + trafficDelay + 1.0 << " s here)\n";
    return 2;
  }

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(1);
  const hub::Star star = hub::BuildStar(peers, 0);
  const Time stop = Seconds(durationSeconds);
  hub::EchoTally echo(star, rate, stop);

  GreIpsecHelper helper;
  helper.SetAttribute("Mode", EnumValue(mode == "ipsec" ? GreIpsecGateway::IPSEC_TUNNEL
                                                        : GreIpsecGateway::GRE_OVER_IPSEC));
  HubIkeTally ike{std::vector<uint8_t>(peers, 0), std::vector<uint8_t>(peers, 0)};
  std::vector<Ptr<GreIpsecGateway>> hubGateways(peers), spokeGateways(peers);
  for (uint32_t i = 0; i < peers; ++i) {
    // Each pair its own random stream: the hub's gateways share one node, whose id alone
    // would give every one of them the same SPIs, nonces and keys.
    helper.SetAttribute("RandomStream", UintegerValue(i));
    GreIpsecSites sites;
    sites.siteA = {hub::SpokeTunnelAddressText(i) + "/32"}; // the spoke's inner address
    sites.siteB = {"10.200.0.0/24"};                        // the host's network
    sites.tunnelAddressA = hub::SpokeTunnelAddressText(i) + "/32";
    // Every per-spoke interface of the hub holds the hub's own tunnel address as a /32 (ns-3's
    // stack needs an address on an interface it receives on; a /32 adds no route).
    sites.tunnelAddressB = "10.99.0.1/32";
    const GreIpsecTunnel pair = helper.Install(star.spokes.Get(i), star.spokeOuterAddress[i],
                                               star.hub, star.hubOuterAddress[i], sites);
    spokeGateways[i] = pair.a;
    hubGateways[i] = pair.b;
    if (sharedIkeSocket) pair.b->SetAttribute("SharedIkeSocket", BooleanValue(true));
    pair.b->TraceConnectWithoutContext("IkeEvent", MakeBoundCallback(&OnHubIkeEvent, &ike, i));
    const Time start = Seconds(startSpread * i / peers);
    pair.a->SetStartTime(start);
    pair.a->SetStopTime(stop);
    pair.b->SetStopTime(stop); // the hub's responders listen from time 0
    echo.InstallClient(i, start + Seconds(trafficDelay));
  }

  // After every device, address and route exists (programs/hub-common/prefix_index_routing.h,
  // receive_shortcut.h and udp_send_route.h say why and what they change).
  if (hubShortcuts) {
    hub::IndexHubRouting(star.hub);
    hub::ShortcutHubReceive(star.hub);
    hub::RouteHubUdpSends(star.hub);
  }

  // The distinct UDP sockets the hub's gateways use for IKE, once they have started (time 0).
  std::set<Socket *> hubIkeSockets;
  Simulator::Schedule(NanoSeconds(1), [&hubGateways, &hubIkeSockets]() {
    for (const auto &gateway : hubGateways)
      if (Ptr<Socket> socket = gateway->GetIkeSocket()) hubIkeSockets.insert(PeekPointer(socket));
  });

  clock.StartRun();
  Simulator::Stop(stop);
  Simulator::Run();
  clock.EndRun();

  // At the end, from the hub's side: an established IKE SA and an installed CHILD_SA (an
  // inbound and an outbound ESP SA) for every spoke.
  uint32_t ikeEstablished = 0, childSasInstalled = 0, ikeEvents = 0, childEvents = 0;
  for (uint32_t i = 0; i < peers; ++i) {
    const ipsec::IkeSa *sa = hubGateways[i]->GetIkeSa();
    if (sa && sa->state() == ipsec::IkeState::Established) ++ikeEstablished;
    const ipsec::EspSad &sad = hubGateways[i]->GetSad();
    if (sad.inboundCount() > 0 && sad.outboundCount() > 0) ++childSasInstalled;
    ikeEvents += ike.established[i];
    childEvents += ike.childCreated[i];
  }
  const nlohmann::ordered_json delivered = hub::PerPeerSummary(echo.Delivered());
  const nlohmann::ordered_json echoed = hub::PerPeerSummary(echo.Echoed());
  // One IKE socket at the hub for all spokes, or one per spoke with --sharedIkeSocket=0.
  const size_t expectedIkeSockets = sharedIkeSocket ? 1 : peers;
  const bool ok = ikeEstablished == peers && childSasInstalled == peers &&
                  hubIkeSockets.size() == expectedIkeSockets &&
                  hub::PeersWithNone(echo.Delivered()) == 0 &&
                  hub::PeersWithNone(echo.Echoed()) == 0;

  nlohmann::ordered_json out = {
      {"peers", peers},
      {"mode", mode},
      {"duration_s", durationSeconds},
      {"rate_pps", rate},
      {"start_spread_s", startSpread},
      {"hub_shortcuts", hubShortcuts},
      {"shared_ike_socket", sharedIkeSocket},
      {"hub_ike_sockets", hubIkeSockets.size()},
      {"hub_ike_sas_established", ikeEstablished},
      {"hub_child_sas_installed", childSasInstalled},
      {"hub_ike_established_events", ikeEvents},
      {"hub_child_sa_created_events", childEvents},
      {"delivered", delivered},
      {"echoed", echoed},
      {"unknown_sources", echo.UnknownSources()},
      {"hub_drops", DropsJson(hubGateways)},
      {"spoke_drops", DropsJson(spokeGateways)},
      {"hub_esp_unmatched",
       OuterIpProtocol::Get(star.hub, GreIpsecGateway::kEspProtocol)->UnmatchedPackets()}};
  hub::PrintResultLine(std::move(out), clock, durationSeconds, peers, ok, listPerPeer,
                       echo.Delivered(), echo.Echoed());
  Simulator::Destroy();
  if (!ok) {
    std::cerr << "ipsec-hub: " << peers - ikeEstablished << " peers without an IKE SA at the hub, "
              << peers - childSasInstalled << " without a CHILD_SA, "
              << delivered["peers_with_none"] << " without delivered requests, "
              << echoed["peers_with_none"] << " without echo replies, " << hubIkeSockets.size()
              << " IKE sockets at the hub (expected " << expectedIkeSockets << ")\n";
    return 1;
  }
  return 0;
}

// A WireGuard hub with many peers: one gateway (the hub) holds a WireGuard interface with N
// peers, each allowed one /32 (cryptokey routing), and N spoke nodes each hold an interface
// with the hub as their only peer. Every spoke sends UDP echo requests through its tunnel to
// a host behind the hub, which echoes them back through the hub's tunnel to that spoke.
//
//   spoke i --p2p 10.128.x.y/30-- hub --p2p 10.200.0.0/24-- host (echo server 10.200.0.2)
//   spoke i wg0 10.99.0.(i+2)      hub wg0 10.99.0.1/16
//
// Outer links: by default one point-to-point link per spoke, so the hub has N interfaces and N
// connected routes; ns-3 would walk them for every packet (static routing's route list, the
// weak end-system address check, the node's protocol handlers), which the hub shortcuts of
// programs/hub-common (on unless --hubShortcuts=0) avoid, so the hub's cost per packet does not
// grow with N. With --segment=S the spokes share CSMA LANs of S spokes with the hub
// (10.128.k.0/24, the hub .1): the hub has N/S interfaces, but a CSMA channel hands every frame
// to all S+1 devices on its LAN, O(S) per frame. No global routing: every outer path is one
// directly connected link.
//
// The star, the echo traffic and the JSON of counts and costs are programs/hub-common's,
// shared with tunnelsim-ipsec-hub.
//
// Prints one JSON line: peers, handshakes completed at the hub (distinct peers), echo
// requests delivered to the host and replies delivered back, per peer, wall and CPU time and
// memory.
// Exits 1 when a peer did not complete a handshake or did not get traffic through both ways.
//
//   tunnelsim-wg-hub --peers=100 --duration=3 --rate=2
#include "hub_report.h"
#include "hub_star.h"
#include "prefix_index_routing.h"
#include "receive_shortcut.h"
#include "udp_send_route.h"

#include "ns3/wireguard_helper.h"

#include "ns3/core-module.h"
#include "ns3/network-module.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>

using namespace ns3;
namespace hub = tunnelsim::hub;

namespace {

std::set<std::string> g_hubHandshakePeers;

void OnHubHandshake(const std::string &peer) { g_hubHandshakePeers.insert(peer); }

} // namespace

int main(int argc, char *argv[]) {
  hub::WallClock clock;
  uint32_t peers = 10;
  double durationSeconds = 5.0, rate = 2.0, startSpread = -1.0;
  uint32_t segmentSize = 0;
  bool listPerPeer = false, hubShortcuts = true;
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
  cmd.AddValue("hubShortcuts",
               "Keep the hub's per-packet IPv4 work independent of the spoke count: indexed "
               "routes, strong end-system model, frames straight to IPv4 (0: ns-3's linear "
               "walks, to compare)",
               hubShortcuts);
  cmd.Parse(argc, argv);
  if (startSpread < 0) startSpread = std::max(1.0, peers / 100.0);
  if (const std::string error = hub::CheckStarArguments(peers, segmentSize); !error.empty()) {
    std::cerr << "wg-hub: " << error << "\n";
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
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(1);
  const hub::Star star = hub::BuildStar(peers, segmentSize);
  const Time stop = Seconds(durationSeconds);
  hub::EchoTally echo(star, rate, stop);

  WireGuardHelper wireguard;
  Ptr<WireGuardApplication> hubWg = wireguard.Install(star.hub);
  WireGuardHelper::AssignAddress(hubWg, "10.99.0.1/16");
  hubWg->TraceConnectWithoutContext("HandshakeCompleted", MakeCallback(&OnHubHandshake));
  std::map<std::string, uint32_t> peerIndex;

  for (uint32_t i = 0; i < peers; ++i) {
    Ptr<WireGuardApplication> spokeWg = wireguard.Install(star.spokes.Get(i));
    const std::string tunnelAddress = hub::SpokeTunnelAddressText(i);
    WireGuardHelper::AssignAddress(spokeWg, tunnelAddress + "/16");
    // Hub side: exactly this spoke's tunnel address; the endpoint is learnt from the spoke's
    // handshake. Spoke side: the hub and the network behind it, at the hub's address on
    // this spoke's link.
    // No route per peer: the interface's /16 already routes them to wg0 (wg-quick also
    // skips a route that an existing one on the interface covers), and N more routes would
    // lengthen ns-3's linear static-route lookup on every forwarded packet.
    WireGuardPeerOptions hubSide;
    hubSide.addRoutes = false;
    WireGuardHelper::AddPeer(hubWg, spokeWg, {tunnelAddress + "/32"}, Address(), hubSide);
    WireGuardHelper::AddPeer(spokeWg, hubWg, {"10.99.0.1/32", "10.200.0.0/24"},
                             InetSocketAddress(star.hubOuterAddress[i], hubWg->GetListenPort()));
    peerIndex[WireGuardApplication::KeyToString(spokeWg->GetPublicKey())] = i;

    echo.InstallClient(i, Seconds(startSpread * i / peers));
  }

  // After every device, address and route exists (programs/hub-common/prefix_index_routing.h,
  // receive_shortcut.h and udp_send_route.h say why and what they change).
  if (hubShortcuts) {
    hub::IndexHubRouting(star.hub);
    hub::ShortcutHubReceive(star.hub);
    hub::RouteHubUdpSends(star.hub);
  }

  clock.StartRun();
  Simulator::Stop(stop);
  Simulator::Run();
  clock.EndRun();

  uint32_t handshakes = 0;
  for (const auto &peer : g_hubHandshakePeers)
    handshakes += peerIndex.count(peer);
  const auto &hubCounters = hubWg->GetCounters();
  const nlohmann::ordered_json delivered = hub::PerPeerSummary(echo.Delivered());
  const nlohmann::ordered_json echoed = hub::PerPeerSummary(echo.Echoed());
  const bool ok = handshakes == peers && hub::PeersWithNone(echo.Delivered()) == 0 &&
                  hub::PeersWithNone(echo.Echoed()) == 0;

  nlohmann::ordered_json out = {{"peers", peers},
                                {"duration_s", durationSeconds},
                                {"rate_pps", rate},
                                {"start_spread_s", startSpread},
                                {"hub_shortcuts", hubShortcuts},
                                {"handshakes_completed", handshakes},
                                {"hub_handshakes_total", hubCounters.handshakesCompleted},
                                {"hub_cookie_replies_sent", hubCounters.cookieRepliesSent},
                                {"hub_drops", hubCounters.TotalDrops()},
                                {"delivered", delivered},
                                {"echoed", echoed},
                                {"unknown_sources", echo.UnknownSources()}};
  hub::PrintResultLine(std::move(out), clock, durationSeconds, peers, ok, listPerPeer,
                       echo.Delivered(), echo.Echoed());
  Simulator::Destroy();
  if (!ok) {
    std::cerr << "wg-hub: " << peers - handshakes << " peers without a handshake, "
              << delivered["peers_with_none"] << " without delivered requests, "
              << echoed["peers_with_none"] << " without echo replies\n";
    return 1;
  }
  return 0;
}

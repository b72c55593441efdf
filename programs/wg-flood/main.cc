// A handshake flood against WireGuard's cookie mechanism (whitepaper 5.4.7, issue #19): one
// gateway (the victim) serves a few legitimate spokes, each with its own handshake and UDP
// echo traffic to a host behind the gateway, while an attacker sends it handshake initiations
// that pass the MAC1 check (initiation_flood.h) at --floodRate per second from --sources
// addresses.
//
//   spoke i --p2p 10.128.x.y/30-- gateway --p2p 10.200.0.0/24-- host (echo server 10.200.0.2)
//   attacker --p2p 1 Gbit/s 10.66.0.0/16 (sources 10.66.0.2 and up, spoofed)-- gateway
//   spoke i wg0 10.99.0.(i+2)     gateway wg0 10.99.0.1/24
//
// Above 128 handshake messages per second the gateway is under load: an initiation without a
// valid MAC2 gets a cookie reply and no DH. A spoke that starts during the flood is answered
// with a cookie too, retries after REKEY_TIMEOUT with MAC2 and completes; a spoke that started
// before keeps its session. Prints one JSON line (the flood, the victim's cookie replies, its
// X25519 operations and drops, each spoke's handshake latency and echoes, wall time, memory)
// and exits 1 unless: the victim went under load and answered the flood with cookie replies,
// no more flood initiations reached DH than the under-load threshold lets through, the
// victim's X25519 operations are exactly those of the handshakes it accepted plus those flood
// DHs, and every spoke completed a handshake (with a cookie when it started under load) and
// got at least 95 % of its echoes back.
//
//   tunnelsim-wg-flood --floodRate=10000 --sources=256 --legit=4 --duration=12
#include "initiation_flood.h"

#include "ns3/wireguard_helper.h"
#include "wireguard/constants.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <vector>

using namespace ns3;
namespace wg = tunnelsim::wireguard;

namespace {

constexpr uint16_t kEchoPort = 9;
const Ipv4Address kAttackNet("10.66.0.0");
constexpr uint32_t kMaxSources = 65000; // inside 10.66.0.0/16 after the gateway's .1
constexpr uint32_t kMaxLegit = 200;

struct Spoke {
  double start = 0;
  std::optional<double> handshakeAt; // first session derived at the spoke
  bool startedUnderLoad = false;
  uint64_t cookieReplies = 0, sent = 0, echoed = 0, echoedDuringFlood = 0;
};

std::vector<Spoke> g_spokes;
std::optional<double> g_underLoadFrom; // the victim's first cookie reply
double g_floodStart = 0, g_floodStop = 0;

double Now() { return Simulator::Now().GetSeconds(); }

void OnSpokeHandshake(uint32_t i, const std::string &) {
  if (!g_spokes[i].handshakeAt) g_spokes[i].handshakeAt = Now();
}
void OnSpokeCookie(uint32_t i, const std::string &) { ++g_spokes[i].cookieReplies; }
void OnSpokeTx(uint32_t i, Ptr<const Packet>) {
  ++g_spokes[i].sent;
  // The first request triggers the spoke's handshake: was the victim under load then?
  if (g_spokes[i].sent == 1) g_spokes[i].startedUnderLoad = g_underLoadFrom.has_value();
}
void OnSpokeRx(uint32_t i, Ptr<const Packet>) {
  ++g_spokes[i].echoed;
  if (Now() >= g_floodStart && Now() <= g_floodStop) ++g_spokes[i].echoedDuringFlood;
}
void OnVictimCookieReply(const std::string &) {
  if (!g_underLoadFrom) g_underLoadFrom = Now();
}

} // namespace

int main(int argc, char *argv[]) {
  double floodRate = 10000, durationSeconds = 12, floodStart = 1.0, floodStop = -1;
  double legitFirst = 0.5, legitGap = 1.0, echoRate = 20;
  uint32_t sources = 256, legit = 4;
  CommandLine cmd(__FILE__);
  cmd.AddValue("floodRate", "Flood initiations per simulated second", floodRate);
  cmd.AddValue("sources", "Source addresses the flood rotates over (10.66.0.2 up)", sources);
  cmd.AddValue("floodStart", "When the flood starts (s)", floodStart);
  cmd.AddValue("floodStop", "When the flood stops (s; default: the end of the run)", floodStop);
  cmd.AddValue("legit", "Legitimate spokes (peers of the gateway)", legit);
  cmd.AddValue("legitFirst", "When the first spoke starts its traffic and handshake (s)",
               legitFirst);
  cmd.AddValue("legitGap", "Seconds between the spokes' starts", legitGap);
  cmd.AddValue("echoRate", "Echo requests per second from each spoke", echoRate);
  cmd.AddValue("duration", "Simulated seconds", durationSeconds);
  cmd.Parse(argc, argv);
  if (floodStop < 0) floodStop = durationSeconds;
  if (!(floodRate > 0) || floodRate > 1e7 || sources == 0 || sources > kMaxSources) {
    std::cerr << "wg-flood: --floodRate must be in (0, 1e7] and --sources in [1, " << kMaxSources
              << "]\n";
    return 2;
  }
  if (legit == 0 || legit > kMaxLegit || !(echoRate > 0) || !(legitFirst >= 0) ||
      !(legitGap >= 0)) {
    std::cerr << "wg-flood: --legit must be in [1, " << kMaxLegit
              << "], --echoRate positive, --legitFirst and --legitGap not negative\n";
    return 2;
  }
  const double lastStart = legitFirst + legitGap * (legit - 1);
  // A spoke starting under load needs REKEY_TIMEOUT (5 s + jitter) for its retry with MAC2.
  if (!(durationSeconds >= lastStart + 7.0) || !(floodStart >= 0) || !(floodStop > floodStart)) {
    std::cerr << "wg-flood: --duration must be at least the last spoke's start + 7 s ("
              << lastStart + 7.0 << " s here) and the flood must start before it stops\n";
    return 2;
  }
  g_floodStart = floodStart;
  g_floodStop = floodStop;
  const auto wallStart = std::chrono::steady_clock::now();

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(1);
  NodeContainer spokes;
  spokes.Create(legit);
  Ptr<Node> gateway = CreateObject<Node>(), host = CreateObject<Node>(),
            attacker = CreateObject<Node>();
  InternetStackHelper internet;
  internet.SetIpv6StackInstall(false);
  internet.Install(spokes);
  internet.Install(NodeContainer(gateway, host, attacker));

  PointToPointHelper p2p;
  TrafficControlHelper tc;
  Ipv4AddressHelper addresses;
  p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("1ms"));
  std::vector<Ipv4Address> gatewayTowards(legit);
  addresses.SetBase("10.128.0.0", "255.255.255.252");
  for (uint32_t i = 0; i < legit; ++i) {
    NetDeviceContainer link = p2p.Install(spokes.Get(i), gateway);
    Ipv4InterfaceContainer ifs = addresses.Assign(link);
    tc.Uninstall(link);
    gatewayTowards[i] = ifs.GetAddress(1);
    addresses.NewNetwork();
  }
  p2p.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
  p2p.SetChannelAttribute("Delay", StringValue("100us"));
  NetDeviceContainer hostLink = p2p.Install(gateway, host);
  addresses.SetBase("10.200.0.0", "255.255.255.0");
  Ipv4InterfaceContainer hostIfs = addresses.Assign(hostLink);
  tc.Uninstall(hostLink);
  Ipv4StaticRoutingHelper staticRouting;
  Ptr<Ipv4> hostIpv4 = host->GetObject<Ipv4>();
  staticRouting.GetStaticRouting(hostIpv4)->SetDefaultRoute(
      hostIfs.GetAddress(0), hostIpv4->GetInterfaceForDevice(hostLink.Get(1)));

  // The attacker's link: the gateway is 10.66.0.1, the attacker holds every source address.
  p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
  p2p.SetChannelAttribute("Delay", StringValue("1ms"));
  NetDeviceContainer attackLink = p2p.Install(gateway, attacker);
  addresses.SetBase(kAttackNet, "255.255.0.0");
  Ipv4InterfaceContainer attackIfs = addresses.Assign(attackLink);
  tc.Uninstall(attackLink);
  // Sources 10.66.0.2 (the attacker's own address) and up; the others are spoofed. The
  // attacker forwards nothing, so cookie replies to spoofed addresses end there.
  std::vector<Ipv4Address> sourceAddresses;
  for (uint32_t k = 0; k < sources; ++k)
    sourceAddresses.emplace_back(attackIfs.GetAddress(1).Get() + k);
  Ptr<Ipv4> attackerIpv4 = attacker->GetObject<Ipv4>();
  for (uint32_t i = 0; i < attackerIpv4->GetNInterfaces(); ++i)
    attackerIpv4->SetForwarding(i, false);

  WireGuardHelper wireguard;
  Ptr<WireGuardApplication> victim = wireguard.Install(gateway);
  WireGuardHelper::AssignAddress(victim, "10.99.0.1/24");
  victim->TraceConnectWithoutContext("CookieReplySent", MakeCallback(&OnVictimCookieReply));

  UdpEchoServerHelper echoServer(kEchoPort);
  echoServer.Install(host);
  UdpEchoClientHelper echoClient(hostIfs.GetAddress(1), kEchoPort);
  echoClient.SetAttribute("MaxPackets",
                          UintegerValue(uint32_t(std::ceil(echoRate * durationSeconds)) + 1));
  echoClient.SetAttribute("Interval", TimeValue(Seconds(1.0 / echoRate)));
  echoClient.SetAttribute("PacketSize", UintegerValue(64));
  g_spokes.assign(legit, Spoke{});
  // Requests stop half a second before the end so every echo has time to come back.
  const double echoStop = durationSeconds - 0.5;
  for (uint32_t i = 0; i < legit; ++i) {
    Ptr<WireGuardApplication> spokeWg = wireguard.Install(spokes.Get(i));
    const std::string address = "10.99.0." + std::to_string(i + 2);
    WireGuardHelper::AssignAddress(spokeWg, address + "/24");
    WireGuardPeerOptions gatewaySide;
    gatewaySide.addRoutes = false; // the interface's /24 covers the spokes
    WireGuardHelper::AddPeer(victim, spokeWg, {address + "/32"}, Address(), gatewaySide);
    WireGuardHelper::AddPeer(spokeWg, victim, {"10.99.0.1/32", "10.200.0.0/24"},
                             InetSocketAddress(gatewayTowards[i], victim->GetListenPort()));
    spokeWg->TraceConnectWithoutContext("HandshakeCompleted",
                                        MakeBoundCallback(&OnSpokeHandshake, i));
    spokeWg->TraceConnectWithoutContext("CookieReplyReceived",
                                        MakeBoundCallback(&OnSpokeCookie, i));
    g_spokes[i].start = legitFirst + legitGap * i;
    ApplicationContainer client = echoClient.Install(spokes.Get(i));
    client.Get(0)->TraceConnectWithoutContext("Tx", MakeBoundCallback(&OnSpokeTx, i));
    client.Get(0)->TraceConnectWithoutContext("Rx", MakeBoundCallback(&OnSpokeRx, i));
    client.Start(Seconds(g_spokes[i].start));
    client.Stop(Seconds(echoStop));
  }

  Ptr<tunnelsim::flood::InitiationFloodApplication> flood =
      Create<tunnelsim::flood::InitiationFloodApplication>(
          victim->GetPublicKey(), attackIfs.GetAddress(0), victim->GetListenPort(), sourceAddresses,
          floodRate, 1);
  attacker->AddApplication(flood);
  flood->SetStartTime(Seconds(floodStart));
  flood->SetStopTime(Seconds(floodStop));

  const uint64_t x25519Before = tunnelsim::crypto::X25519OperationCount();
  const auto runStart = std::chrono::steady_clock::now();
  Simulator::Stop(Seconds(durationSeconds));
  Simulator::Run();
  const auto runEnd = std::chrono::steady_clock::now();
  const uint64_t x25519Process = tunnelsim::crypto::X25519OperationCount() - x25519Before;

  // The victim's accounting. A flood initiation that passes MAC1 while the victim is not under
  // load costs one DH (the ephemeral-static one) before its junk static key fails to decrypt:
  // a HandshakeFailed drop. An accepted initiation costs two DHs to consume and a key
  // generation and two DHs for the response; an initiation the victim sends costs three.
  const wg::DeviceCounters &v = victim->GetCounters();
  const uint64_t floodDh = v.Drops(wg::DropReason::HandshakeFailed);
  const uint64_t expectedX25519 =
      floodDh + 5 * v.handshakeInitiationsReceived + 3 * v.handshakeInitiationsSent;
  const uint32_t threshold = wg::Constants{}.underLoadHandshakesPerSecond;

  std::vector<std::string> failures;
  if (!g_underLoadFrom) failures.push_back("the victim never went under load");
  if (double(v.cookieRepliesSent) < 0.9 * (double(flood->sent()) - threshold))
    failures.push_back("fewer cookie replies than 90 % of the flood");
  if (floodDh >= threshold)
    failures.push_back("more flood initiations reached DH than the under-load threshold");
  if (v.x25519Operations != expectedX25519)
    failures.push_back("the victim's X25519 operations are not those of its handshakes");
  nlohmann::ordered_json spokesJson = nlohmann::json::array();
  double worstLatency = 0;
  for (uint32_t i = 0; i < legit; ++i) {
    const Spoke &s = g_spokes[i];
    const std::string name = "spoke " + std::to_string(i);
    if (!s.handshakeAt) failures.push_back(name + " completed no handshake");
    if (s.startedUnderLoad && s.cookieReplies == 0)
      failures.push_back(name + " started under load but got no cookie reply");
    if (s.echoed < 0.95 * s.sent) failures.push_back(name + " got under 95 % of its echoes");
    const double latency = s.handshakeAt ? *s.handshakeAt - s.start : -1;
    worstLatency = std::max(worstLatency, latency);
    spokesJson.push_back({{"start_s", s.start},
                          {"started_under_load", s.startedUnderLoad},
                          {"handshake_latency_s", latency},
                          {"cookie_replies_received", s.cookieReplies},
                          {"echo_sent", s.sent},
                          {"echo_received", s.echoed},
                          {"echo_received_during_flood", s.echoedDuringFlood}});
  }

  nlohmann::ordered_json drops = nlohmann::json::object();
  for (size_t r = 0; r < wg::kDropReasonCount; ++r)
    if (v.drops[r] > 0) drops[wg::DropReasonName(static_cast<wg::DropReason>(r))] = v.drops[r];
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double runWall = std::chrono::duration<double>(runEnd - runStart).count();
  const double setupWall = std::chrono::duration<double>(runStart - wallStart).count();
  nlohmann::ordered_json out = {{"flood",
                                 {{"rate_per_s", floodRate},
                                  {"sources", sources},
                                  {"start_s", floodStart},
                                  {"stop_s", floodStop},
                                  {"sent", flood->sent()},
                                  {"cookie_replies_received", flood->cookieRepliesReceived()},
                                  {"other_replies_received", flood->otherReceived()}}},
                                {"victim",
                                 {{"under_load_from_s", g_underLoadFrom ? *g_underLoadFrom : -1.0},
                                  {"under_load_threshold_per_s", threshold},
                                  {"cookie_replies_sent", v.cookieRepliesSent},
                                  {"flood_initiations_with_dh", floodDh},
                                  {"initiations_accepted", v.handshakeInitiationsReceived},
                                  {"handshakes_completed", v.handshakesCompleted},
                                  {"x25519_operations", v.x25519Operations},
                                  {"x25519_expected", expectedX25519},
                                  {"drops", drops}}},
                                {"spokes", spokesJson},
                                {"worst_handshake_latency_s", worstLatency},
                                {"x25519_operations_process", x25519Process},
                                {"duration_s", durationSeconds},
                                {"setup_wall_s", setupWall},
                                {"wall_s", runWall},
                                {"wall_per_sim_s", runWall / durationSeconds},
                                {"max_rss_kib", usage.ru_maxrss},
                                {"ok", failures.empty()}};
  std::cout << out.dump() << std::endl;
  Simulator::Destroy();
  for (const std::string &failure : failures)
    std::cerr << "wg-flood: " << failure << "\n";
  return failures.empty() ? 0 : 1;
}

// Example: two sites joined by GRE over IPsec (or IPsec tunnel mode, or plain GRE) between
// their gateways, with one bulk TCP flow from a host at site A to a host at site B.
//
//   hostA --LAN-- gwA ==access== router ==WAN== gwB --LAN-- hostB
//          10.1.0.0/24     gre1 10.255.255.1 <-tunnel-> gre1 10.255.255.2     10.2.0.0/24
//   (the path of the ns-3 tunnel tests: model/ns3/site_path.h)
//
//   tunnelsim-gre-ipsec-site-to-site --duration=10 --softLifetime=4 --pcap=out/s2s --keys=out/s2s
//   mkdir -p prof/wireshark && cp out/s2s.esp_sa prof/wireshark/esp_sa &&
//     cp out/s2s.ikev2_decryption_table prof/wireshark/ikev2_decryption_table
//   XDG_CONFIG_HOME=prof tshark -r out/s2s-wan.pcap -o esp.enable_encryption_decode:TRUE -Y gre
// The same seed (--run) gives the same run, keys included.
#include "ns3/gre_ipsec/gre_ipsec_helper.h"
#include "ns3/site_path.h"

#include "ns3/impairment/impairment_helper.h"
#include "tunnel/spec.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <algorithm>
#include <iostream>

using namespace ns3;

namespace {

uint64_t g_rekeys = 0;
void CountRekey(uint32_t) { ++g_rekeys; }

} // namespace

int main(int argc, char *argv[]) {
  double durationSeconds = 10.0;
  uint32_t run = 1;
  std::string mode = "gre-over-ipsec", cipher = "aes-gcm", rekeyMode = "make-before-break";
  std::string accessRate = "100Mbps", accessDelay = "10ms", wanRate = "1Gbps", wanDelay = "10ms";
  std::string netem, pcapPrefix, keysPrefix;
  int64_t greKey = -1;
  bool greSeq = false, greIseq = false, esn = false, cpuReserialise = true;
  // The scenario's default and range for the window (tunnel.ipsec.replay_window), from the one
  // tunnel spec rather than a copy here.
  const tunnelsim::tunnel::IpsecSpec ipsecDefaults;
  uint32_t replayWindow = ipsecDefaults.replayWindow, cpuWorkers = 0;
  double softLifetime = 0, hardLifetime = 0, jitter = 0.1, cpuFixedUs = 2.0, cpuPerByteNs = 1.0;

  CommandLine cmd(__FILE__);
  cmd.AddValue("duration", "Simulated seconds of bulk transfer", durationSeconds);
  cmd.AddValue("run", "Run number (varies IKE keys, SPIs and jitter)", run);
  cmd.AddValue("mode", "gre-over-ipsec, ipsec-tunnel or gre", mode);
  cmd.AddValue("cipher", "ESP and IKE AEAD: aes-gcm or chacha20-poly1305", cipher);
  cmd.AddValue("greKey", "GRE key (-1: none)", greKey);
  cmd.AddValue("greSeq", "Send GRE sequence numbers", greSeq);
  cmd.AddValue("greIseq", "Drop out-of-sequence GRE packets", greIseq);
  cmd.AddValue("replayWindow", "ESP anti-replay window (0: off)", replayWindow);
  cmd.AddValue("esn", "Extended sequence numbers", esn);
  cmd.AddValue("softLifetime", "Child SA soft lifetime in seconds (0: none)", softLifetime);
  cmd.AddValue("hardLifetime", "Child SA hard lifetime in seconds (0: none)", hardLifetime);
  cmd.AddValue("jitter", "Fraction by which the soft lifetime is randomly shortened", jitter);
  cmd.AddValue("rekeyMode", "make-before-break or break-before-make", rekeyMode);
  cmd.AddValue("accessRate", "Rate of gwA's access link", accessRate);
  cmd.AddValue("accessDelay", "One-way delay of the access link", accessDelay);
  cmd.AddValue("wanRate", "Rate of the WAN link", wanRate);
  cmd.AddValue("wanDelay", "One-way delay of the WAN link", wanDelay);
  // ns-3's CommandLine reads a string value up to the first space, so options are separated
  // by commas here.
  cmd.AddValue("netem", "netem options on the WAN towards gwB, comma-separated: delay,5ms,2ms",
               netem);
  cmd.AddValue("cpuWorkers", "Crypto CPU model with this many workers (0: off)", cpuWorkers);
  cmd.AddValue("cpuReserialise", "CPU model restores each SA's packet order", cpuReserialise);
  cmd.AddValue("cpuFixedUs", "CPU model: microseconds per packet", cpuFixedUs);
  cmd.AddValue("cpuPerByteNs", "CPU model: nanoseconds per byte", cpuPerByteNs);
  cmd.AddValue("pcap", "Write <prefix>-wan.pcap (gwB's WAN link) and <prefix>-gre1.pcap",
               pcapPrefix);
  cmd.AddValue("keys", "Write <prefix>.esp_sa and <prefix>.ikev2_decryption_table", keysPrefix);
  cmd.Parse(argc, argv);

  GreIpsecGateway::Mode tunnelMode;
  if (mode == "gre-over-ipsec") {
    tunnelMode = GreIpsecGateway::GRE_OVER_IPSEC;
  } else if (mode == "ipsec-tunnel") {
    tunnelMode = GreIpsecGateway::IPSEC_TUNNEL;
  } else if (mode == "gre") {
    tunnelMode = GreIpsecGateway::GRE;
  } else {
    std::cerr << "gre-ipsec-site-to-site: unknown --mode " << mode << "\n";
    return 2;
  }
  if ((cipher != "aes-gcm" && cipher != "chacha20-poly1305") ||
      (rekeyMode != "make-before-break" && rekeyMode != "break-before-make") ||
      durationSeconds <= 1.0) {
    std::cerr << "gre-ipsec-site-to-site: bad --cipher, --rekeyMode or --duration (> 1 s)\n";
    return 2;
  }
  constexpr auto kWindowRange = tunnelsim::tunnel::IpsecSpec::kReplayWindowRange;
  if (!kWindowRange.Contains(replayWindow)) {
    std::cerr << "gre-ipsec-site-to-site: --replayWindow must be within " << kWindowRange.min
              << ".." << kWindowRange.max << "\n";
    return 2;
  }

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(run);
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));

  site_path::PathOptions options;
  options.accessRate = accessRate;
  options.accessDelay = Time(accessDelay);
  options.wanRate = wanRate;
  options.wanDelay = Time(wanDelay);
  site_path::SitePath path(options);
  Ptr<Node> hostA = path.hostA, gwA = path.gwA, gwB = path.gwB, hostB = path.hostB;
  std::replace(netem.begin(), netem.end(), ',', ' ');
  if (!netem.empty()) tunnelsim::ImpairmentHelper::Install(path.wan.Get(0), netem);

  GreIpsecHelper helper;
  helper.SetAttribute("Mode", EnumValue(tunnelMode));
  const GreIpsecGateway::Cipher aead =
      cipher == "aes-gcm" ? GreIpsecGateway::AES_256_GCM_16 : GreIpsecGateway::CHACHA20_POLY1305;
  helper.SetAttribute("EspCipher", EnumValue(aead));
  helper.SetAttribute("IkeCipher", EnumValue(aead));
  helper.SetAttribute("GreKey", IntegerValue(greKey));
  helper.SetAttribute("GreSequence", BooleanValue(greSeq || greIseq));
  helper.SetAttribute("GreInSequence", BooleanValue(greIseq));
  helper.SetAttribute("ReplayWindow", UintegerValue(replayWindow));
  helper.SetAttribute("Esn", BooleanValue(esn));
  helper.SetAttribute("SoftLifetime", TimeValue(Seconds(softLifetime)));
  helper.SetAttribute("HardLifetime", TimeValue(Seconds(hardLifetime)));
  helper.SetAttribute("LifetimeJitter", DoubleValue(jitter));
  helper.SetAttribute("RekeyMode", EnumValue(rekeyMode == "make-before-break"
                                                 ? GreIpsecGateway::MAKE_BEFORE_BREAK
                                                 : GreIpsecGateway::BREAK_BEFORE_MAKE));
  if (cpuWorkers > 0) {
    helper.SetCpuModelAttribute("Workers", UintegerValue(cpuWorkers));
    helper.SetCpuModelAttribute("Reserialise", BooleanValue(cpuReserialise));
    helper.SetCpuModelAttribute("FixedCost", TimeValue(MicroSeconds(cpuFixedUs)));
    helper.SetCpuModelAttribute("PerByteCost", DoubleValue(cpuPerByteNs));
  }
  if (!keysPrefix.empty()) {
    KeyLogWriter::Forget(keysPrefix + ".esp_sa");
    KeyLogWriter::Forget(keysPrefix + ".ikev2_decryption_table");
    helper.EnableKeyExport(keysPrefix + ".esp_sa", keysPrefix + ".ikev2_decryption_table");
  }
  GreIpsecTunnel tunnel =
      helper.Install(gwA, path.gwAOuter, gwB, path.gwBOuter, {{"10.1.0.0/24"}, {"10.2.0.0/24"}});
  tunnel.a->TraceConnectWithoutContext("SaRekeyed", MakeCallback(&CountRekey));
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  // Inner TCP segments fill the tunnel MTU exactly (TCP header 32 bytes with timestamps).
  const uint16_t tunnelMtu = tunnel.a->TunnelMtuFor(1500);
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(tunnelMtu - 20 - 32));

  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), 5001));
  ApplicationContainer sinkApp = sinkHelper.Install(hostB);
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(path.hostBAddress, 5001));
  bulk.SetAttribute("MaxBytes", UintegerValue(0));
  bulk.Install(hostA).Start(Seconds(1));
  if (!pcapPrefix.empty()) {
    PointToPointHelper().EnablePcap(pcapPrefix + "-wan.pcap", path.wan.Get(1), false, true);
    helper.EnablePcap(pcapPrefix + "-gre1.pcap", tunnel.b->GetTunnelDevice(), false, true);
  }

  Simulator::Stop(Seconds(durationSeconds));
  Simulator::Run();
  const uint64_t bytes = DynamicCast<PacketSink>(sinkApp.Get(0))->GetTotalRx();
  std::cout << "mode " << mode << ", tunnel MTU " << tunnelMtu << "\n"
            << "goodput " << bytes * 8.0 / (durationSeconds - 1.0) / 1e6 << " Mbit/s\n";
  if (const tunnelsim::ipsec::IkeSa *ike = tunnel.a->GetIkeSa()) {
    std::cout << "IKE " << tunnelsim::ipsec::IkeStateName(ike->state()) << ", "
              << ike->counters().messagesSent << " messages sent, " << g_rekeys
              << " Child SA rekeys\n"
              << "ESP sent " << tunnel.a->GetEspOutboundCounters().packets << ", received "
              << tunnel.b->GetEspInboundCounters().packets << "\n";
  }
  if (tunnelMode != GreIpsecGateway::IPSEC_TUNNEL)
    std::cout << "GRE decapsulated " << tunnel.b->GetGreCounters().decapsulated << "\n";
  for (const Ptr<GreIpsecGateway> *gateway : {&tunnel.a, &tunnel.b}) {
    for (const auto &[reason, count] : (*gateway)->GetDropCounts())
      std::cout << "drop " << (gateway == &tunnel.a ? "gwA " : "gwB ") << reason << " " << count
                << "\n";
  }
  Simulator::Destroy();
  return 0;
}

// A capture of the outer link plus the key log opens in Wireshark's WireGuard dissector:
// every handshake decrypts, inner TCP is visible, and nothing is malformed.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace tunnelsim_test;

namespace {

// Number of packets of `pcap` matching the display filter, as tshark sees them with the key
// log; -1 when tshark cannot run.
long CountMatching(const std::string &pcap, const std::string &keyLog, const std::string &filter) {
  const std::string command = "/usr/bin/tshark -n -r '" + pcap + "' -o 'wg.keylog_file:" + keyLog +
                              "' -o wg.dissect_packet:TRUE -Y '" + filter +
                              "' -T fields -e frame.number 2>/dev/null";
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  long lines = 0;
  for (int c; (c = fgetc(pipe)) != EOF;)
    if (c == '\n') ++lines;
  return pclose(pipe) == 0 ? lines : -1;
}

} // namespace

BOOST_AUTO_TEST_CASE(tshark_decrypts_every_handshake_and_shows_inner_tcp) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/tshark"), "tshark is not installed");
  ResetDefaults();
  // Real checksums, so the dissector would flag a corrupted inner packet.
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ns3wg-tshark-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string keyLog = (dir / "keys.log").string();
  const std::string outerPcap = (dir / "outer.pcap").string();
  const std::string tunnelPcap = (dir / "wg0.pcap").string();
  KeyLogWriter::Forget(keyLog);

  SiteToSiteOptions options;
  options.accessRate = "10Mbps";
  options.configure = [&keyLog](WireGuardHelper &helper) {
    helper.SetAttribute("KeyLogFile", StringValue(keyLog));
    // Several sessions in a short run, so decryption is shown across rekeys.
    helper.SetAttribute("RekeyAfterTime", TimeValue(Seconds(8)));
  };
  SiteToSite net(options);
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), 5001));
  sinkHelper.Install(net.hostB).Start(Seconds(0));
  OnOffHelper source("ns3::TcpSocketFactory", InetSocketAddress(net.hostBAddress, 5001));
  source.SetConstantRate(DataRate("1Mbps"), 1000);
  ApplicationContainer sourceApp = source.Install(net.hostA);
  sourceApp.Start(Seconds(1));
  sourceApp.Stop(Seconds(28));
  PointToPointHelper p2p;
  p2p.EnablePcap(outerPcap, net.access.Get(0), false, true);
  net.helper.EnablePcap(tunnelPcap, net.wgA->GetTunnelDevice(), false, true);
  Simulator::Stop(Seconds(30));
  Simulator::Run();
  const uint64_t handshakes = net.wgA->GetCounters().handshakesCompleted;
  Simulator::Destroy();
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(false));

  const long initiations = CountMatching(outerPcap, keyLog, "wg.type == 1");
  const long responses = CountMatching(outerPcap, keyLog, "wg.type == 2");
  // The dissector marks a whole handshake as verified (wg.handshake_ok) on its response; an
  // initiation shows it was decrypted by its static key and timestamp fields.
  const long initiationsOk =
      CountMatching(outerPcap, keyLog, "wg.type == 1 && wg.static && wg.timestamp.value");
  const long responsesOk = CountMatching(outerPcap, keyLog, "wg.type == 2 && wg.handshake_ok == 1");
  const long data = CountMatching(outerPcap, keyLog, "wg.type == 4 && !wg.keepalive");
  const long innerTcp =
      CountMatching(outerPcap, keyLog, "wg.type == 4 && tcp && ip.src == 10.1.0.1");
  const long bad = CountMatching(outerPcap, keyLog,
                                 "_ws.malformed || _ws.expert.severity >= \"Warning\" || "
                                 "wg.decryption_error");
  const long tunnelTcp = CountMatching(tunnelPcap, keyLog, "tcp && ip.dst == 10.2.0.2");
  BOOST_TEST_MESSAGE(handshakes << " handshakes; " << initiations << " initiations ("
                                << initiationsOk << " decrypted), " << responses << " responses ("
                                << responsesOk << " decrypted), " << data << " data packets, "
                                << innerTcp << " with inner TCP, " << bad
                                << " flagged; tunnel capture: " << tunnelTcp << " TCP packets");
  BOOST_TEST(handshakes >= 3u);
  BOOST_TEST(initiations >= static_cast<long>(handshakes));
  BOOST_TEST(initiationsOk == initiations);
  BOOST_TEST(responses >= static_cast<long>(handshakes));
  BOOST_TEST(responsesOk == responses);
  BOOST_TEST(data > 1000);
  // Every data packet from A's site decrypts to its TCP segment.
  BOOST_TEST(innerTcp > 0);
  BOOST_TEST(CountMatching(outerPcap, keyLog, "wg.type == 4 && !wg.keepalive && !tcp") == 0);
  BOOST_TEST(bad == 0);
  BOOST_TEST(tunnelTcp > 1000);
  if (!getenv("NS3WG_KEEP")) std::filesystem::remove_all(dir);
}

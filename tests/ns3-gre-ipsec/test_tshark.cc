// A capture of the WAN link opens in tshark: ISAKMP, ESP and GRE dissect without malformed
// packets or warnings; with the exported key files in a Wireshark profile, every IKE message
// decrypts and every ESP packet decrypts to GRE carrying the inner TCP segment.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace gre_ipsec_test;

namespace {

// Packets of `pcap` matching `filter` as tshark shows them with the Wireshark configuration
// in `configHome` (its wireshark/ folder is the personal profile); -1 when tshark fails.
long CountMatching(const std::string &configHome, const std::string &pcap,
                   const std::string &filter) {
  const std::string command = "HOME='" + configHome + "' XDG_CONFIG_HOME='" + configHome +
                              "' /usr/bin/tshark -n -r '" + pcap +
                              "' -o esp.enable_encryption_decode:TRUE -Y '" + filter +
                              "' -T fields -e frame.number 2>/dev/null";
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  long lines = 0;
  for (int c; (c = fgetc(pipe)) != EOF;)
    if (c == '\n') ++lines;
  return pclose(pipe) == 0 ? lines : -1;
}

std::filesystem::path TempDir(const std::string &name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("ns3-gre-ipsec-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A TCP flow of 2 Mbit/s from hostA to hostB between 1 s and `stop`.
void InstallTcpFlow(SiteToSite &net, Time stop) {
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), 5001));
  sinkHelper.Install(net.hostB).Start(Seconds(0));
  OnOffHelper source("ns3::TcpSocketFactory", InetSocketAddress(net.hostBAddress, 5001));
  source.SetConstantRate(DataRate("2Mbps"), 1000);
  ApplicationContainer sourceApp = source.Install(net.hostA);
  sourceApp.Start(Seconds(1));
  sourceApp.Stop(stop);
}

const char *const kFlagged = "_ws.malformed || _ws.expert.severity >= \"Warning\"";

} // namespace

BOOST_AUTO_TEST_CASE(tshark_decrypts_ike_and_esp_to_gre_and_inner_tcp_with_exported_keys) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/tshark"), "tshark is not installed");
  ResetDefaults(1400);
  // Real checksums, so the dissectors would flag a corrupted inner packet.
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  const std::filesystem::path dir = TempDir("tshark");
  const std::filesystem::path profile = dir / "config" / "wireshark";
  std::filesystem::create_directories(profile);
  const std::string espSa = (profile / "esp_sa").string();
  const std::string ikev2 = (profile / "ikev2_decryption_table").string();
  const std::string pcap = (dir / "wan.pcap").string();
  KeyLogWriter::Forget(espSa);
  KeyLogWriter::Forget(ikev2);

  SiteToSiteOptions options;
  options.configure = [&](GreIpsecHelper &helper) {
    helper.SetAttribute("GreKey", IntegerValue(0x2a));
    helper.SetAttribute("GreSequence", BooleanValue(true));
    // Several Child SAs in a short run, so decryption is shown across rekeys.
    helper.SetAttribute("SoftLifetime", TimeValue(Seconds(3)));
    helper.SetAttribute("RekeyOverlap", TimeValue(Seconds(1)));
    helper.EnableKeyExport(espSa, ikev2);
  };
  SiteToSite net(options);
  InstallTcpFlow(net, Seconds(9));
  PointToPointHelper p2p;
  p2p.EnablePcap(pcap, net.wan.Get(1), false, true);
  Simulator::Stop(Seconds(10));
  Simulator::Run();
  const uint64_t rekeys = net.tunnel.a->GetIkeSa()->counters().childSasRekeyed;
  const size_t espSaLines = net.tunnel.a->GetEspSaLines().size();
  const uint64_t espSent = net.tunnel.a->GetEspOutboundCounters().packets;
  Simulator::Destroy();
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(false));

  // Gateway A wrote one line per SA (both directions) and one for the IKE SA.
  std::ifstream espFile(espSa);
  size_t fileLines = 0;
  for (std::string line; std::getline(espFile, line);)
    fileLines += !line.empty();
  BOOST_TEST(rekeys >= 2u);
  BOOST_TEST(espSaLines == 2 * (1 + rekeys));
  BOOST_TEST(fileLines == espSaLines);

  const std::string home = (dir / "config").string();
  const long ike = CountMatching(home, pcap, "isakmp");
  const long ikeAuth = CountMatching(home, pcap, "isakmp.exchangetype == 35");
  const long ikeAuthDecrypted =
      CountMatching(home, pcap, "isakmp.exchangetype == 35 && isakmp.id.type");
  const long rekeyRequests = CountMatching(home, pcap, "isakmp.notify.msgtype == 16393");
  const long esp = CountMatching(home, pcap, "esp");
  const long espGre = CountMatching(home, pcap, "esp && gre.key == 0x2a && gre.sequence_number");
  const long espGreTcp = CountMatching(home, pcap, "esp && gre && tcp && ip.src == 10.1.0.1");
  const long espNotDecrypted = CountMatching(home, pcap, "esp && !gre");
  const long flagged = CountMatching(home, pcap, kFlagged);
  BOOST_TEST_MESSAGE(rekeys << " rekeys, " << espSaLines << " SAs; " << ike << " ISAKMP ("
                            << ikeAuth << " IKE_AUTH, " << ikeAuthDecrypted << " decrypted, "
                            << rekeyRequests << " REKEY_SA), " << esp << " ESP (" << espGre
                            << " with GRE, " << espGreTcp << " with A's inner TCP, "
                            << espNotDecrypted << " not decrypted), " << flagged << " flagged");
  // IKE_SA_INIT, IKE_AUTH, then per rekey a CREATE_CHILD_SA and an INFORMATIONAL exchange.
  BOOST_TEST(ike >= static_cast<long>(4 + 4 * rekeys));
  BOOST_TEST(ikeAuth == 2);
  BOOST_TEST(ikeAuthDecrypted == 2);
  BOOST_TEST(rekeyRequests >= static_cast<long>(rekeys));
  // The capture is on gwB's WAN side: it sees both directions of every ESP packet.
  BOOST_TEST(esp > static_cast<long>(espSent));
  BOOST_TEST(espGre == esp);
  BOOST_TEST(espGreTcp > 1000);
  BOOST_TEST(espNotDecrypted == 0);
  BOOST_TEST(flagged == 0);

  // Without the keys the same capture dissects cleanly but nothing decrypts.
  const std::string noKeys = (dir / "empty").string();
  std::filesystem::create_directories(noKeys);
  BOOST_TEST(CountMatching(noKeys, pcap, "esp && gre") == 0);
  BOOST_TEST(CountMatching(noKeys, pcap, "isakmp.exchangetype == 35 && isakmp.id.type") == 0);
  BOOST_TEST(CountMatching(noKeys, pcap, "_ws.malformed") == 0);
  if (!getenv("NS3_GRE_IPSEC_KEEP")) std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(tshark_dissects_plain_gre_with_key_and_sequence) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/tshark"), "tshark is not installed");
  ResetDefaults(1400);
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  const std::filesystem::path dir = TempDir("gre");
  const std::string pcap = (dir / "wan.pcap").string();
  SiteToSiteOptions options;
  options.mode = GreIpsecGateway::GRE;
  options.configure = [](GreIpsecHelper &helper) {
    helper.SetAttribute("GreKey", IntegerValue(0x2a));
    helper.SetAttribute("GreSequence", BooleanValue(true));
    helper.SetAttribute("GreChecksum", BooleanValue(true));
  };
  SiteToSite net(options);
  InstallTcpFlow(net, Seconds(4));
  PointToPointHelper p2p;
  p2p.EnablePcap(pcap, net.wan.Get(1), false, true);
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  Simulator::Destroy();
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(false));

  const std::string home = dir.string();
  const long gre = CountMatching(home, pcap, "gre");
  const long checked = CountMatching(
      home, pcap, "gre.key == 0x2a && gre.sequence_number && gre.checksum.status == 1 && tcp");
  BOOST_TEST_MESSAGE(gre << " GRE packets, " << checked << " with key, sequence, good checksum "
                         << "and TCP inside");
  BOOST_TEST(gre > 500);
  BOOST_TEST(checked == gre);
  BOOST_TEST(CountMatching(home, pcap, "esp || isakmp") == 0);
  BOOST_TEST(CountMatching(home, pcap, kFlagged) == 0);
  if (!getenv("NS3_GRE_IPSEC_KEEP")) std::filesystem::remove_all(dir);
}

// Drops by reason on the receive path, each provoked on purpose: forged and replayed ESP from
// a spoofing router (replay, ICV failure, unknown SPI, malformed), GRE sent around IPsec, a GRE
// key mismatch, and an IKE authentication failure (no SA ever installed). The Drop trace, the
// gateway's tally and the protocol cores' counters agree.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <vector>

using namespace gre_ipsec_test;

namespace {

std::vector<uint8_t> Bytes(Ptr<const Packet> packet) {
  std::vector<uint8_t> bytes(packet->GetSize());
  packet->CopyData(bytes.data(), bytes.size());
  return bytes;
}

// Sends `payload` as an IP packet of `protocol` from `node`, with a spoofed source address.
void SendSpoofed(Ptr<Node> node, Ipv4Address source, Ipv4Address destination, uint8_t protocol,
                 const std::vector<uint8_t> &payload) {
  node->GetObject<Ipv4>()->Send(Create<Packet>(payload.data(), payload.size()), source, destination,
                                protocol, nullptr);
}

void Capture(std::vector<std::vector<uint8_t>> *captured, Ptr<const Packet> packet) {
  captured->push_back(Bytes(packet));
}

void CollectEvent(std::vector<std::string> *events, const std::string &event, uint32_t,
                  const std::string &) {
  events->push_back(event);
}

} // namespace

BOOST_AUTO_TEST_CASE(forged_and_replayed_esp_is_dropped_by_reason) {
  ResetDefaults(1400);
  SiteToSite net;
  DropCounter drops;
  drops.Attach(net.tunnel.b);
  std::vector<std::vector<uint8_t>> sent;
  net.tunnel.a->TraceConnectWithoutContext("OuterTx", MakeBoundCallback(&Capture, &sent));
  CbrFlow cbr = InstallCbr(net, Seconds(1), Seconds(2), MilliSeconds(10));
  const Ipv4Address from = net.gwAOuter, to = net.gwBOuter;
  Simulator::Schedule(Seconds(3), [&]() {
    BOOST_REQUIRE(sent.size() >= 50u);
    // A replay of a packet the receiver has seen, 3 times.
    for (int i = 0; i < 3; ++i)
      SendSpoofed(net.router, from, to, 50, sent[40]);
    // A captured packet with a new sequence number: the ICV (over SPI and sequence) fails.
    std::vector<uint8_t> forged = sent[45];
    forged[4] = 0x01;
    SendSpoofed(net.router, from, to, 50, forged);
    // An SPI nobody installed.
    std::vector<uint8_t> unknown = sent[46];
    unknown[0] ^= 0xFF;
    SendSpoofed(net.router, from, to, 50, unknown);
    // Too short to be ESP.
    SendSpoofed(net.router, from, to, 50, {1, 2, 3});
    // GRE around IPsec: refused by a GRE-over-IPsec gateway.
    SendSpoofed(net.router, from, to, 47, {0, 0, 0x08, 0, 0x45, 0, 0, 20});
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  const tunnelsim::ipsec::EspCounters esp = net.tunnel.b->GetEspInboundCounters();
  BOOST_TEST(cbr.server->GetReceived() == 100u);
  BOOST_TEST(esp.dropReplay == 3u);
  BOOST_TEST(esp.dropIcv == 1u);
  BOOST_TEST(esp.dropNoSa == 1u);
  BOOST_TEST(esp.dropMalformed + esp.dropNoSa == 2u);
  BOOST_TEST(drops.Get("replay") == 3u);
  BOOST_TEST(drops.Get("icv-failure") == 1u);
  BOOST_TEST(drops.Get("no-sa") == esp.dropNoSa);
  BOOST_TEST(drops.Get("malformed") == esp.dropMalformed);
  BOOST_TEST(drops.Get("unprotected-gre") == 1u);
  BOOST_TEST(drops.Total() == esp.TotalDrops() + 1);
  BOOST_TEST(net.tunnel.b->GetDropCounts() == drops.byReason);
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(gre_key_mismatch_drops_every_packet) {
  ResetDefaults(1400);
  SiteToSiteOptions options;
  options.mode = GreIpsecGateway::GRE;
  options.configure = [](GreIpsecHelper &helper) {
    helper.SetAttribute("GreKey", IntegerValue(1));
  };
  SiteToSite net(options);
  net.tunnel.b->SetAttribute("GreKey", IntegerValue(2));
  DropCounter drops;
  drops.Attach(net.tunnel.b);
  CbrFlow cbr = InstallCbr(net, Seconds(1), Seconds(2), MilliSeconds(10));
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  BOOST_TEST(cbr.server->GetReceived() == 0u);
  BOOST_TEST(net.tunnel.b->GetGreCounters().dropKeyMismatch == 100u);
  BOOST_TEST(drops.Get("gre-key-mismatch") == 100u);
  BOOST_TEST(drops.Total() == 100u);
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(wrong_psk_fails_ike_and_nothing_is_sent) {
  ResetDefaults(1400);
  SiteToSite net;
  net.tunnel.b->SetAttribute("PreSharedKey", StringValue("another key"));
  std::vector<std::string> eventsA;
  net.tunnel.a->TraceConnectWithoutContext("IkeEvent", MakeBoundCallback(&CollectEvent, &eventsA));
  DropCounter dropsA;
  dropsA.Attach(net.tunnel.a);
  CbrFlow cbr = InstallCbr(net, Seconds(1), Seconds(2), MilliSeconds(10));
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  BOOST_TEST((net.tunnel.a->GetIkeSa()->state() == tunnelsim::ipsec::IkeState::Failed));
  BOOST_TEST(net.tunnel.a->GetSad().outboundCount() == 0u);
  BOOST_TEST(net.tunnel.b->GetSad().inboundCount() == 0u);
  BOOST_TEST(std::count(eventsA.begin(), eventsA.end(), "authentication-failed") == 1);
  BOOST_TEST(cbr.server->GetReceived() == 0u);
  BOOST_TEST(dropsA.Get("no-sa") == 100u);
  BOOST_TEST(net.tunnel.a->GetEspOutboundCounters().dropNoSa == 100u);
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(chacha20_poly1305_with_esn_and_random_ivs_carries_traffic) {
  ResetDefaults(1400);
  SiteToSiteOptions options;
  options.configure = [](GreIpsecHelper &helper) {
    helper.SetAttribute("EspCipher", EnumValue(GreIpsecGateway::CHACHA20_POLY1305));
    helper.SetAttribute("IkeCipher", EnumValue(GreIpsecGateway::CHACHA20_POLY1305));
    helper.SetAttribute("Esn", BooleanValue(true));
    helper.SetAttribute("RandomIv", BooleanValue(true));
    helper.SetAttribute("Pfs", BooleanValue(true));
    helper.SetAttribute("SoftLifetime", TimeValue(Seconds(1)));
  };
  SiteToSite net(options);
  DropCounter drops;
  drops.Attach(net.tunnel.b);
  CbrFlow cbr = InstallCbr(net, Seconds(0.5), Seconds(2.5), MilliSeconds(10));
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  BOOST_TEST(cbr.server->GetReceived() == 200u);
  BOOST_TEST(drops.Total() == 0u);
  BOOST_TEST(net.tunnel.a->GetIkeSa()->counters().childSasRekeyed >= 1u);
  const uint32_t spi = net.tunnel.a->GetIkeSa()->childSas().back().inboundSpi;
  const tunnelsim::ipsec::EspSa *sa = net.tunnel.a->GetSad().FindInbound(spi);
  BOOST_REQUIRE(sa);
  BOOST_TEST(sa->config().esn);
  BOOST_TEST((sa->config().cipher == tunnelsim::ipsec::EspCipher::ChaCha20Poly1305));
  // Wireshark 4.0 has no ChaCha20-Poly1305 entry: no key line is produced.
  BOOST_TEST(net.tunnel.a->GetEspSaLines().empty());
  Simulator::Destroy();
}

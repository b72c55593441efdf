// Bulk TCP through each tunnel mode reaches the goodput the 100 Mbit/s access link can carry
// after that mode's per-packet overhead, computed here from the header sizes.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

using namespace gre_ipsec_test;

namespace {

constexpr uint32_t kPppHeader = 2;
constexpr uint32_t kOuterIpv4 = 20;
constexpr uint32_t kEspHeader = 8; // SPI, sequence number
constexpr uint32_t kEspIv = 8;
constexpr uint32_t kEspIcv = 16;
constexpr uint32_t kEspTrailer = 2; // pad length, next header
constexpr uint32_t kGreBase = 4;
constexpr uint32_t kGreKey = 4;
constexpr uint32_t kGreSequence = 4;
constexpr uint32_t kOuterMtu = 1500;

uint32_t PaddedTo4(uint32_t n) { return (n + 3) / 4 * 4; }

// Outer IP packet size for an inner packet of `inner` bytes.
uint32_t OuterPacket(GreIpsecGateway::Mode mode, uint32_t greHeader, uint32_t inner) {
  switch (mode) {
  case GreIpsecGateway::GRE_OVER_IPSEC:
    return kOuterIpv4 + kEspHeader + kEspIv + PaddedTo4(greHeader + inner + kEspTrailer) + kEspIcv;
  case GreIpsecGateway::IPSEC_TUNNEL:
    return kOuterIpv4 + kEspHeader + kEspIv + PaddedTo4(inner + kEspTrailer) + kEspIcv;
  case GreIpsecGateway::GRE:
    return kOuterIpv4 + greHeader + inner;
  }
  return 0;
}

void CheckGoodput(GreIpsecGateway::Mode mode, const char *name) {
  const uint32_t greHeader = kGreBase + kGreKey + kGreSequence;
  uint32_t mtu = kOuterMtu;
  while (OuterPacket(mode, greHeader, mtu) > kOuterMtu)
    --mtu;
  ResetDefaults(mtu);
  SiteToSiteOptions options;
  options.mode = mode;
  options.configure = [](GreIpsecHelper &helper) {
    helper.SetAttribute("GreKey", IntegerValue(0x1234));
    helper.SetAttribute("GreSequence", BooleanValue(true));
    helper.SetAttribute("GreInSequence", BooleanValue(true));
  };
  SiteToSite net(options);
  const Time start = Seconds(1), measureFrom = Seconds(5), measureTo = Seconds(13);
  GoodputWindow window{InstallBulkTcp(net, start)};
  window.Schedule(measureFrom, measureTo);
  Simulator::Stop(measureTo);
  Simulator::Run();

  const uint32_t segment = mtu - kIpv4Header - kTcpHeaderWithTimestamps;
  const uint32_t onTheWire = kPppHeader + OuterPacket(mode, greHeader, mtu);
  const double limit = 100e6 * segment / onTheWire;
  const double goodput = window.Bps(measureFrom, measureTo);
  BOOST_TEST_MESSAGE(name << ": tunnel MTU " << mtu << ", goodput " << goodput / 1e6
                          << " Mbit/s, limit " << limit / 1e6 << " Mbit/s (" << onTheWire
                          << " wire bytes per " << segment << " payload bytes)");
  // The gateway's automatic MTU is the largest inner packet that fits one outer packet.
  BOOST_TEST(net.tunnel.a->GetTunnelDevice()->GetMtu() == mtu);
  BOOST_TEST(net.tunnel.b->GetTunnelDevice()->GetMtu() == mtu);
  BOOST_TEST(onTheWire <= kOuterMtu + kPppHeader);
  BOOST_TEST(goodput >= 0.95 * limit);
  BOOST_TEST(goodput <= limit * 1.01);
  // The traffic really went through the tunnel, without tunnel drops.
  BOOST_TEST(net.tunnel.a->GetDropCounts().empty());
  BOOST_TEST(net.tunnel.b->GetDropCounts().empty());
  if (mode != GreIpsecGateway::IPSEC_TUNNEL) {
    BOOST_TEST(net.tunnel.b->GetGreCounters().decapsulated >= window.atEnd / segment);
  }
  if (mode != GreIpsecGateway::GRE) {
    BOOST_TEST(net.tunnel.b->GetEspInboundCounters().packets >= window.atEnd / segment);
    BOOST_TEST(net.tunnel.a->GetIkeSa()->counters().childSasCreated == 1u);
  }
  Simulator::Destroy();
}

} // namespace

BOOST_AUTO_TEST_CASE(gre_over_ipsec_bulk_tcp_reaches_95_percent_of_the_overhead_limit) {
  CheckGoodput(GreIpsecGateway::GRE_OVER_IPSEC, "GRE over IPsec");
}

BOOST_AUTO_TEST_CASE(ipsec_tunnel_mode_bulk_tcp_reaches_95_percent_of_the_overhead_limit) {
  CheckGoodput(GreIpsecGateway::IPSEC_TUNNEL, "IPsec tunnel mode");
}

BOOST_AUTO_TEST_CASE(plain_gre_bulk_tcp_reaches_95_percent_of_the_overhead_limit) {
  CheckGoodput(GreIpsecGateway::GRE, "GRE");
}

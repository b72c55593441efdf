// Bulk TCP through the tunnel reaches the goodput the outer link can carry after
// WireGuard's per-packet overhead.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim_test;

namespace {

constexpr uint32_t kPppHeader = 2;
constexpr uint32_t kOuterIpv4 = 20;
constexpr uint32_t kUdpHeader = 8;
constexpr uint32_t kWgDataHeader = 16; // type, receiver index, counter
constexpr uint32_t kPoly1305Tag = 16;
constexpr uint32_t kWgPaddingMultiple = 16;

uint32_t PaddedTo16(uint32_t n) {
  return (n + kWgPaddingMultiple - 1) / kWgPaddingMultiple * kWgPaddingMultiple;
}

} // namespace

BOOST_AUTO_TEST_CASE(bulk_tcp_reaches_95_percent_of_the_overhead_limit) {
  ResetDefaults();
  SiteToSite net;
  const Time start = Seconds(1), measureFrom = Seconds(5), measureTo = Seconds(13);
  GoodputWindow window{InstallBulkTcp(net, start)};
  window.Schedule(measureFrom, measureTo);
  Simulator::Stop(measureTo);
  Simulator::Run();

  const uint32_t innerPacket = kIpv4Header + kTcpHeaderWithTimestamps + kSegmentSize;
  BOOST_REQUIRE_EQUAL(innerPacket, kTunnelMtu);
  const uint32_t onTheWire =
      kPppHeader + kOuterIpv4 + kUdpHeader + kWgDataHeader + PaddedTo16(innerPacket) + kPoly1305Tag;
  const double linkBps = 100e6;
  const double limit = linkBps * kSegmentSize / onTheWire;
  const double goodput = window.Bps(measureFrom, measureTo);
  BOOST_TEST_MESSAGE("goodput " << goodput / 1e6 << " Mbit/s, limit " << limit / 1e6 << " Mbit/s ("
                                << onTheWire << " wire bytes per " << kSegmentSize
                                << " payload bytes)");
  BOOST_TEST(goodput >= 0.95 * limit);
  // In-order delivery after a recovered loss can push a window slightly past the link rate.
  BOOST_TEST(goodput <= limit * 1.01);
  // The traffic really went through the tunnel.
  BOOST_TEST(net.wgB->GetCounters().dataBytesReceived >= window.atEnd);
  BOOST_TEST(net.wgA->GetCounters().handshakesCompleted == 1u);
  BOOST_TEST(net.wgA->GetCounters().TotalDrops() == 0u);
  BOOST_TEST(net.wgB->GetCounters().TotalDrops() == 0u);
  Simulator::Destroy();
}

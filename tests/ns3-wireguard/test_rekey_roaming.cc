// Long-running behaviour: periodic rekeying without loss, and roaming after a NAT rebinding.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace tunnelsim_test;
namespace wg = tunnelsim::wireguard;

namespace {

void RecordTime(std::vector<Time> *times, const std::string &) {
  times->push_back(Simulator::Now());
}

} // namespace

BOOST_AUTO_TEST_CASE(ten_minute_transfer_rekeys_every_120_s_without_loss) {
  ResetDefaults();
  SiteToSite net;
  const Time start = Seconds(1), stop = Seconds(601), interval = MilliSeconds(50);
  CbrFlow flow = InstallCbr(net, start, stop, interval);
  std::vector<Time> completed, rekeys;
  net.wgA->TraceConnectWithoutContext("HandshakeCompleted",
                                      MakeBoundCallback(&RecordTime, &completed));
  net.wgA->TraceConnectWithoutContext("Rekey", MakeBoundCallback(&RecordTime, &rekeys));
  Simulator::Stop(stop + Seconds(1));
  Simulator::Run();

  const uint64_t sent =
      static_cast<uint64_t>((stop - start).GetNanoSeconds() / interval.GetNanoSeconds());
  BOOST_TEST_MESSAGE(completed.size() << " handshakes, " << rekeys.size() << " rekeys, "
                                      << flow.server->GetReceived() << "/" << sent << " packets");
  for (size_t i = 1; i < completed.size(); ++i) {
    const double gap = (completed[i] - completed[i - 1]).GetSeconds();
    BOOST_TEST_MESSAGE("session " << i << " after " << gap << " s");
    // A sender rekeys on its first packet after REKEY_AFTER_TIME: 120 s plus one packet
    // interval and a round trip at most.
    BOOST_TEST(gap >= 120.0);
    BOOST_TEST(gap <= 120.2);
  }
  BOOST_TEST(completed.size() == 5u); // at ~1, 121, 241, 361, 481 s
  BOOST_TEST(rekeys.size() == completed.size() - 1);
  // Not one packet lost to a rekey: every packet sent arrived and nothing was dropped.
  BOOST_TEST(flow.server->GetReceived() == sent);
  BOOST_TEST(flow.server->GetLost() == 0u);
  BOOST_TEST(net.wgA->GetCounters().TotalDrops() == 0u);
  BOOST_TEST(net.wgB->GetCounters().TotalDrops() == 0u);
  Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(roaming_after_nat_rebinding_resumes_on_next_authenticated_packet) {
  ResetDefaults();
  SiteToSite net;
  const Time start = Seconds(1), rebindAt = Seconds(5), end = Seconds(12);
  Ptr<PacketSink> sink = InstallBulkTcp(net, start);
  const Ipv4Address newOuter("100.64.0.77");
  // The home gateway's public address changes (a NAT rebinding upstream): the old address
  // disappears and datagrams leave from the new one.
  Simulator::Schedule(rebindAt, [&net, newOuter]() {
    Ptr<Ipv4> ipv4 = net.gwA->GetObject<Ipv4>();
    const int32_t interface = ipv4->GetInterfaceForDevice(net.access.Get(0));
    ipv4->RemoveAddress(interface, net.gwAOuter);
    ipv4->AddAddress(interface, Ipv4InterfaceAddress(newOuter, Ipv4Mask("255.255.255.0")));
  });
  std::vector<std::pair<Time, std::string>> endpointChanges;
  net.wgB->TraceConnectWithoutContext(
      "EndpointChanged",
      MakeBoundCallback(
          +[](std::vector<std::pair<Time, std::string>> *changes, const std::string &,
              const std::string &endpoint) { changes->emplace_back(Simulator::Now(), endpoint); },
          &endpointChanges));
  GoodputWindow before{sink}, after{sink};
  before.Schedule(Seconds(3), rebindAt);
  after.Schedule(rebindAt + Seconds(2), end);
  Simulator::Stop(end);
  Simulator::Run();

  for (const auto &[time, endpoint] : endpointChanges)
    BOOST_TEST_MESSAGE("responder moved peer to " << endpoint << " at " << time.GetSeconds());
  const auto endpoint = net.wgB->GetPeerEndpoint(net.wgA->GetPublicKey());
  BOOST_REQUIRE(endpoint.has_value());
  BOOST_TEST(endpoint->ToString() == "100.64.0.77:51820");
  // The move is seen with the first datagram from the new address: after the datagrams
  // already queued at the bottleneck with the old source (the bulk flow keeps ~100 ms there)
  // and the path delay, and without a new handshake.
  BOOST_REQUIRE(!endpointChanges.empty());
  BOOST_TEST(endpointChanges.back().first > rebindAt);
  BOOST_TEST(endpointChanges.back().first - rebindAt < MilliSeconds(300));
  BOOST_TEST(net.wgA->GetCounters().handshakesCompleted == 1u);
  const double goodputBefore = before.Bps(Seconds(3), rebindAt);
  const double goodputAfter = after.Bps(rebindAt + Seconds(2), end);
  BOOST_TEST_MESSAGE("goodput before " << goodputBefore / 1e6 << " Mbit/s, after "
                                       << goodputAfter / 1e6 << " Mbit/s");
  BOOST_TEST(goodputAfter > 0.8 * 92e6);
  Simulator::Destroy();
}

// Reordering and duplication on the WAN link (the impairment layer's netem-like queue disc on
// the router's egress towards gwB) against the receiver's checks: ESP anti-replay drops with a
// small window and none with a big one, GRE `iseq` drops; the Drop trace agrees with the
// protocol cores' counters reason by reason.
#include "site_to_site.h"

#include "ns3/impairment/impairment_helper.h"

#include <boost/test/unit_test.hpp>

using namespace gre_ipsec_test;

namespace {

// 1000-byte datagrams every 100 us: with 0-10 ms of uniform jitter a packet is overtaken by up
// to ~100 later ones.
constexpr uint64_t kPackets = 20000;
const char *const kReorder = "delay 5ms 5ms";
const char *const kReorderAndDuplicate = "delay 5ms 5ms duplicate 1%";

struct ReplayRun {
  DropCounter drops;
  tunnelsim::ipsec::EspCounters esp;
  tunnelsim::gre::GreCounters gre;
  std::map<std::string, uint64_t> gatewayDrops;
  uint64_t received = 0;
  uint64_t duplicated = 0; // copies the WAN impairment added
};

ReplayRun RunReordered(GreIpsecGateway::Mode mode, uint32_t window, bool greInSequence,
                       const std::string &netem) {
  ResetDefaults(1400);
  SiteToSiteOptions options;
  options.mode = mode;
  options.configure = [window, greInSequence](GreIpsecHelper &helper) {
    helper.SetAttribute("ReplayWindow", UintegerValue(window));
    helper.SetAttribute("GreSequence", BooleanValue(true));
    helper.SetAttribute("GreInSequence", BooleanValue(greInSequence));
  };
  SiteToSite net(options);
  Ptr<tunnelsim::ImpairmentQueueDisc> impairment =
      tunnelsim::ImpairmentHelper::Install(net.wan.Get(0), netem);
  ReplayRun run;
  run.drops.Attach(net.tunnel.b);
  CbrFlow cbr = InstallCbr(net, Seconds(1), Seconds(1) + MicroSeconds(100) * kPackets,
                           MicroSeconds(100), 1000);
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  BOOST_TEST(cbr.client->GetTotalTx() == kPackets * 1000);
  run.esp = net.tunnel.b->GetEspInboundCounters();
  run.gre = net.tunnel.b->GetGreCounters();
  run.gatewayDrops = net.tunnel.b->GetDropCounts();
  run.received = cbr.server->GetReceived();
  run.duplicated = impairment->NetemCounters()->duplicated;
  BOOST_TEST(impairment->NetemCounters()->lost + impairment->NetemCounters()->queueDrops == 0u);
  Simulator::Destroy();
  return run;
}

} // namespace

BOOST_AUTO_TEST_CASE(small_esp_window_drops_reordered_packets_and_the_trace_counts_them) {
  const ReplayRun run =
      RunReordered(GreIpsecGateway::GRE_OVER_IPSEC, 32, false, kReorderAndDuplicate);
  BOOST_TEST_MESSAGE("window 32: " << run.esp.dropOutsideWindow << " outside window, "
                                   << run.esp.dropReplay << " replays; " << run.received << " of "
                                   << kPackets << " delivered");
  BOOST_TEST(run.esp.dropOutsideWindow > 100u);
  BOOST_TEST(run.esp.dropReplay > 0u);
  BOOST_TEST(run.drops.Get("outside-window") == run.esp.dropOutsideWindow);
  BOOST_TEST(run.drops.Get("replay") == run.esp.dropReplay);
  BOOST_TEST(run.drops.Total() == run.esp.TotalDrops());
  BOOST_TEST(run.gatewayDrops == run.drops.byReason);
  // Every copy that arrived was either delivered or dropped by the anti-replay check.
  BOOST_TEST(run.received + run.esp.dropOutsideWindow + run.esp.dropReplay ==
             kPackets + run.duplicated);
  BOOST_TEST(run.received < kPackets);
}

BOOST_AUTO_TEST_CASE(big_esp_window_accepts_every_reordered_packet) {
  const ReplayRun run =
      RunReordered(GreIpsecGateway::GRE_OVER_IPSEC, 4096, false, kReorderAndDuplicate);
  BOOST_TEST_MESSAGE("window 4096: " << run.esp.dropOutsideWindow << " outside window, "
                                     << run.esp.dropReplay << " replays; " << run.received << " of "
                                     << kPackets << " delivered");
  BOOST_TEST(run.esp.dropOutsideWindow == 0u);
  // Duplicates are still replays, whatever the window.
  BOOST_TEST(run.esp.dropReplay > 0u);
  BOOST_TEST(run.drops.Get("replay") == run.esp.dropReplay);
  BOOST_TEST(run.drops.Total() == run.esp.dropReplay);
  BOOST_TEST(run.received == kPackets);
  BOOST_TEST(run.esp.dropReplay == run.duplicated);
}

BOOST_AUTO_TEST_CASE(gre_iseq_drops_reordered_packets_inside_ipsec) {
  const ReplayRun run = RunReordered(GreIpsecGateway::GRE_OVER_IPSEC, 4096, true, kReorder);
  BOOST_TEST_MESSAGE("GRE over IPsec, iseq: " << run.gre.dropOutOfSequence << " out of sequence; "
                                              << run.received << " of " << kPackets
                                              << " delivered");
  BOOST_TEST(run.esp.TotalDrops() == 0u);
  BOOST_TEST(run.gre.dropOutOfSequence > 100u);
  BOOST_TEST(run.drops.Get("gre-out-of-sequence") == run.gre.dropOutOfSequence);
  BOOST_TEST(run.drops.Total() == run.gre.TotalDrops());
  BOOST_TEST(run.received + run.gre.dropOutOfSequence == kPackets);
}

BOOST_AUTO_TEST_CASE(plain_gre_iseq_drops_reordered_packets_and_accept_mode_does_not) {
  const ReplayRun iseq = RunReordered(GreIpsecGateway::GRE, 0, true, kReorder);
  BOOST_TEST_MESSAGE("GRE, iseq: " << iseq.gre.dropOutOfSequence << " out of sequence");
  BOOST_TEST(iseq.gre.dropOutOfSequence > 100u);
  BOOST_TEST(iseq.drops.Get("gre-out-of-sequence") == iseq.gre.dropOutOfSequence);
  BOOST_TEST(iseq.received + iseq.gre.dropOutOfSequence == kPackets);
  const ReplayRun accept = RunReordered(GreIpsecGateway::GRE, 0, false, kReorder);
  BOOST_TEST(accept.gre.TotalDrops() == 0u);
  BOOST_TEST(accept.drops.Total() == 0u);
  BOOST_TEST(accept.received == kPackets);
}

// An on-path attacker at the router copies the ESP packets gwA sends to gwB and re-injects
// them onto the WAN link later (each 1 s after the original: inside the anti-replay window,
// already seen; and all of them again at the end: mostly left of the window). Every replay is
// dropped, the ESP drop counters and the gateway's Drop trace equal the number injected, and
// the host behind gwB never sees an inner packet twice. For GRE over IPsec and IPsec tunnel
// mode.
#include "../ns3-gre-ipsec/site_to_site.h"
#include "attacker.h"

#include <boost/test/unit_test.hpp>

using namespace gre_ipsec_test;
using namespace attack_test;

namespace {

constexpr uint8_t kEspProtocol = 50;

void RunEspReplay(GreIpsecGateway::Mode mode, const char *name) {
  SimulationTeardown teardown;
  ResetDefaults(1400, 31);
  SiteToSiteOptions options;
  options.mode = mode;
  SiteToSite net(options);
  DropCounter drops;
  drops.Attach(net.tunnel.b);
  OnPathReplayer replayer(
      net.router, net.wan.Get(0),
      [](const OuterPacket &p) { return p.ip.GetProtocol() == kEspProtocol; }, Seconds(1));
  replayer.CaptureBetween(Seconds(0), Seconds(11.5));
  replayer.ReplayAllAt(Seconds(12.5));
  CbrFlow flow = InstallCbr(net, Seconds(1), Seconds(11), MilliSeconds(50));
  InnerDuplicates inner(flow.server);
  Simulator::Stop(Seconds(14));
  Simulator::Run();

  const tunnelsim::ipsec::EspCounters esp = net.tunnel.b->GetEspInboundCounters();
  BOOST_TEST_MESSAGE(name << ": captured " << replayer.Captured() << " ESP packets, injected "
                          << replayer.Injected() << "; gwB dropped " << esp.dropReplay
                          << " as replays, " << esp.dropOutsideWindow
                          << " as outside the window; inner: " << inner.Received() << " received, "
                          << inner.Duplicates() << " duplicates");
  BOOST_REQUIRE(replayer.Captured() >= 200u);
  BOOST_TEST(replayer.Injected() == 2 * replayer.Captured());
  BOOST_TEST(esp.dropReplay + esp.dropOutsideWindow == replayer.Injected());
  BOOST_TEST(esp.TotalDrops() == replayer.Injected());
  // Replays 1 s late are inside the window (20 packets behind): seen before.
  BOOST_TEST(esp.dropReplay >= replayer.Captured());
  BOOST_TEST(drops.Get("replay") == esp.dropReplay);
  BOOST_TEST(drops.Get("outside-window") == esp.dropOutsideWindow);
  BOOST_TEST(drops.Total() == replayer.Injected());
  BOOST_TEST(esp.packets == replayer.Captured());
  BOOST_TEST(inner.Duplicates() == 0u);
  BOOST_TEST(inner.Received() == 200u);
  BOOST_TEST(flow.server->GetReceived() == 200u);
  Simulator::Destroy();
}

} // namespace

BOOST_AUTO_TEST_CASE(replayed_esp_packets_are_all_dropped_gre_over_ipsec) {
  RunEspReplay(GreIpsecGateway::GRE_OVER_IPSEC, "GRE over IPsec");
}

BOOST_AUTO_TEST_CASE(replayed_esp_packets_are_all_dropped_ipsec_tunnel) {
  RunEspReplay(GreIpsecGateway::IPSEC_TUNNEL, "IPsec tunnel mode");
}

// An on-path attacker at the router copies the WireGuard datagrams gwA sends to gwB and
// re-injects them onto the WAN link later (each 1 s after the original, and all of them once
// more at the end): every replayed transport packet is dropped as a replay, the replayed
// initiation as stale, the counts equal what was injected, and the host behind gwB never sees
// an inner packet twice.
#include "../ns3-wireguard/site_to_site.h"
#include "attacker.h"

#include "wireguard/messages.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim_test;
using namespace attack_test;
namespace wg = tunnelsim::wireguard;

namespace {

uint8_t WireGuardType(const OuterPacket &p) {
  if (p.ip.GetProtocol() != UdpL4Protocol::PROT_NUMBER || p.payload.size() < 8 + 4) return 0;
  const uint16_t port = uint16_t(p.payload[2] << 8 | p.payload[3]);
  return port == kWgPort ? p.payload[8] : 0;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(replayed_transport_and_initiation_packets_are_all_dropped_and_counted,
                        SimulationTeardown) {
  ResetDefaults(21);
  SiteToSite net;
  uint64_t transportsCaptured = 0, initiationsCaptured = 0;
  OnPathReplayer replayer(
      net.router, net.wan.Get(0),
      [&](const OuterPacket &p) {
        const uint8_t type = WireGuardType(p);
        if (type == 4) ++transportsCaptured;
        if (type == 1) ++initiationsCaptured;
        return type == 4 || type == 1;
      },
      Seconds(1));
  replayer.CaptureBetween(Seconds(0), Seconds(11.5));
  replayer.ReplayAllAt(Seconds(12.5));
  CbrFlow flow = InstallCbr(net, Seconds(1), Seconds(11), MilliSeconds(50));
  InnerDuplicates inner(flow.server);
  Simulator::Stop(Seconds(14));
  Simulator::Run();

  const wg::DeviceCounters &b = net.wgB->GetCounters();
  BOOST_TEST_MESSAGE("WireGuard: captured "
                     << transportsCaptured << " transport packets and " << initiationsCaptured
                     << " initiations, injected " << replayer.Injected() << "; gwB dropped "
                     << b.Drops(wg::DropReason::Replay) << " as replays, "
                     << b.Drops(wg::DropReason::StaleTimestamp) << " as stale; inner: "
                     << inner.Received() << " received, " << inner.Duplicates() << " duplicates");
  BOOST_REQUIRE(transportsCaptured >= 199u);
  BOOST_TEST(initiationsCaptured == 1u);
  BOOST_TEST(replayer.Injected() == 2 * replayer.Captured());
  BOOST_TEST(b.Drops(wg::DropReason::Replay) == 2 * transportsCaptured);
  BOOST_TEST(b.Drops(wg::DropReason::StaleTimestamp) == 2 * initiationsCaptured);
  BOOST_TEST(b.TotalDrops() == replayer.Injected());
  // The replayed initiation got no second response and made no second session.
  BOOST_TEST(b.handshakeResponsesSent == 1u);
  BOOST_TEST(b.handshakesCompleted == 1u);
  BOOST_TEST(b.dataPacketsReceived + b.keepalivesReceived == transportsCaptured);
  BOOST_TEST(inner.Duplicates() == 0u);
  BOOST_TEST(inner.Received() == 200u);
  BOOST_TEST(flow.server->GetReceived() == 200u);
  Simulator::Destroy();
}

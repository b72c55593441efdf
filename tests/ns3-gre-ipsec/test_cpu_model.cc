// The optional crypto CPU model shared with WireGuard: ESP sequence numbers are assigned before
// the packets go to the parallel crypto workers, so an engine that does not restore order
// sends them out of sequence (the receiver sees it, and a small anti-replay window drops the
// late ones), while an order-restoring engine keeps each SA's packets in sequence.
#include "site_to_site.h"

#include <boost/test/unit_test.hpp>

using namespace gre_ipsec_test;

namespace {

constexpr uint64_t kPackets = 10000;

struct SequenceObserver {
  uint64_t packets = 0, late = 0;
  uint32_t highest = 0;
  void OnOuterRx(Ptr<const Packet> packet) {
    uint8_t header[8];
    if (packet->CopyData(header, sizeof header) != sizeof header) return;
    const uint32_t sequence = uint32_t(header[4]) << 24 | uint32_t(header[5]) << 16 |
                              uint32_t(header[6]) << 8 | header[7];
    ++packets;
    if (sequence < highest) ++late;
    highest = std::max(highest, sequence);
  }
};

struct CpuRun {
  SequenceObserver observer;
  tunnelsim::ipsec::EspCounters esp;
  uint64_t traceDrops = 0;
  uint64_t received = 0;
  uint64_t jobs = 0;
};

CpuRun RunWithCpuModel(bool reserialise, uint32_t window) {
  ResetDefaults(1400);
  SiteToSiteOptions options;
  options.configure = [reserialise, window](GreIpsecHelper &helper) {
    helper.SetAttribute("ReplayWindow", UintegerValue(window));
    helper.SetCpuModelAttribute("Workers", UintegerValue(64));
    helper.SetCpuModelAttribute("FixedCost", TimeValue(MicroSeconds(5)));
    helper.SetCpuModelAttribute("PerByteCost", DoubleValue(1.0));
    helper.SetCpuModelAttribute("RandomServiceTime", TimeValue(MilliSeconds(5)));
    helper.SetCpuModelAttribute("Reserialise", BooleanValue(reserialise));
  };
  SiteToSite net(options);
  CpuRun run;
  net.tunnel.b->TraceConnectWithoutContext(
      "OuterRx", MakeCallback(&SequenceObserver::OnOuterRx, &run.observer));
  DropCounter drops;
  drops.Attach(net.tunnel.b);
  CbrFlow cbr = InstallCbr(net, Seconds(1), Seconds(1) + MicroSeconds(100) * kPackets,
                           MicroSeconds(100), 1000);
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  run.esp = net.tunnel.b->GetEspInboundCounters();
  run.traceDrops = drops.Total();
  run.received = cbr.server->GetReceived();
  PointerValue cpu;
  net.tunnel.a->GetAttribute("CpuModel", cpu);
  run.jobs = cpu.Get<CryptoCpuModel>()->JobsCompleted();
  Simulator::Destroy();
  return run;
}

} // namespace

BOOST_AUTO_TEST_CASE(parallel_crypto_without_reordering_restore_reorders_esp) {
  const CpuRun run = RunWithCpuModel(false, 32);
  BOOST_TEST_MESSAGE("no order restore, window 32: "
                     << run.observer.late << " of " << run.observer.packets << " ESP packets late, "
                     << run.esp.dropOutsideWindow << " outside the window");
  BOOST_TEST(run.observer.packets == kPackets);
  BOOST_TEST(run.observer.late > kPackets / 10);
  BOOST_TEST(run.esp.dropOutsideWindow > 0u);
  BOOST_TEST(run.traceDrops == run.esp.TotalDrops());
  BOOST_TEST(run.received + run.esp.dropOutsideWindow == kPackets);
  // gwA's model saw every data packet it encrypted (and the few ESP packets it decrypted).
  BOOST_TEST(run.jobs >= kPackets);
}

BOOST_AUTO_TEST_CASE(parallel_crypto_without_reordering_restore_passes_a_big_window) {
  const CpuRun run = RunWithCpuModel(false, 1024);
  BOOST_TEST(run.observer.late > kPackets / 10);
  BOOST_TEST(run.esp.TotalDrops() == 0u);
  BOOST_TEST(run.received == kPackets);
}

BOOST_AUTO_TEST_CASE(order_restoring_parallel_crypto_keeps_esp_in_sequence) {
  const CpuRun run = RunWithCpuModel(true, 32);
  BOOST_TEST_MESSAGE("order restored, window 32: " << run.observer.late << " late, "
                                                   << run.esp.TotalDrops() << " dropped");
  BOOST_TEST(run.observer.packets == kPackets);
  BOOST_TEST(run.observer.late == 0u);
  BOOST_TEST(run.esp.TotalDrops() == 0u);
  BOOST_TEST(run.received == kPackets);
}

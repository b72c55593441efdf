// The ReplayWindow attribute is a real knob: a what-if WireGuard with a 64-counter window drops
// packets that a reordering path delivers more than 64 late, and Linux's 8128 does not.
#include "site_to_site.h"

#include "ns3/impairment/impairment_helper.h"
#include "wireguard/device.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim_test;
namespace wg = tunnelsim::wireguard;

namespace {

struct ReplayRun {
  uint64_t replayDrops = 0;       // the core's counter
  uint64_t tracedReplayDrops = 0; // the Drop trace source, reason "replay"
  uint64_t received = 0;          // datagrams the far host's UDP server got
  uint64_t queueDrops = 0;        // waiting for the first handshake beyond the queue bound
};

void CountReplay(uint64_t *count, const std::string &reason, const std::string &) {
  if (reason == wg::DropReasonName(wg::DropReason::Replay)) ++*count;
}

ReplayRun RunWithWindow(uint64_t window) {
  ResetDefaults(3);
  SiteToSiteOptions options;
  options.configure = [window](WireGuardHelper &helper) {
    helper.SetAttribute("ReplayWindow", UintegerValue(window));
  };
  SiteToSite net(options);
  // netem on gwA's access egress: a tenth of the packets skip a 20 ms delay, so each of them
  // overtakes the ~160 packets of a 64 Mbit/s flow that are waiting in the delay line.
  tunnelsim::ImpairmentHelper::Install(net.access.Get(0), "delay 20ms reorder 10% seed 7");
  ReplayRun run;
  net.wgB->TraceConnectWithoutContext("Drop",
                                      MakeBoundCallback(&CountReplay, &run.tracedReplayDrops));
  CbrFlow flow = InstallCbr(net, Seconds(1), Seconds(3), MicroSeconds(125), 1000);
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  run.replayDrops = net.wgB->GetCounters().Drops(wg::DropReason::Replay);
  run.received = flow.server->GetReceived();
  run.queueDrops = net.wgA->GetCounters().Drops(wg::DropReason::StagedQueueFull);
  BOOST_TEST(net.wgB->GetDevice()->constants().replayWindow == window);
  Simulator::Destroy();
  return run;
}

} // namespace

BOOST_AUTO_TEST_CASE(replay_window_attribute_sets_the_core_window) {
  const ReplayRun small = RunWithWindow(64);
  const ReplayRun kernelSized = RunWithWindow(wg::Constants{}.replayWindow);
  BOOST_TEST_MESSAGE("window 64: " << small.replayDrops << " replay drops, " << small.received
                                   << " received; window 8128: " << kernelSized.replayDrops << ", "
                                   << kernelSized.received);
  BOOST_TEST(small.replayDrops > 1000u);
  BOOST_TEST(small.tracedReplayDrops == small.replayDrops);
  BOOST_TEST(kernelSized.replayDrops == 0u);
  // Every datagram that was not a replay drop arrived (the clean path loses nothing else).
  BOOST_TEST(small.received + small.replayDrops == kernelSized.received);
  // The flow sends 16000 datagrams from 1 s to 3 s; the only other losses are those beyond
  // the 128-packet queue while the first handshake runs, and any still in the 20 ms delay line.
  const uint64_t sent = 16000;
  BOOST_TEST(kernelSized.queueDrops > 0u);
  BOOST_TEST(kernelSized.received + kernelSized.queueDrops <= sent);
  BOOST_TEST(kernelSized.received + kernelSized.queueDrops + 200 >= sent);
}

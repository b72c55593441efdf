// The Linux-like TCP on a real ns-3 link: bulk transfers through model/impairment's netem
// queue disc, compared with stock ns-3 TCP (dupthresh, no D-SACK, no undo).
#define BOOST_TEST_MODULE tcp_ns3
#include <boost/test/unit_test.hpp>

#include "ns3/impairment/impairment_helper.h"
#include "ns3/tcp/linux_cubic.h"
#include "ns3/tcp/linux_tcp_helper.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <string>

using namespace tunnelsim;

namespace {

// Watches a sender: the cwnd when it last entered fast recovery (before the reduction) and,
// at every undo, whether the cwnd came back to at least that value.
// Sender and receiver on one 50 Mbit/s, 10 ms point-to-point link, network `base`/24.
struct TwoNodePath {
  ns3::NodeContainer nodes;
  ns3::NetDeviceContainer devices;
  ns3::Ipv4InterfaceContainer interfaces;

  explicit TwoNodePath(const char *base) {
    nodes.Create(2);
    ns3::PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", ns3::StringValue("50Mbps"));
    p2p.SetChannelAttribute("Delay", ns3::StringValue("10ms"));
    devices = p2p.Install(nodes);
    ns3::InternetStackHelper stack;
    stack.Install(nodes);
    ns3::Ipv4AddressHelper addresses;
    addresses.SetBase(base, "255.255.255.0");
    interfaces = addresses.Assign(devices);
  }
};

struct UndoProbe {
  uint32_t cwnd = 0;
  uint32_t cwndBeforeRecovery = 0;
  uint64_t undos = 0;
  uint64_t undosRestoringCwnd = 0;

  static void OnCwnd(UndoProbe *p, uint32_t, uint32_t now) { p->cwnd = now; }
  static void OnState(UndoProbe *p, ns3::TcpSocketState::TcpCongState_t,
                      ns3::TcpSocketState::TcpCongState_t now) {
    if (now == ns3::TcpSocketState::CA_RECOVERY) p->cwndBeforeRecovery = p->cwnd;
  }
  static void OnUndo(UndoProbe *p, uint64_t, uint64_t) {
    ++p->undos;
    if (p->cwnd >= p->cwndBeforeRecovery) ++p->undosRestoringCwnd;
  }
  void Attach(const ns3::Ptr<LinuxTcpSocket> &socket) {
    socket->TraceConnectWithoutContext("CongestionWindow", ns3::MakeBoundCallback(&OnCwnd, this));
    socket->TraceConnectWithoutContext("CongState", ns3::MakeBoundCallback(&OnState, this));
    socket->TraceConnectWithoutContext("UndoneCwndReductions",
                                       ns3::MakeBoundCallback(&OnUndo, this));
  }
};

enum class Variant { Stock, LinuxRack, LinuxDupThresh };

struct Result {
  uint64_t receivedBytes = 0;
  double goodputMbps = 0;
  LinuxTcpMetrics sender;
  LinuxTcpMetrics receiver;
  UndoProbe undo;
};

Result RunBulk(Variant variant, const std::string &netem, double seconds = 10.0,
               const std::string &congestion = "ns3::TcpNewReno", bool dsack = true,
               bool timestampUndo = true) {
  ns3::RngSeedManager::SetSeed(7);
  ns3::RngSeedManager::SetRun(1);
  ns3::Config::SetDefault("ns3::TcpL4Protocol::SocketType", ns3::StringValue(congestion));
  ns3::Config::SetDefault("ns3::TcpSocket::SegmentSize", ns3::UintegerValue(1448));
  ns3::Config::SetDefault("ns3::TcpSocket::SndBufSize", ns3::UintegerValue(4 << 20));
  ns3::Config::SetDefault("ns3::TcpSocket::RcvBufSize", ns3::UintegerValue(4 << 20));
  TwoNodePath path("10.1.1.0");
  auto &nodes = path.nodes;
  auto &devices = path.devices;
  auto &interfaces = path.interfaces;
  if (!netem.empty()) ImpairmentHelper::Install(devices.Get(0), netem);

  ns3::TypeId factory = ns3::TcpSocketFactory::GetTypeId();
  if (variant != Variant::Stock) {
    LinuxTcpOptions options;
    options.lossDetection =
        variant == Variant::LinuxRack ? LossDetection::Rack : LossDetection::DupThresh;
    options.dsack = dsack;
    options.timestampUndo = timestampUndo;
    InstallLinuxLikeTcp(nodes, options);
    factory = LinuxTcpSocketFactoryTypeId();
  }
  ns3::BulkSendHelper source(factory.GetName(),
                             ns3::InetSocketAddress(interfaces.GetAddress(1), 5000));
  source.SetAttribute("MaxBytes", ns3::UintegerValue(0));
  auto sourceApps = source.Install(nodes.Get(0));
  ns3::PacketSinkHelper sink(factory.GetName(),
                             ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), 5000));
  auto sinkApps = sink.Install(nodes.Get(1));
  UndoProbe undoProbe;
  if (variant == Variant::LinuxRack)
    ns3::Simulator::Schedule(ns3::Seconds(0.1) + ns3::NanoSeconds(1), [&nodes, &undoProbe]() {
      for (const auto &socket : nodes.Get(0)->GetObject<LinuxTcpSocketFactory>()->Sockets())
        undoProbe.Attach(socket);
    });
  sourceApps.Start(ns3::Seconds(0.1));
  sinkApps.Start(ns3::Seconds(0.0));
  ns3::Simulator::Stop(ns3::Seconds(0.1 + seconds));
  ns3::Simulator::Run();

  Result result;
  result.receivedBytes = ns3::DynamicCast<ns3::PacketSink>(sinkApps.Get(0))->GetTotalRx();
  result.goodputMbps = result.receivedBytes * 8.0 / seconds / 1e6;
  result.undo = undoProbe;
  if (variant != Variant::Stock) {
    result.sender = nodes.Get(0)->GetObject<LinuxTcpSocketFactory>()->TotalMetrics();
    result.receiver = nodes.Get(1)->GetObject<LinuxTcpSocketFactory>()->TotalMetrics();
  }
  ns3::Simulator::Destroy();
  return result;
}

void Report(const char *name, const Result &r) {
  BOOST_TEST_MESSAGE(
      name << ": " << r.goodputMbps << " Mbit/s, rack losses " << r.sender.rackLosses
           << ", dupack losses " << r.sender.dupAckLosses << ", spurious "
           << r.sender.spuriousRetransmissions << ", undone " << r.sender.undoneCwndReductions
           << ", dsacks rx " << r.sender.dsacksReceived << " tx " << r.receiver.dsacksSent
           << ", tlps " << r.sender.tlpsSent << ", fast recoveries " << r.sender.fastRecoveries
           << ", rtos " << r.sender.retransmissionTimeouts << ", retransmitted "
           << r.sender.retransmittedSegments << ", reo_wnd_mult max " << r.sender.maxReoWndMult);
}

} // namespace

BOOST_AUTO_TEST_CASE(loss_detection_names_parse) {
  BOOST_TEST((ParseLossDetection("rack") == LossDetection::Rack));
  BOOST_TEST((ParseLossDetection("dupthresh") == LossDetection::DupThresh));
  BOOST_CHECK_THROW(ParseLossDetection("fack"), std::invalid_argument);
}

// Linux's tcp_enter_loss reduces ssthresh at a timeout only if the window was not reduced
// already: a timeout during fast recovery keeps the recovery's ssthresh and CUBIC's maximum.
BOOST_AUTO_TEST_CASE(linux_cubic_keeps_ssthresh_at_a_timeout_during_recovery) {
  auto cubic = ns3::CreateObject<tunnelsim::LinuxCubic>();
  auto tcb = ns3::CreateObject<ns3::TcpSocketState>();
  tcb->m_segmentSize = 1000;
  tcb->m_cWnd = 200 * 1000;
  tcb->m_ssThresh = UINT32_MAX;
  // Entering recovery as TcpSocketBase::EnterRecovery does: the state first, then the cut.
  cubic->CongestionStateSet(tcb, ns3::TcpSocketState::CA_RECOVERY);
  tcb->m_congState = ns3::TcpSocketState::CA_RECOVERY;
  BOOST_TEST(cubic->GetSsThresh(tcb, 0) == 140u * 1000); // 200 * 717/1024 = 140.04
  BOOST_TEST(cubic->Core().LastMaxCwnd() == 200u);
  tcb->m_ssThresh = 140 * 1000;
  tcb->m_cWnd = 90 * 1000; // PRR has brought cwnd down when the timeout fires
  BOOST_TEST(cubic->GetSsThresh(tcb, 0) == 140u * 1000);
  BOOST_TEST(cubic->Core().LastMaxCwnd() == 200u); // no second cut of the maximum
}

// Each HyStart test can be switched off alone (to tell which one ended a slow start).
BOOST_AUTO_TEST_CASE(linux_cubic_hystart_tests_follow_their_attributes) {
  auto cubic = ns3::CreateObject<tunnelsim::LinuxCubic>();
  cubic->SetAttribute("HyStartDelay", ns3::BooleanValue(false));
  auto tcb = ns3::CreateObject<ns3::TcpSocketState>();
  tcb->m_segmentSize = 1000;
  tcb->m_cWnd = 10 * 1000;
  tcb->m_ssThresh = UINT32_MAX;
  cubic->IncreaseWindow(tcb, 1); // the attributes reach the core on first use
  BOOST_TEST(cubic->Core().Params().hystartAckTrain);
  BOOST_TEST(!cubic->Core().Params().hystartDelay);
  auto other = ns3::CreateObject<tunnelsim::LinuxCubic>();
  other->SetAttribute("HyStartAckTrain", ns3::BooleanValue(false));
  other->IncreaseWindow(tcb, 1);
  BOOST_TEST(!other->Core().Params().hystartAckTrain);
  BOOST_TEST(other->Core().Params().hystartDelay);
}

BOOST_AUTO_TEST_CASE(install_without_internet_stack_is_an_error) {
  ns3::NodeContainer nodes;
  nodes.Create(1);
  BOOST_CHECK_THROW(InstallLinuxLikeTcp(nodes, {}), std::logic_error);
  ns3::Simulator::Destroy();
}

// (a) end to end: netem "delay 2ms reorder 50% gap 2" holds every other packet back by 2 ms
// (about 9 segments at 50 Mbit/s), less than min_RTT/4 = 5 ms. The dupthresh sender calls
// that loss and cuts cwnd again and again; RACK sends no retransmission at all.
BOOST_AUTO_TEST_CASE(reordering_below_window_is_not_loss_end_to_end) {
  const std::string netem = "delay 2ms reorder 50% gap 2";
  auto stock = RunBulk(Variant::Stock, netem, 5.0);
  auto dupthresh = RunBulk(Variant::LinuxDupThresh, netem, 5.0);
  auto rack = RunBulk(Variant::LinuxRack, netem, 5.0);
  Report("stock", stock);
  Report("dupthresh", dupthresh);
  Report("rack", rack);
  BOOST_TEST(dupthresh.sender.fastRecoveries >= 5u);
  BOOST_TEST(dupthresh.sender.dupAckLosses >= 10u);
  BOOST_TEST(rack.sender.retransmittedSegments == 0u);
  BOOST_TEST(rack.sender.fastRecoveries == 0u);
  BOOST_TEST(rack.goodputMbps > 2.0 * stock.goodputMbps);
  BOOST_TEST(rack.goodputMbps > 40.0);
}

// (c)+(d) end to end: netem "delay 10ms reorder 5% gap 5" sends a few packets 10 ms ahead of
// the rest, more than min_RTT/4. RACK first retransmits the segments overtaken; the receiver
// D-SACKs the duplicates, the sender widens its reordering window and undoes the cwnd cuts.
// Without D-SACK (control run) none of that can happen and goodput falls.
BOOST_AUTO_TEST_CASE(dsack_widens_window_and_undoes_spurious_cuts_end_to_end) {
  const std::string netem = "delay 10ms reorder 5% gap 5";
  auto stock = RunBulk(Variant::Stock, netem, 5.0);
  // Timestamp (Eifel) undo off in both: this is about what D-SACKs alone achieve, and the
  // control must have no way at all to tell a spurious retransmission.
  auto rack = RunBulk(Variant::LinuxRack, netem, 5.0, "ns3::TcpNewReno", true, false);
  auto noDsack = RunBulk(Variant::LinuxRack, netem, 5.0, "ns3::TcpNewReno", false, false);
  Report("stock newreno", stock);
  Report("rack newreno", rack);
  Report("rack newreno without dsack", noDsack);
  BOOST_TEST(rack.receiver.dsacksSent > 0u);
  BOOST_TEST(rack.sender.dsacksReceived > 0u);
  BOOST_TEST(rack.sender.dsacksReceived <= rack.receiver.dsacksSent);
  BOOST_TEST(rack.sender.maxReoWndMult >= 2u);
  BOOST_TEST(rack.sender.spuriousRetransmissions > 0u);
  BOOST_TEST(rack.sender.undoneCwndReductions > 0u);
  BOOST_TEST(rack.undo.undos == rack.sender.undoneCwndReductions);
  BOOST_TEST(rack.undo.cwndBeforeRecovery > 0u);
  BOOST_TEST(rack.undo.undosRestoringCwnd == rack.undo.undos);
  BOOST_TEST(rack.goodputMbps > 2.0 * stock.goodputMbps);

  BOOST_TEST(noDsack.receiver.dsacksSent == 0u);
  BOOST_TEST(noDsack.sender.dsacksReceived == 0u);
  BOOST_TEST(noDsack.sender.maxReoWndMult == 1u);
  BOOST_TEST(noDsack.sender.undoneCwndReductions == 0u);
  BOOST_TEST(noDsack.sender.retransmittedSegments > rack.sender.retransmittedSegments);
  // Once widened, the same reordering no longer reads as loss.
  BOOST_TEST(3 * rack.sender.fastRecoveries < noDsack.sender.fastRecoveries);
  BOOST_TEST(rack.goodputMbps > 1.5 * noDsack.goodputMbps);
}

// CUBIC in ns-3 3.37 has no TCP-friendly region: one early cut that is not undone leaves cwnd
// on the cubic plateau for seconds, so the gain over stock is smaller than with NewReno.
BOOST_AUTO_TEST_CASE(netem_reordering_cubic_better_than_stock) {
  const std::string netem = "delay 10ms reorder 5% gap 5";
  auto stock = RunBulk(Variant::Stock, netem, 5.0, "ns3::TcpCubic");
  auto rack = RunBulk(Variant::LinuxRack, netem, 5.0, "ns3::TcpCubic");
  Report("stock cubic", stock);
  Report("rack cubic", rack);
  BOOST_TEST(rack.sender.undoneCwndReductions > 0u);
  BOOST_TEST(rack.goodputMbps > 1.2 * stock.goodputMbps);
}

// The 50 Mbit/s link's device queue overflows in slow start, so both variants see a few real
// losses: goodput must match and RACK must repair them without an RTO.
BOOST_AUTO_TEST_CASE(clean_path_is_comparable) {
  auto stock = RunBulk(Variant::Stock, "", 5.0);
  auto rack = RunBulk(Variant::LinuxRack, "", 5.0);
  Report("stock clean", stock);
  Report("rack clean", rack);
  BOOST_TEST(rack.goodputMbps > 0.9 * stock.goodputMbps);
  BOOST_TEST(rack.goodputMbps < 1.1 * stock.goodputMbps);
  BOOST_TEST(rack.sender.retransmissionTimeouts == 0u);
  BOOST_TEST(rack.sender.retransmittedSegments < 20u);
}

// Random loss: one 10 s run says little about 1% loss, so goodput is summed over seeds.
BOOST_AUTO_TEST_CASE(lossy_path_is_comparable_and_losses_found_by_rack) {
  double stockSum = 0, dupSum = 0, rackSum = 0;
  uint64_t rackLosses = 0, rtos = 0;
  for (int seed = 1; seed <= 4; ++seed) {
    const std::string netem = "loss 1% seed " + std::to_string(seed);
    auto stock = RunBulk(Variant::Stock, netem, 10.0);
    auto dupthresh = RunBulk(Variant::LinuxDupThresh, netem, 10.0);
    auto rack = RunBulk(Variant::LinuxRack, netem, 10.0);
    Report("stock lossy", stock);
    Report("dupthresh lossy", dupthresh);
    Report("rack lossy", rack);
    stockSum += stock.goodputMbps;
    dupSum += dupthresh.goodputMbps;
    rackSum += rack.goodputMbps;
    rackLosses += rack.sender.rackLosses;
    rtos += rack.sender.retransmissionTimeouts;
  }
  BOOST_TEST_MESSAGE("lossy mean: stock " << stockSum / 4 << " dupthresh " << dupSum / 4 << " rack "
                                          << rackSum / 4);
  BOOST_TEST(rackLosses > 40u);
  BOOST_TEST(rtos <= 1u); // (b) real losses are found by RACK, not by the RTO
  BOOST_TEST(rackSum > 0.8 * stockSum);
  BOOST_TEST(rackSum < 1.6 * stockSum);
}

namespace {

// A bulk transfer whose path delay jumps from 10 ms to 300 ms each way at t = 2 s (a route
// change or link-layer stall): the RTT triples past the RTO, which fires although nothing
// was lost. The classic case F-RTO and the timestamp check were made for.
LinuxTcpMetrics RunDelaySpike(bool frto, bool timestampUndo, double *goodputMbps) {
  ns3::RngSeedManager::SetSeed(7);
  ns3::RngSeedManager::SetRun(1);
  ns3::Config::SetDefault("ns3::TcpL4Protocol::SocketType", ns3::StringValue("ns3::TcpNewReno"));
  ns3::Config::SetDefault("ns3::TcpSocket::SegmentSize", ns3::UintegerValue(1448));
  ns3::Config::SetDefault("ns3::TcpSocket::SndBufSize", ns3::UintegerValue(4 << 20));
  ns3::Config::SetDefault("ns3::TcpSocket::RcvBufSize", ns3::UintegerValue(4 << 20));
  // Linux's rto_min (ns-3's default MinRto is 1 s); restored below for the other tests.
  ns3::Config::SetDefault("ns3::TcpSocketBase::MinRto", ns3::TimeValue(ns3::MilliSeconds(200)));
  TwoNodePath path("10.1.2.0");
  auto &nodes = path.nodes;
  auto &devices = path.devices;
  auto &interfaces = path.interfaces;
  LinuxTcpOptions options;
  options.frto = frto;
  options.timestampUndo = timestampUndo;
  InstallLinuxLikeTcp(nodes, options);
  const ns3::TypeId factory = LinuxTcpSocketFactoryTypeId();
  ns3::BulkSendHelper source(factory.GetName(),
                             ns3::InetSocketAddress(interfaces.GetAddress(1), 5000));
  source.SetAttribute("MaxBytes", ns3::UintegerValue(0));
  auto sourceApps = source.Install(nodes.Get(0));
  ns3::PacketSinkHelper sink(factory.GetName(),
                             ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), 5000));
  auto sinkApps = sink.Install(nodes.Get(1));
  ns3::Ptr<ns3::Channel> channel = devices.Get(0)->GetChannel();
  ns3::Simulator::Schedule(ns3::Seconds(2.0), [channel]() {
    channel->SetAttribute("Delay", ns3::TimeValue(ns3::MilliSeconds(300)));
  });
  sourceApps.Start(ns3::Seconds(0.1));
  sinkApps.Start(ns3::Seconds(0.0));
  ns3::Simulator::Stop(ns3::Seconds(6.1));
  ns3::Simulator::Run();
  *goodputMbps = ns3::DynamicCast<ns3::PacketSink>(sinkApps.Get(0))->GetTotalRx() * 8.0 / 6.0 / 1e6;
  LinuxTcpMetrics sender = nodes.Get(0)->GetObject<LinuxTcpSocketFactory>()->TotalMetrics();
  ns3::Simulator::Destroy();
  ns3::Config::SetDefault("ns3::TcpSocketBase::MinRto", ns3::TimeValue(ns3::Seconds(1)));
  return sender;
}

void ReportSpike(const char *name, const LinuxTcpMetrics &m, double goodput) {
  BOOST_TEST_MESSAGE(name << ": " << goodput << " Mbit/s, rtos " << m.retransmissionTimeouts
                          << ", spurious rtos " << m.spuriousRtos << ", timestamp undos "
                          << m.timestampUndos << ", undone " << m.undoneCwndReductions
                          << ", retransmitted " << m.retransmittedSegments << ", spurious "
                          << m.spuriousRetransmissions);
}

} // namespace

// Without F-RTO and the timestamp check, ns-3 goes back after the spurious RTO and resends
// the whole window (all of it D-SACKed later). F-RTO sends one retransmission, then new data,
// and declares the RTO spurious when the late originals are ACKed; the timestamp check
// declares it on the first ACK echoing an original.
BOOST_AUTO_TEST_CASE(spurious_rto_after_delay_spike_is_detected_and_undone_end_to_end) {
  double goBackGoodput = 0, frtoGoodput = 0, bothGoodput = 0;
  const auto goBack = RunDelaySpike(false, false, &goBackGoodput);
  const auto frto = RunDelaySpike(true, false, &frtoGoodput);
  const auto both = RunDelaySpike(true, true, &bothGoodput);
  ReportSpike("go-back-N", goBack, goBackGoodput);
  ReportSpike("F-RTO", frto, frtoGoodput);
  ReportSpike("F-RTO + timestamps", both, bothGoodput);
  BOOST_TEST(goBack.retransmissionTimeouts >= 1u);
  BOOST_TEST(goBack.spuriousRtos == 0u);
  BOOST_TEST(goBack.retransmittedSegments > 50u); // the whole window again

  BOOST_TEST(frto.retransmissionTimeouts >= 1u);
  BOOST_TEST(frto.spuriousRtos >= 1u);
  BOOST_TEST(frto.timestampUndos == 0u);
  BOOST_TEST(frto.undoneCwndReductions >= frto.spuriousRtos);
  // Undone spurious timeouts do not pile up into back-off chains as go-back-N does.
  BOOST_TEST(frto.retransmissionTimeouts < goBack.retransmissionTimeouts);
  BOOST_TEST(frtoGoodput > 1.3 * goBackGoodput);

  BOOST_TEST(both.spuriousRtos >= 1u);
  BOOST_TEST(both.timestampUndos >= 1u); // the echo decides first, on the first late ACK
}

// The ns-3 adapter on a real PointToPoint link carrying UDP: what the receiver sees must be
// exactly what the core decides for the same packets and seed, given the link's own
// serialisation and propagation, and the measured loss and delay must match the settings.
#define BOOST_TEST_MODULE impairment_ns3
#include <boost/test/unit_test.hpp>

#include "impairment/impairment_core.h"
#include "impairment/netem_parser.h"
#include "ns3/impairment/impairment_helper.h"
#include "ns3/impairment/reordering_engine_model.h"
#include "impairment/trace_file.h"
#include "test_support.h"

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <algorithm>
#include <map>
#include <vector>

using namespace tunnelsim;
using namespace tunnelsim::impairment;
using namespace tunnelsim::impairment::test;

namespace {

constexpr uint32_t kPayload = 200;
constexpr uint32_t kIpSize = 20 + 8 + kPayload;
constexpr int64_t kSpacingNs = 1000000;
constexpr int64_t kPropagationNs = 1000000;
constexpr int64_t kTxNs = (kIpSize + 2) * 8; // 1 Gbit/s, with the 2-byte PPP header

std::vector<uint8_t> Payload(uint32_t seq) {
  std::vector<uint8_t> p(kPayload);
  for (uint32_t i = 0; i < kPayload; ++i)
    p[i] = static_cast<uint8_t>(seq * 7 + i * 13);
  p[0] = static_cast<uint8_t>(seq >> 24), p[1] = static_cast<uint8_t>(seq >> 16);
  p[2] = static_cast<uint8_t>(seq >> 8), p[3] = static_cast<uint8_t>(seq);
  return p;
}

struct Arrival {
  int64_t timeNs;
  std::vector<uint8_t> payload;
};

struct Link {
  ns3::NodeContainer nodes;
  ns3::NetDeviceContainer devices;
  ns3::Ipv4InterfaceContainer interfaces;
};

Link MakeLink() {
  Link link;
  link.nodes.Create(2);
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue("1Gbps"));
  p2p.SetChannelAttribute("Delay", ns3::TimeValue(ns3::NanoSeconds(kPropagationNs)));
  link.devices = p2p.Install(link.nodes);
  ns3::InternetStackHelper stack;
  stack.Install(link.nodes);
  ns3::Ipv4AddressHelper addresses;
  addresses.SetBase("10.1.1.0", "255.255.255.0");
  link.interfaces = addresses.Assign(link.devices);
  return link;
}

std::vector<Arrival> RunUdp(const Link &link, uint32_t packets) {
  std::vector<Arrival> arrivals;
  auto receiver = ns3::Socket::CreateSocket(link.nodes.Get(1), ns3::UdpSocketFactory::GetTypeId());
  receiver->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), 9));
  receiver->SetRecvCallback(ns3::MakeBoundCallback(
      +[](std::vector<Arrival> *out, ns3::Ptr<ns3::Socket> socket) {
        while (auto packet = socket->Recv()) {
          Arrival a{ns3::Simulator::Now().GetNanoSeconds(),
                    std::vector<uint8_t>(packet->GetSize())};
          packet->CopyData(a.payload.data(), a.payload.size());
          out->push_back(std::move(a));
        }
      },
      &arrivals));
  auto sender = ns3::Socket::CreateSocket(link.nodes.Get(0), ns3::UdpSocketFactory::GetTypeId());
  sender->Bind();
  const ns3::InetSocketAddress to(link.interfaces.GetAddress(1), 9);
  for (uint32_t seq = 0; seq < packets; ++seq) {
    ns3::Simulator::Schedule(
        ns3::NanoSeconds(static_cast<int64_t>(seq) * kSpacingNs),
        +[](ns3::Ptr<ns3::Socket> socket, ns3::InetSocketAddress address, uint32_t s) {
          const auto payload = Payload(s);
          socket->SendTo(ns3::Create<ns3::Packet>(payload.data(), kPayload), 0, address);
        },
        sender, to, seq);
  }
  ns3::Simulator::Stop(ns3::Seconds(packets * kSpacingNs / 1e9 + 2));
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
  return arrivals;
}

// What the receiver should see: the core's decisions for the same packets, then the device's
// FIFO serialisation at 1 Gbit/s and the propagation delay.
std::vector<Arrival> Expected(const NetemSettings &settings, uint32_t packets) {
  ImpairmentCore core(settings);
  struct Release {
    Time at;
    int64_t order;
    uint32_t seq;
    std::optional<uint64_t> bit;
  };
  std::vector<Release> releases;
  const auto bytes = Udp(kPayload);
  for (uint32_t seq = 0; seq < packets; ++seq) {
    const auto decision = core.Process(Ref(bytes), Time(static_cast<int64_t>(seq) * kSpacingNs));
    for (const auto &copy : decision.copies) {
      if (copy.Delivered()) releases.push_back({copy.deliverAt, copy.order, seq, copy.corruptBit});
    }
  }
  // Copies made at one enqueue keep their relative order (duplicate first, as it re-enters
  // the queue disc before the packet itself), so a stable sort on the key is the queue order.
  std::stable_sort(releases.begin(), releases.end(), [](const Release &a, const Release &b) {
    return a.at != b.at ? a.at < b.at : a.order < b.order;
  });
  std::vector<Arrival> arrivals;
  int64_t linkFree = 0;
  for (const auto &r : releases) {
    const int64_t start = std::max(r.at.count(), linkFree);
    linkFree = start + kTxNs;
    Arrival a{linkFree + kPropagationNs, Payload(r.seq)};
    if (r.bit) {
      BOOST_REQUIRE(*r.bit >= 28u * 8);
      FlipBit(a.payload.data(), *r.bit - 28 * 8);
    }
    arrivals.push_back(std::move(a));
  }
  return arrivals;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ns3_adapter)

BOOST_AUTO_TEST_CASE(udp_over_point_to_point_matches_core_packet_for_packet) {
  const uint32_t packets = 20000;
  const std::string netem = "delay 20ms 5ms distribution normal loss 10% duplicate 2% "
                            "corrupt 2% reorder 5% seed 1234";
  const auto settings = ParseNetemArguments(netem);
  const auto expected = Expected(settings, packets);

  auto link = MakeLink();
  auto queueDisc = ImpairmentHelper::Install(link.devices.Get(0), netem);
  BOOST_REQUIRE(queueDisc);
  BOOST_TEST((ImpairmentHelper::Find(link.devices.Get(0)) == queueDisc));
  uint64_t tracedLost = 0;
  queueDisc->TraceConnectWithoutContext(
      "Lost", ns3::MakeBoundCallback(
                  +[](uint64_t *n, ns3::Ptr<const ns3::QueueDiscItem>) { ++*n; }, &tracedLost));
  const auto arrivals = RunUdp(link, packets);

  BOOST_REQUIRE_EQUAL(arrivals.size(), expected.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    if (arrivals[i].timeNs != expected[i].timeNs || arrivals[i].payload != expected[i].payload) {
      if (++mismatches <= 5) {
        BOOST_TEST_MESSAGE("arrival " << i << " at " << arrivals[i].timeNs << " expected "
                                      << expected[i].timeNs);
      }
    }
  }
  BOOST_TEST(mismatches == 0u);

  // The applied impairments, as measured at the receiver, match the configuration.
  std::map<uint32_t, int> copiesBySeq;
  for (const auto &a : arrivals) {
    const uint32_t seq = static_cast<uint32_t>(a.payload[0]) << 24 |
                         static_cast<uint32_t>(a.payload[1]) << 16 |
                         static_cast<uint32_t>(a.payload[2]) << 8 | a.payload[3];
    if (seq < packets && a.payload == Payload(seq)) ++copiesBySeq[seq];
  }
  const auto counters = *queueDisc->NetemCounters();
  BOOST_TEST(counters.packets == packets);
  BOOST_TEST(counters.lost == tracedLost);
  // A packet is lost when the packet is lost and no duplicate stands in for it; copies lost
  // include duplicates lost on their own.
  BOOST_TEST(WithinBinomial(counters.lost, packets + counters.duplicated, 0.10));
  BOOST_TEST(WithinBinomial(counters.duplicated, packets, 0.02 * 0.9, 1.2));
  BOOST_TEST(WithinBinomial(counters.corrupted, counters.delivered, 0.02));
  BOOST_TEST(arrivals.size() == counters.delivered);

  // Delay of the packets that were neither reordered nor disturbed: normal(20 ms, 5 ms).
  std::vector<double> delays;
  for (const auto &a : arrivals) {
    const uint32_t seq = static_cast<uint32_t>(a.payload[2]) << 8 | a.payload[3];
    const double ms =
        static_cast<double>(a.timeNs - kTxNs - kPropagationNs - int64_t(seq) * kSpacingNs) / 1e6;
    if (ms > 0.5) delays.push_back(ms); // reordered copies leave at once
  }
  double mean = 0, var = 0;
  for (double d : delays)
    mean += d;
  mean /= static_cast<double>(delays.size());
  for (double d : delays)
    var += (d - mean) * (d - mean);
  const double sd = std::sqrt(var / static_cast<double>(delays.size()));
  BOOST_TEST(std::abs(mean - 20.0) < 0.15, "mean delay " << mean);
  BOOST_TEST(std::abs(sd - 5.0) < 0.15, "delay sd " << sd);
}

BOOST_AUTO_TEST_CASE(rate_limit_keeps_link_rate_semantics_and_bounds_the_queue) {
  const uint32_t packets = 5000;
  // 1 Mbit/s with a 10-packet limit, offered 1.824 Mbit/s (228 bytes every ms).
  const std::string netem = "rate 1mbit limit 10";
  const auto settings = ParseNetemArguments(netem);
  const auto expected = Expected(settings, packets);
  auto link = MakeLink();
  auto queueDisc = ImpairmentHelper::Install(link.devices.Get(0), netem);
  uint32_t maxBacklog = 0;
  queueDisc->TraceConnectWithoutContext(
      "PacketsInQueue",
      ns3::MakeBoundCallback(
          +[](uint32_t *m, uint32_t, uint32_t now) { *m = std::max(*m, now); }, &maxBacklog));
  const auto arrivals = RunUdp(link, packets);
  BOOST_REQUIRE_EQUAL(arrivals.size(), expected.size());
  for (size_t i = 0; i < arrivals.size(); ++i) {
    BOOST_TEST(arrivals[i].timeNs == expected[i].timeNs);
  }
  const double seconds = (arrivals.back().timeNs - arrivals.front().timeNs) / 1e9;
  const double bitsPerSecond = (arrivals.size() - 1) * kIpSize * 8 / seconds;
  BOOST_TEST(std::abs(bitsPerSecond - 1e6) / 1e6 < 0.002, "throughput " << bitsPerSecond);
  // The core counts a copy until its release time; the queue disc holds it until the wake-up
  // event at that same instant has run, so one due copy may be seen on top of the limit.
  BOOST_TEST(maxBacklog <= 11u);
  BOOST_TEST(maxBacklog >= 10u);
  BOOST_TEST(queueDisc->NetemCounters()->queueDrops > 0u);
}

BOOST_AUTO_TEST_CASE(ack_stage_then_netem_stage_on_one_device) {
  auto link = MakeLink();
  ImpairmentConfig config;
  config.ack = AckImpairmentSettings{};
  config.ack->classifier.mode = AckClassifierSettings::Mode::kSize;
  config.ack->classifier.maxAckSize = 300; // the 228-byte UDP packets count as ACK-like
  config.ack->delay = Milliseconds(3);
  config.ack->thinDrop = 1;
  config.ack->thinEvery = 2;
  config.netem = ParseNetemArguments("delay 10ms");
  auto queueDisc = ImpairmentHelper::Install(link.devices.Get(0), config);
  const auto arrivals = RunUdp(link, 1000);
  BOOST_REQUIRE_EQUAL(arrivals.size(), 500u); // every other one thinned
  for (const auto &a : arrivals) {
    const uint32_t seq = static_cast<uint32_t>(a.payload[2]) << 8 | a.payload[3];
    BOOST_TEST(seq % 2 == 1u);
    BOOST_TEST(a.timeNs == int64_t(seq) * kSpacingNs + 13000000 + kTxNs + kPropagationNs);
  }
  BOOST_TEST(queueDisc->AckCounters()->thinned == 500u);
  BOOST_TEST(queueDisc->NetemCounters()->packets == 500u);
}

BOOST_AUTO_TEST_CASE(trace_replay_reproduces_a_recorded_order_packet_for_packet) {
  auto link = MakeLink();
  auto queueDisc = ImpairmentHelper::Install(link.devices.Get(0), ImpairmentConfig{});
  // Recorded receive order 1 2 0 4 3 6 7 5 9 (8 lost), then 10 passes, 11 waits for 5 later
  // packets of which only 2 come: it leaves at max_hold, after 12 and 13 (13 delayed 2.5 ms).
  queueDisc->SetTraceReplay(ParseTraceFile("tunnelsim-trace 1\n"
                                           "after 2\npass\npass\nafter 1\npass\n"
                                           "after 2\npass\npass\ndrop\npass\n"
                                           "pass\nafter 5\npass\ndelay 2500\n",
                                           "test.trace"),
                            TraceReplaySettings{false, Milliseconds(20)});
  const auto arrivals = RunUdp(link, 14);
  std::vector<uint32_t> order;
  std::vector<int64_t> times;
  for (const auto &a : arrivals) {
    order.push_back(static_cast<uint32_t>(a.payload[2]) << 8 | a.payload[3]);
    times.push_back(a.timeNs);
  }
  const std::vector<uint32_t> expected{1, 2, 0, 4, 3, 6, 7, 5, 9, 10, 12, 13, 11};
  BOOST_TEST(order == expected, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(times.size(), expected.size());
  // 0 leaves right behind 2, the packet that freed it (one serialisation later).
  BOOST_TEST(times[2] == 2 * kSpacingNs + 2 * kTxNs + kPropagationNs);
  BOOST_TEST(times[11] == 13 * kSpacingNs + 2500000 + kTxNs + kPropagationNs);
  BOOST_TEST(times[12] == 11 * kSpacingNs + 20000000 + kTxNs + kPropagationNs);
  BOOST_TEST(queueDisc->TraceReplay()->Drops() == 1u);
  BOOST_TEST(queueDisc->TraceReplay()->HeldTotal() == 4u);
}

BOOST_AUTO_TEST_CASE(trace_replay_refuses_to_combine_with_netem) {
  auto link = MakeLink();
  ImpairmentConfig config;
  config.netem = ParseNetemArguments("delay 10ms");
  auto queueDisc = ImpairmentHelper::Install(link.devices.Get(0), config);
  BOOST_CHECK_THROW(queueDisc->SetTraceReplay(ParseTraceFile("tunnelsim-trace 1\npass\n", "t"),
                                              TraceReplaySettings{}),
                    std::invalid_argument);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(reordering_engine_model_schedules_completions) {
  auto engine = ns3::CreateObject<ReorderingEngineModel>();
  engine->SetAttribute("Workers", ns3::UintegerValue(2));
  engine->SetAttribute("PerByteServiceTime", ns3::TimeValue(ns3::NanoSeconds(1)));
  std::vector<uint32_t> order;
  auto done = ns3::MakeBoundCallback(
      +[](std::vector<uint32_t> *out, ns3::Ptr<ns3::Packet> p) { out->push_back(p->GetSize()); },
      &order);
  ns3::Simulator::Schedule(ns3::MicroSeconds(1), [&] {
    engine->Submit(ns3::Create<ns3::Packet>(1500), done);
    engine->Submit(ns3::Create<ns3::Packet>(64), done);
    BOOST_TEST(engine->Submit(100).GetNanoSeconds() == 1000 + 64 + 100);
  });
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
  BOOST_TEST((order == std::vector<uint32_t>{64, 1500}));
  BOOST_TEST(engine->Overtaken() == 2u);
}

BOOST_AUTO_TEST_CASE(invalid_netem_string_is_reported_at_install) {
  auto link = MakeLink();
  BOOST_CHECK_THROW(ImpairmentHelper::Install(link.devices.Get(0), "delay 10ms slot 5ms"),
                    NetemParseError);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_SUITE_END()

#include "impairment/impairment_core.h"
#include "test_support.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>

using namespace tunnelsim;
using namespace tunnelsim::impairment;
using namespace tunnelsim::impairment::test;

namespace {

constexpr uint64_t kPackets = 100000;
constexpr int64_t kSpacingNs = 1000000; // one packet per millisecond

Time At(uint64_t i) { return Time(static_cast<int64_t>(i) * kSpacingNs); }

} // namespace

BOOST_AUTO_TEST_SUITE(netem_core)

BOOST_AUTO_TEST_CASE(random_loss_rate_within_binomial_interval) {
  NetemSettings s;
  s.seed = 11;
  s.loss.model = LossSettings::Model::kRandom;
  s.loss.probability = 0.05;
  ImpairmentCore core(s);
  const auto packet = Udp(100);
  uint64_t lost = 0;
  for (uint64_t i = 0; i < kPackets; ++i) {
    auto d = core.Process(Ref(packet), At(i));
    BOOST_REQUIRE_EQUAL(d.copies.size(), 1u);
    if (d.copies[0].drop == DropReason::kLoss) ++lost;
  }
  BOOST_TEST(WithinBinomial(lost, kPackets, 0.05), "lost " << lost);
  BOOST_TEST(core.Counters().lost == lost);
  BOOST_TEST(core.Counters().delivered == kPackets - lost);
}

BOOST_AUTO_TEST_CASE(duplicate_and_corrupt_rates_within_binomial_interval) {
  NetemSettings s;
  s.seed = 12;
  s.duplicate = 0.03;
  s.corrupt = 0.02;
  ImpairmentCore core(s);
  const auto packet = Udp(200);
  uint64_t duplicated = 0, corrupted = 0, copies = 0;
  for (uint64_t i = 0; i < kPackets; ++i) {
    auto d = core.Process(Ref(packet), At(i));
    if (d.copies.size() == 2) {
      ++duplicated;
      BOOST_TEST(d.copies[1].duplicate);
    }
    for (const auto &c : d.copies) {
      ++copies;
      BOOST_TEST(c.Delivered());
      if (c.corruptBit) {
        ++corrupted;
        // Header-sparing corruption: the bit is in the UDP payload (after 28 header bytes).
        BOOST_TEST(*c.corruptBit >= 28u * 8);
        BOOST_TEST(*c.corruptBit < packet.size() * 8);
      }
    }
  }
  BOOST_TEST(WithinBinomial(duplicated, kPackets, 0.03), "duplicated " << duplicated);
  BOOST_TEST(WithinBinomial(corrupted, copies, 0.02), "corrupted " << corrupted);
  BOOST_TEST(core.Counters().duplicated == duplicated);
  BOOST_TEST(core.Counters().corrupted == corrupted);
}

BOOST_AUTO_TEST_CASE(whole_packet_corruption_spreads_over_all_bits) {
  NetemSettings s;
  s.seed = 13;
  s.corrupt = 1.0;
  s.corruptRegion = CorruptRegion::kWholePacket;
  ImpairmentCore core(s);
  const auto packet = Udp(12); // 40 bytes: 320 bits
  std::vector<int> byteHits(packet.size(), 0);
  for (uint64_t i = 0; i < 40000; ++i) {
    auto d = core.Process(Ref(packet), At(i));
    BOOST_REQUIRE(d.copies[0].corruptBit);
    ++byteHits[*d.copies[0].corruptBit / 8];
  }
  for (int hits : byteHits)
    BOOST_TEST(WithinBinomial(hits, 40000, 1.0 / 40));
}

BOOST_AUTO_TEST_CASE(reorder_rate_and_immediate_sending) {
  NetemSettings s;
  s.seed = 14;
  s.latency = Milliseconds(10);
  s.reorder = 0.10;
  s.gap = 1;
  ImpairmentCore core(s);
  const auto packet = Udp(100);
  uint64_t reordered = 0;
  for (uint64_t i = 0; i < kPackets; ++i) {
    auto d = core.Process(Ref(packet), At(i));
    const auto &c = d.copies[0];
    if (c.reordered) {
      ++reordered;
      BOOST_TEST(c.deliverAt.count() == At(i).count());
    } else {
      BOOST_TEST(c.deliverAt.count() == (At(i) + Milliseconds(10)).count());
    }
  }
  BOOST_TEST(WithinBinomial(reordered, kPackets, 0.10), "reordered " << reordered);
}

BOOST_AUTO_TEST_CASE(reorder_gap_sends_every_nth_packet_at_once) {
  NetemSettings s;
  s.latency = Milliseconds(10);
  s.reorder = 1.0;
  s.gap = 5;
  ImpairmentCore core(s);
  const auto packet = Udp(100);
  for (uint64_t i = 0; i < 1000; ++i) {
    auto d = core.Process(Ref(packet), At(i));
    // Packets 5, 10, 15... (1-based) go at once; the others wait the delay.
    BOOST_TEST(d.copies[0].reordered == ((i + 1) % 5 == 0), "packet " << i);
  }
}

BOOST_AUTO_TEST_CASE(reorder_gap_with_probability_tests_only_after_the_gap) {
  NetemSettings s;
  s.seed = 15;
  s.latency = Milliseconds(10);
  s.reorder = 0.5;
  s.gap = 4;
  ImpairmentCore core(s);
  const auto packet = Udp(100);
  uint64_t sinceReorder = 0, tested = 0, reordered = 0;
  for (uint64_t i = 0; i < kPackets; ++i) {
    auto d = core.Process(Ref(packet), At(i));
    const bool isTested = sinceReorder >= 3; // the first gap-1 packets are always delayed
    if (isTested) ++tested;
    if (d.copies[0].reordered) {
      BOOST_REQUIRE(isTested);
      ++reordered;
      sinceReorder = 0;
    } else {
      ++sinceReorder;
    }
  }
  BOOST_TEST(WithinBinomial(reordered, tested, 0.5), reordered << " of " << tested);
}

BOOST_AUTO_TEST_CASE(rate_limiter_throughput_and_queue_bound) {
  NetemSettings s;
  s.rateBytesPerSecond = 125000; // 1 Mbit/s
  s.limit = 10;
  ImpairmentCore core(s);
  const auto packet = Udp(972); // 1000 bytes: 8 ms at 1 Mbit/s
  std::vector<Time> departures;
  uint64_t drops = 0;
  for (uint64_t i = 0; i < 20000; ++i) { // one every 4 ms: twice the rate
    const Time now(static_cast<int64_t>(i) * 4000000);
    auto d = core.Process(Ref(packet), now);
    BOOST_TEST(core.Backlog() <= 10u);
    if (d.copies[0].Delivered()) {
      departures.push_back(d.copies[0].deliverAt);
    } else {
      BOOST_TEST((d.copies[0].drop == DropReason::kQueueFull));
      ++drops;
    }
  }
  for (size_t i = 1; i < departures.size(); ++i) {
    BOOST_TEST((departures[i] - departures[i - 1]).count() >= 8000000);
  }
  const double seconds = ToSeconds(departures.back() - departures.front());
  const double throughput = 1000.0 * (departures.size() - 1) / seconds;
  BOOST_TEST(std::abs(throughput - 125000.0) / 125000.0 < 0.001, "throughput " << throughput);
  BOOST_TEST(drops > 9000u); // half the offered load cannot fit
  BOOST_TEST(core.Counters().queueDrops == drops);
}

BOOST_AUTO_TEST_CASE(rate_packet_overhead_and_cells_as_in_the_man_page) {
  // "rate 5kbit 20 100 5": a 50-byte packet + 20 overhead = 70 bytes = 1 cell of 100 + 5.
  NetemSettings s;
  s.rateBytesPerSecond = 625;
  s.packetOverhead = 20;
  s.cellSize = 100;
  s.cellOverhead = 5;
  ImpairmentCore core(s);
  auto d = core.Process(PacketRef{nullptr, 50}, Time(0));
  BOOST_TEST(d.copies[0].deliverAt.count() == 105LL * 1000000000 / 625);
  // 190 bytes -> 210 with overhead -> 3 cells of 105.
  auto e = core.Process(PacketRef{nullptr, 190}, Time(0));
  BOOST_TEST((e.copies[0].deliverAt - d.copies[0].deliverAt).count() == 315LL * 1000000000 / 625);
}

BOOST_AUTO_TEST_CASE(byte_limit_bounds_the_queue) {
  NetemSettings s;
  s.latency = Milliseconds(100);
  s.limitBytes = 5000;
  ImpairmentCore core(s);
  uint64_t delivered = 0;
  for (int i = 0; i < 20; ++i) {
    auto d = core.Process(PacketRef{nullptr, 1000}, Time(i * 1000));
    if (d.copies[0].Delivered()) ++delivered;
  }
  BOOST_TEST(delivered == 5u);
}

BOOST_AUTO_TEST_CASE(jitter_reorders_unless_order_is_kept_or_rate_is_set) {
  auto inversions = [](NetemSettings s) {
    ImpairmentCore core(s);
    Time last{0};
    int count = 0;
    for (uint64_t i = 0; i < 10000; ++i) {
      auto d = core.Process(PacketRef{nullptr, 100}, At(i));
      if (d.copies[0].deliverAt < last) ++count;
      last = std::max(last, d.copies[0].deliverAt);
    }
    return count;
  };
  NetemSettings s;
  s.latency = Milliseconds(50);
  s.jitter = Milliseconds(20);
  BOOST_TEST(inversions(s) > 1000);
  s.keepOrder = true;
  BOOST_TEST(inversions(s) == 0);
  s.keepOrder = false;
  s.rateBytesPerSecond = 1000000000;
  BOOST_TEST(inversions(s) == 0);
}

BOOST_AUTO_TEST_CASE(ecn_marks_instead_of_dropping_ect_packets) {
  NetemSettings s;
  s.loss.model = LossSettings::Model::kRandom;
  s.loss.probability = 1.0;
  s.loss.ecn = true;
  ImpairmentCore core(s);
  auto ect = Udp(50, 0x02);
  auto notEct = Udp(50, 0x00);
  auto marked = core.Process(Ref(ect), Time(0));
  BOOST_TEST(marked.copies[0].Delivered());
  BOOST_TEST(marked.copies[0].ecnMark);
  auto dropped = core.Process(Ref(notEct), Time(0));
  BOOST_TEST((dropped.copies[0].drop == DropReason::kLoss));
  BOOST_TEST(core.Counters().ecnMarked == 1u);
}

BOOST_AUTO_TEST_CASE(same_seed_same_decisions_packet_for_packet) {
  NetemSettings s;
  s.seed = 77;
  s.latency = Milliseconds(20);
  s.jitter = Milliseconds(5);
  s.delayCorrelation = 0.25;
  s.distribution = DelayDistribution::kParetoNormal;
  s.loss.model = LossSettings::Model::kGilbertElliott;
  s.loss.p = 0.01;
  s.loss.r = 0.1;
  s.duplicate = 0.02;
  s.corrupt = 0.02;
  s.reorder = 0.1;
  s.reorderCorrelation = 0.5;
  s.gap = 3;
  s.rateBytesPerSecond = 10000000;
  auto run = [&](uint64_t seed) {
    s.seed = seed;
    ImpairmentCore core(s);
    std::vector<std::tuple<int, int64_t, int64_t, int64_t>> outcome;
    const auto packet = Udp(300);
    for (uint64_t i = 0; i < 20000; ++i) {
      for (const auto &c : core.Process(Ref(packet), At(i)).copies) {
        outcome.emplace_back(static_cast<int>(c.drop), c.deliverAt.count(), c.order,
                             c.corruptBit ? static_cast<int64_t>(*c.corruptBit) : -1);
      }
    }
    return outcome;
  };
  BOOST_TEST((run(77) == run(77)));
  BOOST_TEST((run(77) != run(78)));
}

BOOST_AUTO_TEST_CASE(invalid_settings_and_time_going_backwards_are_rejected) {
  NetemSettings s;
  s.duplicate = 1.5;
  BOOST_CHECK_THROW(ImpairmentCore{s}, std::invalid_argument);
  NetemSettings r;
  r.reorder = 0.1; // without delay
  BOOST_CHECK_THROW(ImpairmentCore{r}, std::invalid_argument);
  NetemSettings ok;
  ImpairmentCore core(ok);
  core.Process(PacketRef{nullptr, 10}, Time(1000));
  BOOST_CHECK_THROW(core.Process(PacketRef{nullptr, 10}, Time(999)), std::invalid_argument);
  // A zero-length packet cannot be corrupted but is otherwise handled.
  NetemSettings c;
  c.corrupt = 1.0;
  ImpairmentCore corrupting(c);
  BOOST_TEST(!corrupting.Process(PacketRef{nullptr, 0}, Time(0)).copies[0].corruptBit);
}

BOOST_AUTO_TEST_SUITE_END()

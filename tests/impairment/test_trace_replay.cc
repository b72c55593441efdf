#include "impairment/trace_replay.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

using namespace tunnelsim;
using namespace tunnelsim::impairment;

namespace {

TraceFile Entries(const std::vector<TraceEntry> &entries) { return TraceFile{"test", entries}; }

TraceEntry After(uint64_t k) {
  TraceEntry entry;
  entry.verb = TraceEntry::Verb::kAfter;
  entry.afterPackets = k;
  return entry;
}
TraceEntry Verb(TraceEntry::Verb verb) {
  TraceEntry entry;
  entry.verb = verb;
  return entry;
}

// The trace `tunnelsim diagnose` would write for a recorded receive order: packet i waits
// for the later-sent packets that were received before it.
TraceFile TraceFor(size_t sent, const std::vector<uint64_t> &receivedOrder) {
  std::vector<TraceEntry> entries(sent, Verb(TraceEntry::Verb::kDrop));
  for (size_t position = 0; position < receivedOrder.size(); ++position) {
    const uint64_t packet = receivedOrder[position];
    uint64_t laterBefore = 0;
    for (size_t j = 0; j < position; ++j)
      laterBefore += receivedOrder[j] > packet ? 1 : 0;
    entries[packet] = laterBefore == 0 ? Verb(TraceEntry::Verb::kPass) : After(laterBefore);
  }
  return Entries(entries);
}

// Sends packets 0..count-1 one per microsecond and returns the order they leave the stage.
std::vector<uint64_t> Replay(TraceReplayCore &core, uint64_t count) {
  std::vector<uint64_t> order;
  for (uint64_t id = 0; id < count; ++id) {
    std::vector<uint64_t> released;
    const Time now = std::chrono::microseconds(id);
    core.Expire(now, released);
    const auto verdict = core.Arrive(id, now, released);
    if (verdict.kind == TraceReplayCore::Verdict::Kind::kPass) order.push_back(id);
    order.insert(order.end(), released.begin(), released.end());
  }
  return order;
}

} // namespace

BOOST_AUTO_TEST_SUITE(trace_replay)

BOOST_AUTO_TEST_CASE(recorded_permutation_with_drops_is_reproduced_packet_for_packet) {
  const std::vector<uint64_t> recorded{1, 2, 0, 4, 3, 6, 7, 5, 9};
  TraceReplayCore core(TraceFor(10, recorded), TraceReplaySettings{false, Milliseconds(100)});
  BOOST_CHECK(Replay(core, 10) == recorded);
  BOOST_CHECK_EQUAL(core.Drops(), 1u);
  BOOST_CHECK_EQUAL(core.HeldTotal(), 3u);
  BOOST_CHECK_EQUAL(core.HeldNow(), 0u);
}

BOOST_AUTO_TEST_CASE(random_recorded_orders_are_reproduced) {
  std::mt19937_64 generator(18);
  for (int round = 0; round < 200; ++round) {
    const size_t sent = 1 + generator() % 40;
    std::vector<uint64_t> order(sent);
    for (size_t i = 0; i < sent; ++i)
      order[i] = i;
    // Local reordering (as a network does) plus a few drops.
    for (size_t i = 0; i + 1 < sent; ++i)
      if (generator() % 3 == 0) std::swap(order[i], order[std::min(sent - 1, i + generator() % 5)]);
    std::vector<uint64_t> received;
    for (uint64_t packet : order)
      if (generator() % 10 != 0) received.push_back(packet);
    TraceReplayCore core(TraceFor(sent, received), TraceReplaySettings{false, Seconds(1)});
    const auto replayed = Replay(core, sent);
    BOOST_TEST_INFO("round " << round);
    BOOST_CHECK(replayed == received);
    BOOST_CHECK_EQUAL(core.Drops(), sent - received.size());
  }
}

BOOST_AUTO_TEST_CASE(after_with_too_few_later_packets_leaves_at_max_hold) {
  TraceReplayCore core(Entries({After(3), Verb(TraceEntry::Verb::kPass)}),
                       TraceReplaySettings{false, Milliseconds(100)});
  std::vector<uint64_t> released;
  BOOST_CHECK(core.Arrive(7, Time(0), released).kind == TraceReplayCore::Verdict::Kind::kHold);
  BOOST_CHECK(core.Arrive(8, Milliseconds(1), released).kind ==
              TraceReplayCore::Verdict::Kind::kPass);
  BOOST_CHECK(released.empty());
  BOOST_CHECK(core.NextDeadline() == Milliseconds(100));
  core.Expire(Milliseconds(100) - Duration(1), released);
  BOOST_CHECK(released.empty());
  core.Expire(Milliseconds(100), released);
  BOOST_CHECK(released == std::vector<uint64_t>{7});
  BOOST_CHECK(core.NextDeadline() == kNever);
}

BOOST_AUTO_TEST_CASE(delayed_packet_counts_when_it_departs) {
  TraceEntry delay = Verb(TraceEntry::Verb::kDelay);
  delay.delay = std::chrono::microseconds(1500);
  TraceReplayCore core(Entries({After(1), delay}), TraceReplaySettings{false, Seconds(1)});
  std::vector<uint64_t> released;
  core.Arrive(0, Time(0), released);
  const auto verdict = core.Arrive(1, Time(0), released);
  BOOST_CHECK(verdict.kind == TraceReplayCore::Verdict::Kind::kDelay);
  BOOST_CHECK(verdict.delay == std::chrono::microseconds(1500));
  BOOST_CHECK(released.empty());
  core.Departed(1, released);
  BOOST_CHECK(released == std::vector<uint64_t>{0});
}

BOOST_AUTO_TEST_CASE(loop_restarts_the_trace_and_no_loop_passes_the_rest) {
  const auto trace = Entries({Verb(TraceEntry::Verb::kPass), Verb(TraceEntry::Verb::kDrop)});
  TraceReplayCore looping(trace, TraceReplaySettings{true, Milliseconds(100)});
  BOOST_CHECK(Replay(looping, 6) == (std::vector<uint64_t>{0, 2, 4}));
  BOOST_CHECK_EQUAL(looping.Drops(), 3u);
  TraceReplayCore once(trace, TraceReplaySettings{false, Milliseconds(100)});
  BOOST_CHECK(Replay(once, 6) == (std::vector<uint64_t>{0, 2, 3, 4, 5}));
  BOOST_CHECK_EQUAL(once.Drops(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()

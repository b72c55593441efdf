// Linux TCP rules the high-rate fixes rest on, without ns-3: which timestamp a receiver echoes
// (RFC 7323 section 4.3), receive/send buffer autotuning, and when cwnd may grow
// (tcp_is_cwnd_limited).
#define BOOST_TEST_MODULE tcp_linux_rules
#include <boost/test/unit_test.hpp>

#include "tcp/buffer_autotuning.h"
#include "tcp/cwnd_limited.h"
#include "tcp/ts_recent.h"

#include <algorithm>
#include <vector>

using namespace tunnelsim::tcp;

namespace {

constexpr uint32_t kMss = 1000;
constexpr int64_t kMs = 1000000;

// A receiver that has ACKed everything up to `wup` and holds nothing beyond it.
TsRecentInput Arrival(uint32_t seq, uint32_t tsVal, uint32_t tsRecent, uint32_t wup, uint32_t nxt) {
  TsRecentInput in;
  in.seq = seq;
  in.length = kMss;
  in.rcvWup = wup;
  in.rcvNxt = nxt;
  in.rcvWindow = 1000 * kMss;
  in.tsVal = tsVal;
  in.tsRecent = tsRecent;
  return in;
}

} // namespace

BOOST_AUTO_TEST_CASE(in_order_segment_updates_ts_recent) {
  BOOST_TEST(ShouldStoreTsRecent(Arrival(5000, 105, 100, 5000, 5000)));
}

BOOST_AUTO_TEST_CASE(segment_beyond_a_hole_does_not_update_ts_recent) {
  // 5000..6000 missing; 6000 arrives first (starts beyond the last ACK sent).
  BOOST_TEST(!ShouldStoreTsRecent(Arrival(6000, 110, 100, 5000, 5000)));
}

// The case ns-3's rule gets wrong: segments 6000.. overtook 5000 and carried TSvals up to
// 120; the hole filler carries 104, older than the newest TSval seen but newer than TS.Recent.
// Linux stores it (it is acceptable and starts at the last ACK sent); ns-3 refuses any TSval
// below the largest seen, so under persistent reordering its echo never moves again.
BOOST_AUTO_TEST_CASE(hole_filler_with_older_tsval_than_overtakers_updates_ts_recent) {
  BOOST_TEST(ShouldStoreTsRecent(Arrival(5000, 104, 100, 5000, 5000)));
}

BOOST_AUTO_TEST_CASE(partly_duplicate_segment_starting_before_last_ack_updates) {
  TsRecentInput in = Arrival(4500, 130, 100, 5000, 5000);
  BOOST_TEST(ShouldStoreTsRecent(in));
}

BOOST_AUTO_TEST_CASE(unacceptable_or_older_segments_do_not_update) {
  BOOST_TEST(!ShouldStoreTsRecent(Arrival(3000, 130, 100, 5000, 5000))); // wholly old
  BOOST_TEST(!ShouldStoreTsRecent(Arrival(5000, 99, 100, 5000, 5000)));  // PAWS: older TSval
  TsRecentInput beyondWindow = Arrival(5000 + 2000 * kMss, 130, 100, 5000, 5000);
  BOOST_TEST(!ShouldStoreTsRecent(beyondWindow));
}

BOOST_AUTO_TEST_CASE(ts_recent_rule_survives_sequence_and_timestamp_wrap) {
  const uint32_t wup = 0xFFFFFF00u;
  BOOST_TEST(ShouldStoreTsRecent(Arrival(wup, 5, 0xFFFFFFF0u, wup, wup)));
  BOOST_TEST(!ShouldStoreTsRecent(Arrival(wup + 2 * kMss, 5, 0xFFFFFFF0u, wup, wup)));
}

// A receiver under persistent reordering: every 4th segment is 6 positions late, so a hole is
// open almost always. The echoed TSval must keep up with the sender's clock (one tick per
// segment here) under Linux's rule; ns-3's rule (store only at RCV.NXT and only the largest
// TSval seen) freezes it. Delayed ACKs: an ACK every second in-order segment, at once on
// out-of-order data.
BOOST_AUTO_TEST_CASE(echo_keeps_up_under_persistent_reordering) {
  struct Seg {
    uint32_t index;
    uint32_t tsVal;
  };
  std::vector<Seg> arrivals;
  const uint32_t count = 2000;
  for (uint32_t i = 0; i < count; ++i)
    arrivals.push_back({i, i + 1});
  for (uint32_t i = 0; i + 6 < count; i += 4)
    std::rotate(arrivals.begin() + i, arrivals.begin() + i + 1, arrivals.begin() + i + 7);

  for (const bool linuxRule : {true, false}) {
    uint32_t nxt = 0, wup = 0, tsRecent = 0, maxTsSeen = 0, unacked = 0;
    std::vector<bool> have(count + 1, false);
    uint32_t worstLag = 0;
    for (const Seg &seg : arrivals) {
      const uint32_t seq = seg.index * kMss;
      if (linuxRule) {
        TsRecentInput in = Arrival(seq, seg.tsVal, tsRecent, wup, nxt);
        if (ShouldStoreTsRecent(in)) tsRecent = seg.tsVal;
      } else if (seg.tsVal >= maxTsSeen && seq == nxt && seq <= wup) {
        tsRecent = seg.tsVal;
      }
      maxTsSeen = std::max(maxTsSeen, seg.tsVal);
      have[seg.index] = true;
      const bool inOrder = seq == nxt;
      while (have[nxt / kMss])
        nxt += kMss;
      if (!inOrder || ++unacked >= 2 || nxt != seq + kMss) { // ACK now
        wup = nxt;
        unacked = 0;
      }
      if (seg.index > 20) worstLag = std::max(worstLag, maxTsSeen - tsRecent);
    }
    BOOST_TEST_MESSAGE((linuxRule ? "linux" : "ns-3") << " worst echo lag " << worstLag);
    if (linuxRule)
      BOOST_TEST(worstLag <= 10u);
    else
      BOOST_TEST(worstLag > 1000u);
  }
}

BOOST_AUTO_TEST_CASE(receive_window_grows_with_delivery_once_per_rtt_and_caps) {
  ReceiveSpaceTuner tuner(kMss, 64 * kMss, 400 * kMss);
  tuner.Start(0, 0);
  BOOST_TEST(tuner.OnDataCopied(5 * kMs, 30 * kMss) == 64u * kMss); // no RTT measured yet
  tuner.OnRttSample(10 * kMs);
  BOOST_TEST(tuner.RttNs() == 10 * kMs);
  // Less than an RTT since the measurement began: no change.
  BOOST_TEST(tuner.OnDataCopied(9 * kMs, 30 * kMss) == 64u * kMss);
  // 30 segments copied in the first RTT, above the initial 10: 2*30 + 16 = 76, plus twice the
  // growth 76 * (30 - 10) / 10 = 152: 380 segments.
  BOOST_TEST(tuner.OnDataCopied(10 * kMs, 30 * kMss) == 380u * kMss);
  // Twice as much in the next RTT: capped at the maximum.
  BOOST_TEST(tuner.OnDataCopied(20 * kMs, 90 * kMss) == 400u * kMss);
  // Less delivered later: the window never shrinks.
  BOOST_TEST(tuner.OnDataCopied(30 * kMs, 91 * kMss) == 400u * kMss);
}

BOOST_AUTO_TEST_CASE(receive_rtt_is_averaged_with_gain_one_eighth) {
  ReceiveSpaceTuner tuner(kMss, 64 * kMss, 400 * kMss);
  tuner.OnRttSample(80 * kMs);
  tuner.OnRttSample(160 * kMs);
  BOOST_TEST(tuner.RttNs() == 90 * kMs);
}

BOOST_AUTO_TEST_CASE(send_buffer_is_twice_cwnd_at_least_twenty_segments_capped) {
  BOOST_TEST(SendBufferTarget(3 * kMss, kMss, 1000 * kMss) == 20u * kMss);
  BOOST_TEST(SendBufferTarget(100 * kMss, kMss, 1000 * kMss) == 200u * kMss);
  BOOST_TEST(SendBufferTarget(100 * kMss + 1, kMss, 1000 * kMss) == 202u * kMss);
  BOOST_TEST(SendBufferTarget(900 * kMss, kMss, 1000 * kMss) == 1000u * kMss);
}

BOOST_AUTO_TEST_CASE(receive_window_limited_sender_is_not_cwnd_limited) {
  CwndLimitTracker tracker;
  // 50 segments outstanding, the receive window stops the sender with cwnd room to spare.
  uint32_t una = 0;
  for (int round = 0; round < 10; ++round) {
    for (uint32_t i = 0; i < 50; ++i)
      tracker.OnTransmit(una, una + (i + 1) * kMss, i + 1, false);
    una += 50 * kMss;
  }
  BOOST_TEST(!tracker.IsCwndLimited(200, false)); // congestion avoidance: no growth
  BOOST_TEST(tracker.IsCwndLimited(60, true));    // slow start below 2 x 50 still grows
  BOOST_TEST(!tracker.IsCwndLimited(100, true));  // ... but not beyond
}

BOOST_AUTO_TEST_CASE(cwnd_limited_is_latched_for_the_window) {
  CwndLimitTracker tracker;
  tracker.OnTransmit(0, 10 * kMss, 10, true); // cwnd full after 10 segments
  BOOST_TEST(tracker.IsCwndLimited(10, false));
  // ACKs inside the same window: a send with room (after an ACK) does not clear it.
  tracker.OnTransmit(2 * kMss, 11 * kMss, 9, false);
  BOOST_TEST(tracker.IsCwndLimited(10, false));
  // Once SND.UNA passes the end of that window, a send with room clears it.
  tracker.OnTransmit(10 * kMss, 12 * kMss, 2, false);
  BOOST_TEST(!tracker.IsCwndLimited(10, false));
}

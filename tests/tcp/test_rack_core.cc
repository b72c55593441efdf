// RACK-TLP and D-SACK core on crafted segment/ACK sequences (virtual time in nanoseconds).
#define BOOST_TEST_MODULE tcp_core
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>

#include "tcp/dsack.h"
#include "tcp/rack_tlp.h"
#include "tcp/windowed_min.h"

using namespace tunnelsim::tcp;

namespace {

constexpr uint32_t kMss = 1000;
constexpr int64_t kMs = 1000000;
constexpr int64_t kRtt = 20 * kMs;

SeqRange Seg(uint32_t i) { return {i * kMss, (i + 1) * kMss}; }

struct Flow {
  RackTlp rack{RackConfig{kMss}};
  uint32_t cumAck = 0;
  uint32_t sndNxt = 0;

  void Send(uint32_t i, int64_t t, bool retrans = false) {
    rack.OnTransmit(Seg(i), t, retrans);
    sndNxt = std::max(sndNxt, Seg(i).end);
  }
  AckOutcome Ack(int64_t t, uint32_t cum, std::vector<SeqRange> sack = {}, bool rec = false) {
    cumAck = cum;
    AckInput ack;
    ack.cumAck = cum;
    ack.sackBlocks = std::move(sack);
    ack.nowNs = t;
    ack.srttNs = kRtt;
    ack.sndNxt = sndNxt;
    ack.inRecovery = rec;
    return rack.OnAck(ack);
  }
};

// Segments 0..9 at 0.1 ms spacing, cumulatively ACKed one RTT later; then segment 11 is
// reported ahead of 10 and 10 arrives: the flow has seen reordering and knows min_RTT.
Flow WarmFlow() {
  Flow f;
  for (uint32_t i = 0; i < 12; ++i)
    f.Send(i, i * kMs / 10);
  f.Ack(kRtt + kMs, Seg(10).start);
  f.Ack(kRtt + 12 * kMs / 10, Seg(10).start, {Seg(11)});
  f.Ack(kRtt + 13 * kMs / 10, Seg(12).start);
  BOOST_REQUIRE(f.rack.ReorderingSeen());
  return f;
}

} // namespace

BOOST_AUTO_TEST_CASE(receiver_reports_duplicate_below_rcv_nxt_and_inside_sacked_block) {
  auto below = DuplicateRange({1000, 2000}, 5000, {});
  BOOST_REQUIRE(below);
  BOOST_TEST(below->start == 1000u);
  BOOST_TEST(below->end == 2000u);
  auto partial = DuplicateRange({4500, 5500}, 5000, {});
  BOOST_REQUIRE(partial);
  BOOST_TEST(partial->end == 5000u);
  auto inSack = DuplicateRange({8000, 9000}, 5000, {{7000, 10000}});
  BOOST_REQUIRE(inSack);
  BOOST_TEST(inSack->start == 8000u);
  BOOST_TEST(!DuplicateRange({5000, 6000}, 5000, {{7000, 10000}}));
  auto blocks = BlocksWithDsack(SeqRange{1000, 2000}, {{7000, 8000}, {9000, 9500}}, 2);
  BOOST_REQUIRE(blocks.size() == 2u);
  BOOST_TEST(blocks[0].start == 1000u);
  BOOST_TEST(blocks[1].start == 7000u);
}

BOOST_AUTO_TEST_CASE(sender_recognises_dsack_forms_of_rfc2883) {
  BOOST_TEST(ReceivedDsack(5000, {{1000, 2000}, {7000, 8000}}).has_value());
  BOOST_TEST(ReceivedDsack(5000, {{7200, 7400}, {7000, 8000}}).has_value());
  BOOST_TEST(!ReceivedDsack(5000, {{7000, 8000}, {9000, 9500}}).has_value());
  BOOST_TEST(!ReceivedDsack(5000, {}).has_value());
  // Wrap-around: a block just below a cumulative ACK that wrapped past zero.
  BOOST_TEST(ReceivedDsack(500, {{0xFFFFFC00u, 0xFFFFFF00u}}).has_value());
}

BOOST_AUTO_TEST_CASE(before_reordering_is_seen_three_sacks_mark_loss_like_linux) {
  Flow f;
  for (uint32_t i = 0; i < 6; ++i)
    f.Send(i, i * kMs / 10);
  f.Ack(kRtt, 0, {Seg(1)});
  f.Ack(kRtt + kMs / 10, 0, {{Seg(1).start, Seg(2).end}});
  auto out = f.Ack(kRtt + 2 * kMs / 10, 0, {{Seg(1).start, Seg(3).end}});
  BOOST_REQUIRE(out.newlyLost.size() == 1u);
  BOOST_TEST(out.newlyLost[0].start == 0u);
}

// (a) Reordering shorter than min_RTT/4 is not loss, although more than DupThresh segments
// are SACKed above the hole (stock ns-3 would fast-retransmit here).
BOOST_AUTO_TEST_CASE(reordering_within_window_is_not_loss) {
  Flow f = WarmFlow();
  BOOST_TEST(*f.rack.MinRttNs() == kRtt + kMs / 10); // segment 9: sent 0.9 ms, ACKed 21 ms
  const int64_t t0 = 100 * kMs;
  for (uint32_t i = 12; i < 18; ++i)
    f.Send(i, t0 + (i - 12) * kMs / 10);
  // 13..17 arrive first; 12 arrives 3 ms late (< min_RTT/4 = 5.25 ms).
  AckOutcome out;
  for (uint32_t i = 13; i < 18; ++i)
    out = f.Ack(t0 + kRtt + (i - 12) * kMs / 10, Seg(12).start, {{Seg(13).start, Seg(i).end}});
  BOOST_TEST(out.newlyLost.empty());
  BOOST_REQUIRE(out.reorderTimeoutNs);
  out = f.Ack(t0 + kRtt + 3 * kMs, Seg(18).start);
  BOOST_TEST(out.newlyLost.empty());
  BOOST_TEST(f.rack.Counters().rackLosses == 0u);
}

// (b) A real loss is marked at xmit + RTT + reo_wnd, by the reordering timer.
BOOST_AUTO_TEST_CASE(real_loss_detected_within_rtt_plus_window) {
  Flow f = WarmFlow();
  const int64_t t0 = 100 * kMs;
  for (uint32_t i = 12; i < 16; ++i)
    f.Send(i, t0 + (i - 12) * kMs / 10);
  AckOutcome out;
  for (uint32_t i = 13; i < 16; ++i)
    out =
        f.Ack(t0 + kRtt + kMs + (i - 12) * kMs / 10, Seg(12).start, {{Seg(13).start, Seg(i).end}});
  BOOST_TEST(out.newlyLost.empty());
  BOOST_REQUIRE(out.reorderTimeoutNs);
  const int64_t lastAck = t0 + kRtt + kMs + 3 * kMs / 10;
  const int64_t fireAt = lastAck + *out.reorderTimeoutNs;
  const int64_t window = f.rack.ReorderWindowNs(kRtt, false);
  BOOST_TEST(fireAt <= t0 + *f.rack.MinRttNs() + kMs + window + kMs / 10);
  auto early = f.rack.OnReorderTimeout(fireAt - 1, kRtt, false);
  BOOST_TEST(early.newlyLost.empty());
  auto fired = f.rack.OnReorderTimeout(fireAt, kRtt, false);
  BOOST_REQUIRE(fired.newlyLost.size() == 1u);
  BOOST_TEST(fired.newlyLost[0].start == Seg(12).start);
}

// (c) After a D-SACK reports a spurious retransmission the window doubles, so the same
// reordering (8 ms, beyond min_RTT/4 but within 2*min_RTT/4) is no longer loss.
BOOST_AUTO_TEST_CASE(dsack_widens_reordering_window) {
  Flow f = WarmFlow();
  const int64_t before = f.rack.ReorderWindowNs(kRtt, false);
  auto reorder = [&f](int64_t t0, uint32_t first) {
    for (uint32_t i = first; i < first + 4; ++i)
      f.Send(i, t0 + (i - first) * kMs / 10);
    AckOutcome out;
    for (uint32_t i = first + 1; i < first + 4; ++i)
      out = f.Ack(t0 + kRtt + kMs + (i - first) * kMs / 10, Seg(first).start,
                  {{Seg(first + 1).start, Seg(i).end}});
    const int64_t late = t0 + kRtt + kMs + 8 * kMs;
    auto timer = f.rack.OnReorderTimeout(late, kRtt, false);
    out.newlyLost.insert(out.newlyLost.end(), timer.newlyLost.begin(), timer.newlyLost.end());
    return out;
  };
  auto first = reorder(100 * kMs, 12);
  BOOST_REQUIRE(first.newlyLost.size() == 1u);
  f.rack.BeginUndoEpisode({10 * kMss, 20 * kMss});
  f.Send(12, 100 * kMs + kRtt + 9 * kMs, true);
  f.Ack(100 * kMs + kRtt + 9 * kMs + kMs / 10, Seg(16).start); // original arrived late
  auto dsack = f.Ack(100 * kMs + kRtt + 30 * kMs, Seg(16).start, {Seg(12)});
  BOOST_REQUIRE(dsack.dsack);
  BOOST_TEST(f.rack.ReoWndMult() == 2u);
  BOOST_TEST(f.rack.ReorderWindowNs(kRtt, false) == 2 * before);
  auto second = reorder(300 * kMs, 16);
  BOOST_TEST(second.newlyLost.empty());
}

// (d) Every retransmission of the episode D-SACKed: the cwnd reduction is undone; one
// retransmission not D-SACKed (a real loss) keeps it.
BOOST_AUTO_TEST_CASE(spurious_retransmission_is_undone_only_when_all_were_spurious) {
  Flow f = WarmFlow();
  f.rack.BeginUndoEpisode({30 * kMss, 40 * kMss});
  for (uint32_t i = 12; i < 16; ++i)
    f.Send(i, 100 * kMs + i);
  f.Send(12, 130 * kMs, true);
  f.Send(13, 130 * kMs, true);
  f.Ack(131 * kMs, Seg(16).start);
  auto one = f.Ack(150 * kMs, Seg(16).start, {Seg(12)});
  BOOST_TEST(one.spuriousRetransmissions == 1u);
  BOOST_TEST(!one.undo);
  auto two = f.Ack(151 * kMs, Seg(16).start, {Seg(13)});
  BOOST_REQUIRE(two.undo);
  BOOST_TEST(two.undo->cwnd == 30 * kMss);
  BOOST_TEST(two.undo->ssthresh == 40 * kMss);
  BOOST_TEST(f.rack.Counters().undos == 1u);
  BOOST_TEST(f.rack.Counters().spuriousRetransmissions == 2u);

  Flow g = WarmFlow();
  g.rack.BeginUndoEpisode({30 * kMss, 40 * kMss});
  for (uint32_t i = 12; i < 16; ++i)
    g.Send(i, 100 * kMs + i);
  g.Send(12, 130 * kMs, true);
  g.Send(13, 130 * kMs, true);
  g.Ack(150 * kMs, Seg(16).start);
  auto only = g.Ack(151 * kMs, Seg(16).start, {Seg(12)});
  BOOST_TEST(!only.undo);
  BOOST_TEST(g.rack.UndoEpisodeActive());
}

// A second reduction while the first episode's retransmission is still unproven: both must
// be D-SACKed, and the undo goes back to the cwnd before the first cut.
BOOST_AUTO_TEST_CASE(chained_spurious_reductions_undo_to_before_the_first) {
  Flow f = WarmFlow();
  f.rack.BeginUndoEpisode({30 * kMss, 40 * kMss});
  for (uint32_t i = 12; i < 16; ++i)
    f.Send(i, 100 * kMs + i);
  f.Send(12, 130 * kMs, true);
  f.Ack(131 * kMs, Seg(16).start);
  f.rack.BeginUndoEpisode({15 * kMss, 15 * kMss});
  for (uint32_t i = 16; i < 20; ++i)
    f.Send(i, 140 * kMs + i);
  f.Send(16, 170 * kMs, true);
  f.Ack(171 * kMs, Seg(20).start);
  auto second = f.Ack(180 * kMs, Seg(20).start, {Seg(16)});
  BOOST_TEST(second.spuriousRetransmissions == 1u);
  BOOST_TEST(!second.undo);
  auto first = f.Ack(181 * kMs, Seg(20).start, {Seg(12)});
  BOOST_REQUIRE(first.undo);
  BOOST_TEST(first.undo->cwnd == 30 * kMss);
  BOOST_TEST(first.undo->ssthresh == 40 * kMss);

  // Once an episode is fully proven (or undone) the next one starts afresh.
  f.rack.BeginUndoEpisode({15 * kMss, 15 * kMss});
  f.Send(20, 200 * kMs);
  f.Send(20, 230 * kMs, true);
  f.Ack(231 * kMs, Seg(21).start);
  auto fresh = f.Ack(240 * kMs, Seg(21).start, {Seg(20)});
  BOOST_REQUIRE(fresh.undo);
  BOOST_TEST(fresh.undo->cwnd == 15 * kMss);
}

BOOST_AUTO_TEST_CASE(tail_loss_probe_timing_and_loss_repair) {
  Flow f = WarmFlow();
  BOOST_TEST(!f.rack.ProbeTimeout(kRtt, -1)); // nothing outstanding
  f.Send(12, 200 * kMs);
  auto one = f.rack.ProbeTimeout(kRtt, -1);
  BOOST_REQUIRE(one);
  BOOST_TEST(*one == 2 * kRtt + 200 * kMs); // one segment in flight: + WCDelAckT
  f.Send(13, 200 * kMs);
  BOOST_TEST(*f.rack.ProbeTimeout(kRtt, -1) == 2 * kRtt);
  BOOST_TEST(*f.rack.ProbeTimeout(kRtt, 30 * kMs) == 30 * kMs); // capped by the RTO
  // The probe retransmits 13; only the probe arrives (12 and 13 were lost, 12 by RACK).
  f.Send(13, 240 * kMs, true);
  f.rack.OnProbeSent(Seg(13).end, true);
  BOOST_TEST(!f.rack.ProbeTimeout(kRtt, -1)); // one probe per episode
  f.Ack(261 * kMs, Seg(12).start, {Seg(13)});
  f.Send(12, 262 * kMs, true);
  f.Send(14, 262 * kMs);
  auto repaired = f.Ack(283 * kMs, Seg(15).start);
  BOOST_TEST(repaired.tlpRepairedLoss);
}

BOOST_AUTO_TEST_CASE(dsack_for_probe_means_no_loss) {
  Flow f = WarmFlow();
  f.Send(12, 200 * kMs);
  f.Send(12, 240 * kMs, true);
  f.rack.OnProbeSent(Seg(12).end, true);
  auto first = f.Ack(221 * kMs, Seg(13).start);
  BOOST_TEST(!first.tlpRepairedLoss);
  auto dup = f.Ack(261 * kMs, Seg(13).start, {Seg(12)});
  BOOST_TEST(!dup.tlpRepairedLoss);
  BOOST_TEST(dup.spuriousRetransmissions == 1u);
  BOOST_TEST(!f.rack.ProbeOutstanding());
}

namespace {

// Ten segments sent 0.1 ms apart from t = 5 ms (TSval 5), then an RTO at 300 ms: the episode
// remembers cwnd 10 / ssthresh 20 and the head is retransmitted.
Flow FlowAfterRto(bool frto) {
  Flow f;
  for (uint32_t i = 0; i < 10; ++i)
    f.Send(i, 5 * kMs + i * kMs / 10);
  f.rack.BeginUndoEpisode({10 * kMss, 20 * kMss});
  f.rack.OnRetransmissionTimeout(300 * kMs, f.sndNxt, frto);
  f.Send(0, 300 * kMs, true);
  return f;
}

} // namespace

BOOST_AUTO_TEST_CASE(frto_sends_new_data_then_declares_the_rto_spurious_when_originals_arrive) {
  Flow f = FlowAfterRto(true);
  BOOST_TEST(f.rack.FrtoActive());
  BOOST_TEST(*f.rack.FrtoRtoTimeNs() == 300 * kMs);
  // Step 2b: the first ACK covers only the retransmitted head: send new data, no verdict yet.
  auto first = f.Ack(320 * kMs, Seg(1).start);
  BOOST_TEST((first.frto == FrtoVerdict::kSendNewData));
  BOOST_TEST(!first.undo);
  f.Send(10, 321 * kMs);
  f.Send(11, 321 * kMs);
  // Step 3b: the next ACK acknowledges segments 1..4, sent before the RTO and never
  // retransmitted: their originals were late, not lost.
  auto second = f.Ack(330 * kMs, Seg(5).start);
  BOOST_TEST((second.frto == FrtoVerdict::kSpurious));
  BOOST_TEST(second.spuriousRto);
  BOOST_REQUIRE(second.undo);
  BOOST_TEST(second.undo->cwnd == 10 * kMss);
  BOOST_TEST(second.undo->ssthresh == 20 * kMss);
  BOOST_TEST(!second.undoByTimestamp);
  BOOST_TEST(f.rack.Counters().spuriousRtos == 1u);
  BOOST_TEST(!f.rack.FrtoActive());
  BOOST_TEST(!f.rack.FrtoRtoTimeNs());
  // A D-SACK for the head's retransmission, arriving after the undo, still counts it spurious.
  auto dsack = f.Ack(331 * kMs, Seg(5).start, {Seg(0)});
  BOOST_TEST(dsack.spuriousRetransmissions == 1u);
  BOOST_TEST(!dsack.undo);
}

BOOST_AUTO_TEST_CASE(frto_checks_originals_on_the_first_ack_too) {
  Flow f = FlowAfterRto(true);
  // An ACK sent before the RTO and delayed: it acknowledges never-retransmitted originals.
  auto first = f.Ack(310 * kMs, Seg(3).start);
  BOOST_TEST((first.frto == FrtoVerdict::kSpurious));
  BOOST_TEST(first.undo.has_value());
}

BOOST_AUTO_TEST_CASE(frto_confirms_a_real_loss_when_new_data_is_sacked_over_a_hole) {
  Flow f = FlowAfterRto(true);
  BOOST_TEST((f.Ack(320 * kMs, Seg(1).start).frto == FrtoVerdict::kSendNewData));
  f.Send(10, 321 * kMs);
  f.Send(11, 321 * kMs);
  // Segment 1 is still missing (the whole window was lost): the new data is SACKed above it.
  auto second = f.Ack(345 * kMs, Seg(1).start, {Seg(10)});
  BOOST_TEST((second.frto == FrtoVerdict::kLossConfirmed));
  BOOST_TEST(!second.undo);
  BOOST_TEST(!second.spuriousRto);
  BOOST_TEST(!f.rack.FrtoActive());
  BOOST_TEST(f.rack.Counters().spuriousRtos == 0u);
}

BOOST_AUTO_TEST_CASE(without_frto_late_originals_prove_nothing) {
  Flow f = FlowAfterRto(false);
  BOOST_TEST(!f.rack.FrtoActive());
  auto ack = f.Ack(310 * kMs, Seg(5).start);
  BOOST_TEST((ack.frto == FrtoVerdict::kNone));
  BOOST_TEST(!ack.undo);
  BOOST_TEST(!ack.spuriousRto);
}

BOOST_AUTO_TEST_CASE(timestamp_older_than_the_retransmission_undoes_an_rto_at_once) {
  Flow f = FlowAfterRto(false); // no F-RTO: the undo below comes from the timestamp alone
  AckInput ack;
  ack.cumAck = Seg(1).start; // covers only the retransmitted head
  ack.nowNs = 310 * kMs;
  ack.srttNs = kRtt;
  ack.sndNxt = f.sndNxt;
  ack.inRecovery = true;
  ack.tsEcr = 300; // echoes the retransmission (sent at 300 ms): the retransmission arrived
  BOOST_TEST(!f.rack.OnAck(ack).undo);
  ack.cumAck = Seg(2).start;
  ack.tsEcr = 5; // echoes the original of segment 0/1, sent at 5 ms
  auto out = f.rack.OnAck(ack);
  BOOST_REQUIRE(out.undo);
  BOOST_TEST(out.undoByTimestamp);
  BOOST_TEST(out.spuriousRto);
  BOOST_TEST(out.undo->cwnd == 10 * kMss);
  BOOST_TEST(f.rack.Counters().timestampUndos == 1u);
  BOOST_TEST(f.rack.Counters().spuriousRtos == 1u);
}

BOOST_AUTO_TEST_CASE(timestamp_undo_in_fast_recovery_waits_for_every_retransmission) {
  Flow f;
  for (uint32_t i = 0; i < 8; ++i)
    f.Send(i, 5 * kMs + i * kMs / 10);
  f.rack.BeginUndoEpisode({8 * kMss, 16 * kMss});
  f.Send(0, 30 * kMs, true); // TSval 30
  f.Send(2, 31 * kMs, true);
  AckInput ack;
  ack.nowNs = 40 * kMs;
  ack.srttNs = kRtt;
  ack.sndNxt = f.sndNxt;
  ack.inRecovery = true;
  ack.tsEcr = 5;
  ack.cumAck = Seg(1).start; // segment 2's retransmission is not covered yet
  BOOST_TEST(!f.rack.OnAck(ack).undo);
  ack.cumAck = Seg(8).start;
  auto out = f.rack.OnAck(ack);
  BOOST_REQUIRE(out.undo);
  BOOST_TEST(out.undoByTimestamp);
  BOOST_TEST(!out.spuriousRto); // no RTO involved
  BOOST_TEST(out.undo->ssthresh == 16 * kMss);
  BOOST_TEST(f.rack.ReorderingSeen());
  // Without an echo (no timestamps) the same sequence waits for D-SACKs.
  Flow g;
  for (uint32_t i = 0; i < 8; ++i)
    g.Send(i, 5 * kMs + i * kMs / 10);
  g.rack.BeginUndoEpisode({8 * kMss, 16 * kMss});
  g.Send(0, 30 * kMs, true);
  BOOST_TEST(!g.Ack(40 * kMs, Seg(8).start, {}, true).undo);
}

BOOST_AUTO_TEST_CASE(windowed_min_filter_forgets_minimum_older_than_the_window) {
  WindowedMinFilter filter(100);
  BOOST_TEST(!filter.Get());
  BOOST_TEST(filter.Update(10, 0) == 10);
  BOOST_TEST(filter.Update(30, 30) == 10);  // a quarter window later: becomes a successor
  BOOST_TEST(filter.Update(20, 60) == 10);  // better successor
  BOOST_TEST(filter.Update(40, 101) == 20); // 10 aged out: the best of (1, 101] is 20
  BOOST_TEST(filter.Update(50, 170) == 40); // 20 aged out too: best of (70, 170] is 40
  BOOST_TEST(filter.Update(45, 175) == 40);
  BOOST_TEST(filter.Update(35, 176) == 35); // a new minimum replaces everything
  BOOST_TEST(filter.Update(90, 400) == 90); // every candidate expired: start over
}

BOOST_AUTO_TEST_CASE(rack_min_rtt_is_windowed_as_linux_min_rtt_wlen) {
  RackConfig config{kMss};
  BOOST_TEST(config.minRttWindowNs == 300000000000); // Linux default, 300 s
  config.minRttWindowNs = 1000 * kMs;
  RackTlp rack(config);
  uint32_t seq = 0;
  int64_t t = 0;
  auto sendAndAck = [&](int64_t rtt) {
    rack.OnTransmit({seq, seq + kMss}, t, false);
    seq += kMss;
    AckInput ack;
    ack.cumAck = seq;
    ack.nowNs = t + rtt;
    ack.srttNs = rtt;
    ack.sndNxt = seq;
    rack.OnAck(ack);
    t += 50 * kMs;
  };
  sendAndAck(20 * kMs); // the path's minimum at the start
  for (int i = 0; i < 10; ++i)
    sendAndAck(40 * kMs);                   // then the path gets longer
  BOOST_TEST(*rack.MinRttNs() == 20 * kMs); // still inside the 1 s window
  for (int i = 0; i < 20; ++i)
    sendAndAck(40 * kMs);
  // A connection-wide minimum would still say 20 ms; the windowed one has moved on.
  BOOST_TEST(*rack.MinRttNs() == 40 * kMs);
  BOOST_TEST(rack.ReorderWindowNs(40 * kMs, false) == 10 * kMs);
}

// ---------------------------------------------------------------------------------------------
// Issue 16 part 4: the spurious slow-start recoveries. A replay of the pattern traced on the
// reorder-collapse path (100 Mbit/s, 10 ms reordering hold, min_RTT 50 ms here): a burst of 20
// segments is sent at one instant and queues behind itself at the bottleneck (1 ms each); 5 ms
// later a second burst follows, one of whose segments skips the 10 ms hold and overtakes the
// first burst's tail. Real Linux takes no recovery on this path (0 fast recoveries at 2 %
// reordering, seeds 1, 4 and 5): its RACK.rtt (tcp_rack_advance) is the RTT of the last segment
// each ACK delivers, so the first burst's tail, delivered after the overtaker, raises RACK.rtt
// again at once. With RFC 8985's rule RACK.rtt stays at the overtaker's short RTT until a later
// sent segment is delivered, and the tail still in the queue is marked lost.
namespace {

struct Arrival {
  uint32_t segment;
  int64_t sentNs;
  int64_t arrivesNs; // when its (S)ACK reaches the sender (every arrival is ACKed); < 0: lost
};

// Replays `arrivals` (any order) into `rack` as a receiver would acknowledge them: cumulative
// ACK plus SACK blocks for everything above it, one ACK per arrival, the reordering timer fired
// when it is due. Returns the number of segments marked lost.
size_t Replay(RackTlp &rack, uint32_t firstSegment, std::vector<Arrival> arrivals, int64_t srttNs) {
  std::sort(arrivals.begin(), arrivals.end(), [](const Arrival &a, const Arrival &b) {
    return a.sentNs < b.sentNs || (a.sentNs == b.sentNs && a.segment < b.segment);
  });
  uint32_t sndNxt = 0;
  for (const auto &a : arrivals) {
    rack.OnTransmit(Seg(a.segment), a.sentNs, false);
    sndNxt = std::max(sndNxt, Seg(a.segment).end);
  }
  // Segments that never arrive were sent, but are acknowledged by nobody.
  arrivals.erase(std::remove_if(arrivals.begin(), arrivals.end(),
                                [](const Arrival &a) { return a.arrivesNs < 0; }),
                 arrivals.end());
  std::sort(arrivals.begin(), arrivals.end(),
            [](const Arrival &a, const Arrival &b) { return a.arrivesNs < b.arrivesNs; });
  std::vector<bool> received(arrivals.size() + 64, false);
  uint32_t cum = firstSegment;
  std::optional<int64_t> timerAt;
  size_t lost = 0;
  for (const auto &a : arrivals) {
    if (timerAt && *timerAt <= a.arrivesNs) {
      const int64_t firedAt = *timerAt;
      auto fired = rack.OnReorderTimeout(firedAt, srttNs, false);
      lost += fired.newlyLost.size();
      timerAt.reset();
      if (fired.reorderTimeoutNs) timerAt = firedAt + *fired.reorderTimeoutNs;
    }
    received[a.segment - firstSegment] = true;
    while (cum - firstSegment < received.size() && received[cum - firstSegment])
      ++cum;
    std::vector<SeqRange> sack;
    for (uint32_t i = cum; i - firstSegment < received.size(); ++i) {
      if (!received[i - firstSegment]) continue;
      if (!sack.empty() && sack.back().end == Seg(i).start)
        sack.back().end = Seg(i).end;
      else
        sack.push_back(Seg(i));
    }
    AckInput ack;
    ack.cumAck = Seg(cum).start;
    ack.sackBlocks = sack;
    ack.nowNs = a.arrivesNs;
    ack.srttNs = srttNs;
    ack.sndNxt = sndNxt;
    auto out = rack.OnAck(ack);
    lost += out.newlyLost.size();
    timerAt.reset();
    if (out.reorderTimeoutNs) timerAt = a.arrivesNs + *out.reorderTimeoutNs;
  }
  if (timerAt) lost += rack.OnReorderTimeout(*timerAt, srttNs, false).newlyLost.size();
  return lost;
}

// A flow that knows min_RTT = 50 ms and has seen reordering (reo_wnd = 12.5 ms).
RackTlp SlowStartFlow(bool rttFromLastDelivered) {
  RackConfig config{kMss};
  config.rttFromLastDelivered = rttFromLastDelivered;
  RackTlp rack(config);
  std::vector<Arrival> warm;
  for (uint32_t i = 0; i < 10; ++i)
    warm.push_back({i, i * kMs / 10, 50 * kMs + i * kMs / 10 + (i == 3 ? kMs / 4 : 0)});
  BOOST_REQUIRE(Replay(rack, 0, warm, 50 * kMs) == 0);
  BOOST_REQUIRE(rack.ReorderingSeen());
  BOOST_REQUIRE(*rack.MinRttNs() == 50 * kMs);
  BOOST_REQUIRE(rack.ReorderWindowNs(60 * kMs, false) == 12500 * 1000);
  return rack;
}

std::vector<Arrival> BurstTailBehindOvertaker() {
  const int64_t t0 = 1000 * kMs;
  std::vector<Arrival> a;
  // Burst 1: segments 10..29 at t0, held 10 ms, then 1 ms apart behind each other: 60..79 ms.
  for (uint32_t k = 0; k < 20; ++k)
    a.push_back({10 + k, t0, t0 + 60 * kMs + k * kMs});
  // Burst 2: segments 30..49 at t0 + 5 ms. Segment 40 skips the hold and arrives 56.5 ms after
  // it was sent, while burst 1's tail is still queued; the rest queue behind burst 1.
  for (uint32_t k = 0; k < 20; ++k) {
    const int64_t sent = t0 + 5 * kMs;
    a.push_back({30 + k, sent, k == 10 ? sent + 56500 * 1000 : t0 + 80 * kMs + k * kMs});
  }
  return a;
}

} // namespace

BOOST_AUTO_TEST_CASE(burst_tail_behind_an_overtaker_is_not_lost_with_linux_rack_rtt) {
  RackTlp linuxRule = SlowStartFlow(true);
  BOOST_TEST(Replay(linuxRule, 10, BurstTailBehindOvertaker(), 60 * kMs) == 0u);
  BOOST_TEST(linuxRule.Counters().rackLosses == 0u);
  // RACK.rtt ends at the last delivered segment's RTT (segment 49: sent t0 + 5, ACKed t0 + 99).
  BOOST_TEST(linuxRule.RackRttNs() == 94 * kMs);
}

BOOST_AUTO_TEST_CASE(burst_tail_behind_an_overtaker_is_marked_with_rfc_rack_rtt) {
  // The same ACK sequence with RFC 8985's RACK.rtt: the spurious marks the model took.
  RackTlp rfcRule = SlowStartFlow(false);
  BOOST_TEST(Replay(rfcRule, 10, BurstTailBehindOvertaker(), 60 * kMs) > 0u);
}

BOOST_AUTO_TEST_CASE(real_loss_is_still_marked_with_linux_rack_rtt) {
  // Burst 1's segment 15 never arrives: it is marked by RACK.rtt + reo_wnd after the last
  // delivered segment sent with or after it, whatever the RTT rule.
  for (bool rule : {true, false}) {
    RackTlp rack = SlowStartFlow(rule);
    auto arrivals = BurstTailBehindOvertaker();
    std::find_if(arrivals.begin(), arrivals.end(), [](const Arrival &a) {
      return a.segment == 15;
    })->arrivesNs = -1;
    BOOST_TEST(Replay(rack, 10, arrivals, 60 * kMs) >= 1u);
    const auto &segs = rack.Segments();
    BOOST_REQUIRE(!segs.empty());
    BOOST_TEST(segs.front().range.start == Seg(15).start);
    BOOST_TEST(segs.front().lost);
  }
}

BOOST_AUTO_TEST_CASE(congestion_control_rtt_sample_is_linux_ca_rtt) {
  Flow f;
  for (uint32_t i = 0; i < 8; ++i)
    f.Send(i, i * kMs);
  // Cumulative ACK of 0..1: the highest of them (segment 1, sent at 1 ms).
  auto out = f.Ack(30 * kMs, Seg(2).start);
  BOOST_REQUIRE(out.caRttNs);
  BOOST_TEST(*out.caRttNs == 29 * kMs);
  // SACK of 4..6 while 2 is also ACKed: the newly SACKed data wins (segment 6, sent 6 ms).
  out = f.Ack(40 * kMs, Seg(3).start, {{Seg(4).start, Seg(6).end}});
  BOOST_REQUIRE(out.caRttNs);
  BOOST_TEST(*out.caRttNs == 34 * kMs);
  // Nothing new delivered: no sample.
  out = f.Ack(41 * kMs, Seg(3).start, {{Seg(4).start, Seg(6).end}});
  BOOST_TEST(!out.caRttNs);
  // The hole (segment 3) fills: the sample is its own, long RTT (sent 3 ms, ACKed 60 ms).
  out = f.Ack(60 * kMs, Seg(7).start);
  BOOST_REQUIRE(out.caRttNs);
  BOOST_TEST(*out.caRttNs == 57 * kMs);
  // A retransmission among the cumulatively ACKed data makes the sample ambiguous.
  f.Send(8, 61 * kMs);
  f.Send(8, 70 * kMs, true);
  out = f.Ack(90 * kMs, Seg(9).start);
  BOOST_TEST(!out.caRttNs);
}

BOOST_AUTO_TEST_CASE(an_mtu_reduction_marks_only_unsacked_segments_longer_than_the_new_mss) {
  // Linux's tcp_simple_retransmit after ICMP frag-needed: segments 0..3 went out at 1000 bytes;
  // segment 2 was SACKed (it got through somehow) and a 600-byte segment followed at the new
  // size. Only the unSACKed 1000-byte ones are lost, including one already retransmitted.
  Flow f;
  for (uint32_t i = 0; i < 4; ++i)
    f.Send(i, i * kMs / 10);
  f.rack.OnTransmit({Seg(4).start, Seg(4).start + 600}, kMs, false);
  f.sndNxt = Seg(4).start + 600;
  f.Ack(kRtt, 0, {Seg(2)});
  f.Send(1, kRtt + kMs, true);
  BOOST_TEST(f.rack.MarkLongerThanLost(600) == 3u);
  std::vector<uint32_t> lostStarts;
  for (const auto &seg : f.rack.Segments()) {
    if (seg.lost) lostStarts.push_back(seg.range.start);
    if (seg.lost) BOOST_TEST(!seg.retransmittedAfterLoss); // back in the pipe only once resent
  }
  BOOST_TEST(lostStarts == (std::vector<uint32_t>{Seg(0).start, Seg(1).start, Seg(3).start}),
             boost::test_tools::per_element());
  // Nothing is longer than the MSS it was last sent at: nothing to mark.
  BOOST_TEST(f.rack.MarkLongerThanLost(1000) == 0u);
}

// Linux 6.1 CUBIC arithmetic (tcp::CubicCore) against values worked out by hand from the
// CUBIC equations: W(t) = C (t - K)^3 + Wmax with C = 0.4, K = cbrt((Wmax - cwnd) / C),
// beta = 717/1024, the Reno-friendly slope 3(1 - beta)/(1 + beta) and Linux's HyStart.
#define BOOST_TEST_MODULE tcp_cubic_core
#include <boost/test/unit_test.hpp>

#include "tcp/cubic_core.h"
#include "tcp/disorder_credit.h"

#include <cmath>
#include <cstdint>
#include <utility>

using tunnelsim::tcp::CubicCore;
using tunnelsim::tcp::CubicParams;

namespace {

constexpr double kC = 410.0 / 1024.0; // Linux's C, 0.4004
constexpr int64_t kMs = 1000;
constexpr int64_t kSecond = 1000000;

// A core that was cut from `wmax` and begins its epoch at `startUs` with `cwnd`.
CubicCore CutFrom(uint32_t wmax, uint32_t cwnd, int64_t startUs, CubicParams params = {}) {
  CubicCore core(params);
  core.SsThreshAfterLoss(wmax);
  core.OnAck(startUs, {cwnd, 0}, cwnd, 1); // first ACK in avoidance starts the epoch
  return core;
}

} // namespace

BOOST_AUTO_TEST_CASE(beta_reduces_to_717_of_1024) {
  CubicCore core;
  BOOST_TEST(core.SsThreshAfterLoss(100) == 70u); // 100 * 0.7002 = 70.02
  BOOST_TEST(core.LastMaxCwnd() == 100u);
  CubicCore big;
  BOOST_TEST(big.SsThreshAfterLoss(1000) == 700u); // 700.2
  CubicCore tiny;
  BOOST_TEST(tiny.SsThreshAfterLoss(2) == 2u); // never below two segments
}

BOOST_AUTO_TEST_CASE(fast_convergence_lowers_wmax) {
  CubicCore core;
  core.SsThreshAfterLoss(100);
  core.SsThreshAfterLoss(80); // cut again below the previous maximum
  // 80 * (1 + 0.7002) / 2 = 68.0
  BOOST_TEST(core.LastMaxCwnd() == 68u);
  CubicParams noFc;
  noFc.fastConvergence = false;
  CubicCore plain(noFc);
  plain.SsThreshAfterLoss(100);
  plain.SsThreshAfterLoss(80);
  BOOST_TEST(plain.LastMaxCwnd() == 80u);
  // A cut above the maximum remembers the new, larger window.
  core.SsThreshAfterLoss(120);
  BOOST_TEST(core.LastMaxCwnd() == 120u);
}

BOOST_AUTO_TEST_CASE(k_and_cubic_curve_match_the_equation) {
  const auto core = CutFrom(100, 70, 5 * kSecond);
  BOOST_TEST(core.EpochActive());
  BOOST_TEST(core.OriginPoint() == 100u);
  const double k = std::cbrt((100.0 - 70.0) / kC); // 4.2153 s
  BOOST_TEST(std::abs(core.KTicks() / 1024.0 - k) < 0.002);
  for (double t : {0.0, 1.0, 2.5, k, 5.0, 7.0, 9.2}) {
    const double expected = kC * std::pow(t - k, 3) + 100.0;
    const auto target = core.CubicTarget(static_cast<int64_t>(t * kSecond));
    BOOST_TEST_INFO("t = " << t << " s, expected " << expected << ", got " << target);
    BOOST_TEST(std::abs(double(target) - expected) <= 1.01);
  }
  // Hand values: 70 (start, 100 - 29.98), 100 at K, 150 five seconds after K.
  BOOST_TEST(core.CubicTarget(0) >= 70u);
  BOOST_TEST(core.CubicTarget(0) <= 71u);
  BOOST_TEST(core.CubicTarget(static_cast<int64_t>((k + 5.0) * kSecond)) == 150u);
}

BOOST_AUTO_TEST_CASE(window_above_wmax_starts_a_plateau_at_the_current_window) {
  const auto core = CutFrom(50, 60, 0); // e.g. an undo restored a larger window
  BOOST_TEST(core.KTicks() == 0u);
  BOOST_TEST(core.OriginPoint() == 60u);
}

BOOST_AUTO_TEST_CASE(growth_before_any_loss_is_capped_at_one_segment_per_20_acks) {
  CubicCore core;
  core.OnAck(0, {10, 0}, 10, 1); // ssthresh = cwnd: avoidance, no maximum known
  BOOST_TEST(core.Cnt() == 20u);
}

BOOST_AUTO_TEST_CASE(slow_start_stops_at_ssthresh_and_continues_in_avoidance) {
  CubicCore core;
  const auto w = core.OnAck(0, {10, 0}, 11, 3);
  BOOST_TEST(w.cwnd == 11u);   // one segment of slow start
  BOOST_TEST(w.cwndCnt == 2u); // the other two count toward the next increase
  BOOST_TEST(core.EpochActive());
}

BOOST_AUTO_TEST_CASE(reno_friendly_estimate_takes_over_when_larger) {
  // At the plateau (cwnd = Wmax = 100, K = 0) the cubic curve is flat for the first second:
  // C t^3 < 0.4 segment, so cnt = 100 * cwnd. The Reno-friendly window grows by one every
  // cwnd * 15/8 = 187 ACKed segments (0.53 segment per RTT, 3 * 0.3 / 1.7 = 0.529).
  for (bool friendly : {true, false}) {
    CubicParams params;
    params.renoFriendly = friendly;
    CubicCore core(params);
    core.SsThreshAfterLoss(100);
    CubicCore::Window w{100, 0};
    for (int i = 0; i < 400; ++i)
      w = core.OnAck(i * kMs, w, 70, 1);
    BOOST_TEST_INFO("reno friendly " << friendly);
    if (friendly) {
      BOOST_TEST(core.RenoEstimate() >= 102u); // 400 ACKs at ~187 per segment
      BOOST_TEST(core.RenoEstimate() <= 103u);
      BOOST_TEST(w.cwnd >= 101u);
      if (core.RenoEstimate() > w.cwnd)
        BOOST_TEST(core.Cnt() <= w.cwnd / (core.RenoEstimate() - w.cwnd));
    } else {
      BOOST_TEST(w.cwnd == 100u);
      BOOST_TEST(core.Cnt() >= 1000u);
    }
  }
}

BOOST_AUTO_TEST_CASE(cnt_follows_the_distance_to_the_target) {
  // At the epoch start the target is the current window (1000 - 0.4 * 13.1^3 = 101): slow.
  auto core = CutFrom(1000, 100, 0);
  BOOST_TEST(core.Cnt() >= 50u);
  // Five seconds later it is 1000 - 0.4 * 8.1^3 = 788: one segment per 2 ACKs at most.
  core.OnAck(5 * kSecond, {100, 0}, 100, 1);
  BOOST_TEST(core.Cnt() == 2u);
}

BOOST_AUTO_TEST_CASE(idle_shifts_the_epoch) {
  auto core = CutFrom(100, 70, 1 * kSecond);
  core.OnTransmitAfterIdle(6 * kSecond, 2 * kSecond); // idle for 4 s
  BOOST_TEST(core.EpochStartUs() == 5 * kSecond);
  core.OnTransmitAfterIdle(7 * kSecond, 0); // never beyond now
  BOOST_TEST(core.EpochStartUs() == 7 * kSecond);
}

BOOST_AUTO_TEST_CASE(loss_state_forgets_everything) {
  auto core = CutFrom(100, 70, 0);
  core.OnRttSample(2 * kSecond, 40 * kMs, 70, 70, 0, 0);
  core.OnLossState(3 * kSecond, 0);
  BOOST_TEST(core.LastMaxCwnd() == 0u);
  BOOST_TEST(!core.EpochActive());
  BOOST_TEST(core.DelayMinUs() == 0);
}

namespace {

constexpr uint32_t kInfinite = UINT32_MAX;

// Establishes delay_min = 40 ms with samples 5 ms apart (no ACK train) below the low window.
CubicCore WithMinRtt40() {
  CubicCore core;
  for (int i = 0; i < 4; ++i)
    core.OnRttSample(i * 5 * kMs, 40 * kMs, 10, kInfinite, 0, 0);
  BOOST_REQUIRE(core.DelayMinUs() == 40 * kMs);
  return core;
}

// Feeds a round of `samples` RTT samples `spacingUs` apart from `startUs`; returns the index
// (1-based) of the sample on which HyStart exits, 0 if it does not.
int FeedRound(CubicCore &core, int64_t startUs, int64_t spacingUs, int samples, int64_t rttUs,
              uint32_t cwnd, uint32_t sndUna, uint32_t sndNxt) {
  for (int i = 0; i < samples; ++i)
    if (core.OnRttSample(startUs + i * spacingUs, rttUs, cwnd, kInfinite, sndUna, sndNxt))
      return i + 1;
  return 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(hystart_delay_increase_exits_on_ninth_sample) {
  // Threshold: 40 ms + clamp(40/8 = 5 ms, 4, 16) = 45 ms, checked once 8 samples are in.
  auto core = WithMinRtt40();
  BOOST_TEST(FeedRound(core, 100 * kMs, 5 * kMs, 12, 45 * kMs, 20, 1000, 5000) == 0);
  BOOST_TEST(!core.HystartFound());
  // Next round (SND.UNA past the round's end): 46 ms is above the threshold.
  BOOST_TEST(FeedRound(core, 200 * kMs, 5 * kMs, 12, 46 * kMs, 20, 5001, 9000) == 9);
  BOOST_TEST(core.HystartFound());
}

BOOST_AUTO_TEST_CASE(hystart_delay_threshold_is_clamped) {
  // delay_min 200 ms: 200/8 = 25 ms is clamped to 16 ms.
  CubicCore core;
  core.OnRttSample(0, 200 * kMs, 10, kInfinite, 0, 0);
  BOOST_TEST(FeedRound(core, 10 * kMs, 5 * kMs, 10, 216 * kMs, 20, 1, 100) == 0);
  BOOST_TEST(FeedRound(core, 100 * kMs, 5 * kMs, 10, 217 * kMs, 20, 101, 200) == 9);
  // delay_min 10 ms: 1.25 ms is raised to 4 ms.
  CubicCore small;
  small.OnRttSample(0, 10 * kMs, 10, kInfinite, 0, 0);
  BOOST_TEST(FeedRound(small, 10 * kMs, 5 * kMs, 10, 14 * kMs, 20, 1, 100) == 0);
  BOOST_TEST(FeedRound(small, 100 * kMs, 5 * kMs, 10, 15 * kMs, 20, 101, 200) == 9);
}

BOOST_AUTO_TEST_CASE(hystart_not_below_low_window) {
  auto core = WithMinRtt40();
  BOOST_TEST(FeedRound(core, 100 * kMs, 5 * kMs, 20, 80 * kMs, 15, 1000, 5000) == 0);
  BOOST_TEST(FeedRound(core, 300 * kMs, 1 * kMs, 40, 40 * kMs, 15, 5001, 9000) == 0);
  BOOST_TEST(FeedRound(core, 400 * kMs, 5 * kMs, 20, 80 * kMs, 16, 9001, 9500) == 9);
}

BOOST_AUTO_TEST_CASE(hystart_ack_train_exits_after_half_min_rtt) {
  // Threshold (40 ms + 1 ms ACK allowance) / 2 = 20.5 ms: ACKs 1 ms apart from the round
  // start exit on the ACK 21 ms after it, i.e. the 22nd sample.
  auto core = WithMinRtt40();
  BOOST_TEST(FeedRound(core, 100 * kMs, 1 * kMs, 40, 40 * kMs, 32, 1000, 5000) == 22);
  // ACKs 3 ms apart are no train.
  auto spaced = WithMinRtt40();
  BOOST_TEST(FeedRound(spaced, 100 * kMs, 3 * kMs, 40, 40 * kMs, 32, 1000, 5000) == 0);
  // Without the train detector the same dense ACKs do nothing.
  CubicParams params;
  params.hystartAckTrain = false;
  CubicCore noTrain(params);
  noTrain.OnRttSample(0, 40 * kMs, 10, kInfinite, 0, 0);
  BOOST_TEST(FeedRound(noTrain, 100 * kMs, 1 * kMs, 40, 40 * kMs, 32, 1000, 5000) == 0);
}

BOOST_AUTO_TEST_CASE(hystart_ignores_samples_in_first_second_of_an_epoch) {
  auto core = CutFrom(100, 70, 0);
  BOOST_TEST(!core.OnRttSample(500 * kMs, 40 * kMs, 70, 70, 0, 0));
  BOOST_TEST(core.DelayMinUs() == 0);
  core.OnRttSample(1500 * kMs, 40 * kMs, 70, 70, 0, 0);
  BOOST_TEST(core.DelayMinUs() == 40 * kMs);
}

// Issue 16 part 4: on the reorder-collapse path every HyStart exit of real Linux was a delay
// detection (TCPHystartDelayDetect, no train detection). Jitter alone must not trigger it:
// Linux compares the smallest sample of the round, so large samples (ACK delay jitter, a
// segment held by reordering) do not count while one sample per round stays near the minimum.
BOOST_AUTO_TEST_CASE(hystart_delay_ignores_jitter_while_the_round_minimum_stays_low) {
  auto core = WithMinRtt40(); // threshold 40 + 5 = 45 ms
  // A round of 16 samples jittering between 44 and 70 ms (a reordered, 10 ms late segment
  // and ACK delay jitter): its minimum, 44 ms, is below the threshold.
  for (int i = 0; i < 16; ++i) {
    const int64_t rtt = (i % 4 == 3) ? 44 * kMs : (50 + 5 * (i % 4)) * kMs + (i % 2) * 10 * kMs;
    BOOST_TEST(!core.OnRttSample(100 * kMs + i * 5 * kMs, rtt, 20, kInfinite, 1000, 5000));
  }
  BOOST_TEST(!core.HystartFound());
  // The same jitter on top of a queue that has grown by 6 ms: every sample of the next round
  // is above 45 ms, and the ninth sample ends slow start.
  int exitAt = 0;
  for (int i = 0; i < 16 && exitAt == 0; ++i) {
    const int64_t rtt = (i % 4 == 3) ? 46 * kMs : (56 + 5 * (i % 4)) * kMs + (i % 2) * 10 * kMs;
    if (core.OnRttSample(300 * kMs + i * 5 * kMs, rtt, 20, kInfinite, 5001, 9000)) exitAt = i + 1;
  }
  BOOST_TEST(exitAt == 9);
  BOOST_TEST(core.HystartFound());
}

BOOST_AUTO_TEST_CASE(hystart_delay_minimum_is_taken_over_the_whole_round) {
  // One low sample after the eighth still keeps the round's minimum below the threshold; a new
  // round starts from scratch once SND.UNA passes the round's end.
  auto core = WithMinRtt40();
  BOOST_TEST(FeedRound(core, 100 * kMs, 5 * kMs, 7, 60 * kMs, 20, 1000, 5000) == 0);
  BOOST_TEST(!core.OnRttSample(140 * kMs, 41 * kMs, 20, kInfinite, 1000, 5000));
  BOOST_TEST(FeedRound(core, 145 * kMs, 5 * kMs, 10, 60 * kMs, 20, 1000, 5000) == 0);
  BOOST_TEST(FeedRound(core, 300 * kMs, 5 * kMs, 10, 60 * kMs, 20, 5001, 9000) == 9);
}

namespace {

// Where slow start on a clean path ends: train k (k = 1..trains) of 5 * 2^(k-1) ACKs, 0.2 ms
// apart and one RTT after the previous train, each ACKing two segments (delayed ACK) that
// were sent in response to the previous train; cwnd grows by 2 and 4 segments leave per ACK.
// The sender's doubled rate builds a queue within each train, so the i-th ACK's RTT is
// 40 ms + i * 0.5 ms; between trains it drains (the flight is below the BDP). Returns the
// (train, ACK index) HyStart exits on, or (0, 0).
std::pair<int, int> SlowStartOnCleanPath(CubicCore &core, int trains) {
  uint32_t cwnd = 10, sndUna = 0, sndNxt = 10; // initial window sent, nothing ACKed
  for (int train = 1; train <= trains; ++train) {
    const int acks = 5 << (train - 1);
    for (int i = 0; i < acks; ++i) {
      sndUna += 2;
      const int64_t now = train * 100 * kMs + i * 200;
      if (core.OnRttSample(now, 40 * kMs + i * 500, cwnd, kInfinite, sndUna, sndNxt))
        return {train, i};
      cwnd += 2;
      sndNxt += 4;
    }
  }
  return {0, 0};
}

} // namespace

// Issue 16 part 4: a HyStart round must begin with the first ACK of a train. Linux counts
// rounds on every slow-start ACK (since "tcp_cubic: fix incorrect HyStart round start
// detection", v6.13 and the 2025 stable kernels, the 6.18 of the calibration included); when
// the first round was only started by the ACK that took cwnd to 16 segments, in mid-train,
// each later round began in mid-train too, its first eight samples were the queued tail of a
// train, and the delay test ended slow start far below the BDP (the model's cubic-linux left
// slow start at 80-260 segments on the clean reorder-collapse path where the kernel waits for
// 1300-2760).
BOOST_AUTO_TEST_CASE(hystart_rounds_start_at_the_first_ack_of_a_train) {
  CubicCore core;
  const auto exit = SlowStartOnCleanPath(core, 5);
  BOOST_TEST(exit.first == 0); // every round's first samples are the queue-free head
  BOOST_TEST(!core.HystartFound());
  BOOST_TEST(core.DelayMinUs() == 40 * kMs);

  CubicParams original61;
  original61.hystartRoundsBelowLowWindow = false;
  CubicCore old(original61);
  const auto oldExit = SlowStartOnCleanPath(old, 5);
  // First round reset at the 4th ACK of train 1 (cwnd 16); the round that starts in train 4
  // at its 25th ACK sees nine samples of 52 ms and more (above 40 + 5 ms): exit in train 4.
  BOOST_TEST(oldExit.first == 4);
  BOOST_TEST(oldExit.second == 32);
}

// Growth on SACKs in Disorder (LinuxCubic's GrowOnSackInDisorder): a slow start that grew by
// the segments SACKed past a hole must not grow again when the cumulative ACK ending
// Disorder covers them, and grows for the rest of that ACK as usual.
BOOST_AUTO_TEST_CASE(disorder_credit_counts_each_delivered_segment_once) {
  CubicCore core;
  tunnelsim::tcp::DisorderCredit credit;
  CubicCore::Window w{160, 0};
  const uint32_t infinite = UINT32_MAX;
  for (int sack = 0; sack < 40; ++sack) { // 40 duplicate ACKs, one newly SACKed segment each
    credit.OnCredited(1);
    w = core.OnAck(sack * kMs, w, infinite, 1);
  }
  BOOST_TEST(w.cwnd == 200u); // slow start went on past the hole
  // The hole fills: the cumulative ACK covers the hole, the 40 SACKed and 2 new segments.
  const uint32_t grow = credit.Uncredited(43);
  BOOST_TEST(grow == 3u);
  w = core.OnAck(50 * kMs, w, infinite, grow);
  BOOST_TEST(w.cwnd == 203u);
  BOOST_TEST(credit.Uncredited(10) == 10u); // the credit was used up once
}

BOOST_AUTO_TEST_CASE(disorder_credit_is_dropped_by_a_recovery) {
  tunnelsim::tcp::DisorderCredit credit;
  credit.OnCredited(25);
  credit.Clear(); // entering recovery: those segments are ACKed in it without growth
  BOOST_TEST(credit.Credited() == 0u);
  BOOST_TEST(credit.Uncredited(7) == 7u);
  credit.OnCredited(5);
  BOOST_TEST(credit.Uncredited(3) == 0u); // an ACK smaller than the credit grows nothing
  BOOST_TEST(credit.Credited() == 0u);    // and ends it
}

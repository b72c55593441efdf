// CUBIC congestion control as Linux 6.1 runs it (RFC 9438 plus Linux's HyStart), without
// ns-3: windows are in segments, times in microseconds passed in by the caller, sequence
// numbers are 32-bit and compared modulo 2^32.
//
// Window growth after a reduction follows W(t) = C (t - K)^3 + W_origin, where t is the time
// since the epoch began (plus one minimum RTT, so the target is where the window should be one
// round trip ahead), W_origin is the window before the last reduction (or the current window
// when that is larger) and K the time the curve needs to climb back to it. Linux evaluates the
// curve in fixed point: time in 1/1024 s, C = 410/1024 (about 0.4), beta = 717/1024 (about
// 0.7). The distance to the target is turned into `cnt`, the number of ACKed segments per
// one-segment increase. A Reno-friendly estimate (the window an AIMD flow with the same beta
// would have, growing by 3(1-beta)/(1+beta) per RTT) takes over when it is larger. Fast
// convergence lowers the remembered maximum when a flow is cut below it again, leaving room
// to newer flows.
//
// HyStart leaves slow start before the first loss: per round trip (the round ends when SND.UNA
// passes the SND.NXT noted at its start) either a train of closely spaced ACKs spans more than
// half the minimum RTT (ACK-train detection), or the smallest of the round's first eight RTT
// samples exceeds the minimum RTT by clamp(minRTT/8, 4 ms, 16 ms) (delay-increase detection).
// Both only run once cwnd has reached 16 segments; rounds are counted from the first ACK.
#pragma once

#include <cstdint>

namespace tunnelsim::tcp {

struct CubicParams {
  uint32_t beta = 717;    // multiplicative decrease, in 1/1024
  uint32_t bicScale = 41; // C = bicScale * 10 / 1024
  bool fastConvergence = true;
  bool renoFriendly = true; // Linux's tcp_friendliness
  bool hystart = true;
  bool hystartAckTrain = true;
  bool hystartDelay = true;
  uint32_t hystartLowWindow = 16; // segments
  // Rounds are counted on every slow-start RTT sample, also below hystartLowWindow, so the
  // first round HyStart judges begins with the first ACK of an ACK train, as Linux does since
  // "tcp_cubic: fix incorrect HyStart round start detection" (v6.13, backported to the
  // stable series in early 2025). Before it (6.1 as released), the round was first reset by
  // the ACK that took cwnd to hystartLowWindow, in mid-train, and every later round began
  // near the same point of its train, with the queued tail of a train as its first samples.
  bool hystartRoundsBelowLowWindow = true;
  uint32_t hystartMinSamples = 8;
  int64_t hystartAckDeltaUs = 2000; // ACKs further apart than this break the train
  // Linux adds an allowance for ACK compression to the train threshold: min(1 ms, time to
  // send four GSO-sized bursts at the pacing rate); for the rates simulated here it is 1 ms.
  int64_t hystartAckDelayUs = 1000;
  // Without fq pacing (SK_PACING_NONE, the default qdisc) Linux halves the train threshold.
  bool pacedByQdisc = false;
};

class CubicCore {
public:
  static constexpr uint32_t kBetaScale = 1024;
  static constexpr int kHzShift = 10;                       // time unit of the curve: 1/1024 s
  static constexpr int64_t kUpdateIntervalUs = 31250;       // Linux's HZ/32: cnt kept this long
  static constexpr int64_t kNoSampleAfterEpochUs = 1000000; // HyStart ignores RTTs 1 s after
  static constexpr int64_t kDelayThreshMinUs = 4000;
  static constexpr int64_t kDelayThreshMaxUs = 16000;

  explicit CubicCore(CubicParams params = {});

  // The window and the fractional counter Linux keeps beside it (snd_cwnd_cnt).
  struct Window {
    uint32_t cwnd = 0;    // segments
    uint32_t cwndCnt = 0; // ACKed segments toward the next one-segment increase
  };

  // Called on an ACK that may grow the window (Linux's cong_avoid): slow start up to
  // ssthresh, the rest of `acked` (and every later ACK) in congestion avoidance.
  Window OnAck(int64_t nowUs, Window window, uint32_t ssthresh, uint32_t acked);

  // The slow-start threshold after a congestion event at `cwnd`; starts a new epoch and
  // remembers the pre-cut maximum (lowered by fast convergence).
  uint32_t SsThreshAfterLoss(uint32_t cwnd);

  // An RTT sample of an ACK (Linux's pkts_acked). Returns true when HyStart decides to leave
  // slow start now: the caller sets ssthresh to cwnd.
  bool OnRttSample(int64_t nowUs, int64_t rttUs, uint32_t cwnd, uint32_t ssthresh, uint32_t sndUna,
                   uint32_t sndNxt);

  // Entering the Loss state (RTO): everything is forgotten, including the maximum, and
  // HyStart starts a new round.
  void OnLossState(int64_t nowUs, uint32_t sndNxt);

  // Sending resumes after the flight drained (application idle): the epoch is shifted by the
  // idle time, so the curve does not jump ahead by the time nothing was sent.
  void OnTransmitAfterIdle(int64_t nowUs, int64_t lastSendUs);

  // The target window of the current epoch `tUs` after its start (t includes no min RTT),
  // in segments, as Linux computes it (fixed point).
  uint32_t CubicTarget(int64_t tUs) const;

  // Inspection (tests, traces).
  uint32_t Cnt() const { return m_cnt; }
  uint32_t LastMaxCwnd() const { return m_lastMaxCwnd; }
  uint32_t OriginPoint() const { return m_originPoint; }
  uint32_t KTicks() const { return m_k; } // K in 1/1024 s
  bool EpochActive() const { return m_epochActive; }
  int64_t EpochStartUs() const { return m_epochStartUs; }
  uint32_t RenoEstimate() const { return m_renoCwnd; }
  int64_t DelayMinUs() const { return m_delayMinUs; }
  bool HystartFound() const { return m_found; }
  const CubicParams &Params() const { return m_params; }

private:
  void Reset();
  void HystartReset(int64_t nowUs, uint32_t sndNxt);
  // A new round begins when SND.UNA has passed the SND.NXT noted at the last one's start.
  void StartRoundIfPassed(int64_t nowUs, uint32_t sndUna, uint32_t sndNxt);
  void HystartUpdate(int64_t nowUs, int64_t delayUs, uint32_t sndUna, uint32_t sndNxt);
  void UpdateCnt(int64_t nowUs, uint32_t cwnd, uint32_t acked);

  CubicParams m_params;
  uint64_t m_cubeFactor;    // 2^(10 + 3*10) / (C * 1024): K = cbrt(cubeFactor * (Wmax - cwnd))
  uint32_t m_betaRenoScale; // 8 * 3(1-beta)/(1+beta) inverse, as Linux's beta_scale

  // Curve state (Linux's struct bictcp up to `unused`; reset on Loss).
  uint32_t m_cnt = 0;
  uint32_t m_lastMaxCwnd = 0;
  uint32_t m_lastCwnd = 0;
  int64_t m_lastTimeUs = 0;
  uint32_t m_originPoint = 0;
  uint32_t m_k = 0;
  int64_t m_delayMinUs = 0; // 0: no sample yet
  bool m_epochActive = false;
  int64_t m_epochStartUs = 0;
  uint32_t m_ackCnt = 0;
  uint32_t m_renoCwnd = 0;

  // HyStart.
  bool m_found = false;
  bool m_roundStarted = false;
  uint32_t m_sampleCnt = 0;
  int64_t m_roundStartUs = 0;
  uint32_t m_endSeq = 0;
  int64_t m_lastAckUs = 0;
  int64_t m_currRttUs = 0; // smallest sample of the round; INT64_MAX before one
};

} // namespace tunnelsim::tcp

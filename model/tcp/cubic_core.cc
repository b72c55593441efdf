#include "tcp/cubic_core.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace tunnelsim::tcp {
namespace {

constexpr int64_t kUsPerSecond = 1000000;

// a is after b in 32-bit sequence space.
bool SeqAfter(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

int64_t UsToTicks(int64_t us) { return (us << CubicCore::kHzShift) / kUsPerSecond; }

} // namespace

CubicCore::CubicCore(CubicParams params) : m_params(params) {
  const uint64_t cubeRttScale = uint64_t{m_params.bicScale} * 10;
  // K is in 1/1024 s and (Wmax - cwnd) in segments: cbrt of (Wmax - cwnd) / C, scaled.
  m_cubeFactor = (uint64_t{1} << (10 + 3 * kHzShift)) / std::max<uint64_t>(cubeRttScale, 1);
  // ACKs per one-segment increase of the Reno-friendly window, in 1/8 of cwnd: the inverse
  // of the AIMD slope 3(1 - beta)/(1 + beta) for the same beta.
  const uint32_t beta = std::min(m_params.beta, kBetaScale - 1);
  m_betaRenoScale = 8 * (kBetaScale + beta) / 3 / (kBetaScale - beta);
  Reset();
}

void CubicCore::Reset() {
  m_cnt = 0;
  m_lastMaxCwnd = 0;
  m_lastCwnd = 0;
  m_lastTimeUs = 0;
  m_originPoint = 0;
  m_k = 0;
  m_delayMinUs = 0;
  m_epochActive = false;
  m_epochStartUs = 0;
  m_ackCnt = 0;
  m_renoCwnd = 0;
  m_found = false;
}

void CubicCore::HystartReset(int64_t nowUs, uint32_t sndNxt) {
  m_roundStarted = true;
  m_roundStartUs = nowUs;
  m_lastAckUs = nowUs;
  m_endSeq = sndNxt;
  m_currRttUs = INT64_MAX;
  m_sampleCnt = 0;
}

uint32_t CubicCore::CubicTarget(int64_t tUs) const {
  const int64_t t = UsToTicks(std::max<int64_t>(tUs, 0));
  const uint64_t offs = t < m_k ? uint64_t(m_k - t) : uint64_t(t - m_k);
  // C * offs^3 with C = cubeRttScale / 2^10 and offs in 2^-10 s: shift out 10 + 3*10 bits.
  const unsigned __int128 scaled =
      static_cast<unsigned __int128>(m_params.bicScale * 10) * offs * offs * offs;
  const uint64_t delta =
      static_cast<uint64_t>(std::min<unsigned __int128>(scaled >> (10 + 3 * kHzShift), UINT32_MAX));
  if (t < m_k) return delta >= m_originPoint ? 0 : m_originPoint - static_cast<uint32_t>(delta);
  return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{m_originPoint} + delta, UINT32_MAX));
}

void CubicCore::UpdateCnt(int64_t nowUs, uint32_t cwnd, uint32_t acked) {
  m_ackCnt += acked;
  // cnt is recomputed at most every 1/32 s while cwnd stays put (ACKs still count above).
  if (m_lastCwnd == cwnd && nowUs - m_lastTimeUs <= kUpdateIntervalUs) return;
  if (!(m_epochActive && nowUs == m_lastTimeUs)) {
    m_lastCwnd = cwnd;
    m_lastTimeUs = nowUs;
    if (!m_epochActive) {
      m_epochActive = true;
      m_epochStartUs = nowUs;
      m_ackCnt = acked;
      m_renoCwnd = cwnd;
      if (m_lastMaxCwnd <= cwnd) {
        m_k = 0;
        m_originPoint = cwnd;
      } else {
        const double scaled = double(m_cubeFactor) * double(m_lastMaxCwnd - cwnd);
        m_k = static_cast<uint32_t>(std::cbrt(scaled));
        m_originPoint = m_lastMaxCwnd;
      }
    }
    // The target one minimum RTT ahead.
    const uint32_t target = CubicTarget(nowUs - m_epochStartUs + m_delayMinUs);
    m_cnt = target > cwnd ? cwnd / (target - cwnd) : 100 * cwnd;
    // Before any loss (no maximum known) growth is at most one segment per 20 ACKed.
    if (m_lastMaxCwnd == 0 && m_cnt > 20) m_cnt = 20;
  }
  if (m_params.renoFriendly) {
    const uint32_t perSegment = std::max<uint32_t>((cwnd * m_betaRenoScale) >> 3, 1);
    while (m_ackCnt > perSegment) {
      m_ackCnt -= perSegment;
      ++m_renoCwnd;
    }
    if (m_renoCwnd > cwnd) {
      const uint32_t maxCnt = cwnd / (m_renoCwnd - cwnd);
      if (m_cnt > maxCnt) m_cnt = maxCnt;
    }
  }
  m_cnt = std::max<uint32_t>(m_cnt, 2);
}

CubicCore::Window CubicCore::OnAck(int64_t nowUs, Window window, uint32_t ssthresh,
                                   uint32_t acked) {
  if (window.cwnd < ssthresh) {
    const uint32_t grown = std::min<uint64_t>(uint64_t{window.cwnd} + acked, ssthresh);
    acked -= grown - window.cwnd;
    window.cwnd = grown;
    if (acked == 0) return window;
  }
  UpdateCnt(nowUs, window.cwnd, acked);
  // Additive increase by one segment per cnt ACKed segments, carrying the remainder.
  const uint32_t w = m_cnt;
  if (window.cwndCnt >= w) {
    window.cwndCnt = 0;
    ++window.cwnd;
  }
  window.cwndCnt += acked;
  if (window.cwndCnt >= w) {
    const uint32_t delta = window.cwndCnt / w;
    window.cwndCnt -= delta * w;
    window.cwnd += delta;
  }
  return window;
}

uint32_t CubicCore::SsThreshAfterLoss(uint32_t cwnd) {
  m_epochActive = false;
  if (cwnd < m_lastMaxCwnd && m_params.fastConvergence)
    m_lastMaxCwnd =
        static_cast<uint32_t>(uint64_t{cwnd} * (kBetaScale + m_params.beta) / (2 * kBetaScale));
  else
    m_lastMaxCwnd = cwnd;
  return std::max<uint32_t>(static_cast<uint32_t>(uint64_t{cwnd} * m_params.beta / kBetaScale), 2);
}

bool CubicCore::OnRttSample(int64_t nowUs, int64_t rttUs, uint32_t cwnd, uint32_t ssthresh,
                            uint32_t sndUna, uint32_t sndNxt) {
  if (rttUs < 0) return false;
  // Samples right after a reduction may still carry the queue of the previous epoch.
  if (m_epochActive && nowUs - m_epochStartUs < kNoSampleAfterEpochUs) return false;
  const int64_t delay = std::max<int64_t>(rttUs, 1);
  if (m_delayMinUs == 0 || m_delayMinUs > delay) m_delayMinUs = delay;
  if (m_found || !m_params.hystart || cwnd >= ssthresh) return false;
  if (cwnd < m_params.hystartLowWindow) {
    if (m_params.hystartRoundsBelowLowWindow) StartRoundIfPassed(nowUs, sndUna, sndNxt);
    return false;
  }
  HystartUpdate(nowUs, delay, sndUna, sndNxt);
  return m_found;
}

void CubicCore::StartRoundIfPassed(int64_t nowUs, uint32_t sndUna, uint32_t sndNxt) {
  if (!m_roundStarted || SeqAfter(sndUna, m_endSeq)) HystartReset(nowUs, sndNxt);
}

void CubicCore::HystartUpdate(int64_t nowUs, int64_t delayUs, uint32_t sndUna, uint32_t sndNxt) {
  StartRoundIfPassed(nowUs, sndUna, sndNxt);
  if (m_params.hystartAckTrain && nowUs - m_lastAckUs <= m_params.hystartAckDeltaUs) {
    m_lastAckUs = nowUs;
    int64_t threshold = m_delayMinUs + m_params.hystartAckDelayUs;
    if (!m_params.pacedByQdisc) threshold >>= 1;
    if (nowUs - m_roundStartUs > threshold) m_found = true;
  }
  if (m_params.hystartDelay) {
    m_currRttUs = std::min(m_currRttUs, delayUs);
    if (m_sampleCnt < m_params.hystartMinSamples) {
      ++m_sampleCnt;
    } else {
      const int64_t margin =
          std::clamp<int64_t>(m_delayMinUs >> 3, kDelayThreshMinUs, kDelayThreshMaxUs);
      if (m_currRttUs > m_delayMinUs + margin) m_found = true;
    }
  }
}

void CubicCore::OnLossState(int64_t nowUs, uint32_t sndNxt) {
  Reset();
  HystartReset(nowUs, sndNxt);
}

void CubicCore::OnTransmitAfterIdle(int64_t nowUs, int64_t lastSendUs) {
  const int64_t idle = nowUs - lastSendUs;
  if (!m_epochActive || idle <= 0) return;
  m_epochStartUs = std::min(m_epochStartUs + idle, nowUs);
}

} // namespace tunnelsim::tcp

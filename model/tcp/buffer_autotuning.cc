#include "tcp/buffer_autotuning.h"

#include "tcp/seq_range.h"

#include <algorithm>

namespace tunnelsim::tcp {

namespace {
constexpr uint32_t kInitialCwndSegments = 10; // TCP_INIT_CWND
}

ReceiveSpaceTuner::ReceiveSpaceTuner(uint32_t mss, uint32_t initialWindow, uint32_t maxWindow)
    : m_mss(std::max<uint32_t>(mss, 1)), m_window(std::min(initialWindow, maxWindow)),
      m_maxWindow(maxWindow) {}

void ReceiveSpaceTuner::Start(int64_t nowNs, uint32_t copiedSeq) {
  m_started = true;
  m_space = std::min(m_window, kInitialCwndSegments * m_mss);
  m_spaceSeq = copiedSeq;
  m_spaceTimeNs = nowNs;
}

void ReceiveSpaceTuner::OnRttSample(int64_t rttNs) {
  rttNs = std::max<int64_t>(rttNs, 1);
  m_rttNs = m_rttNs == 0 ? rttNs : m_rttNs + (rttNs - m_rttNs) / 8;
}

uint32_t ReceiveSpaceTuner::OnDataCopied(int64_t nowNs, uint32_t copiedSeq) {
  if (!m_started) {
    Start(nowNs, copiedSeq);
    return m_window;
  }
  if (m_rttNs == 0 || nowNs - m_spaceTimeNs < m_rttNs) return m_window;
  const uint32_t copied = SeqLess(m_spaceSeq, copiedSeq) ? copiedSeq - m_spaceSeq : 0;
  if (copied > m_space) {
    uint64_t window = 2 * uint64_t{copied} + 16 * uint64_t{m_mss};
    const uint64_t growth = window * (copied - m_space) / std::max<uint32_t>(m_space, 1);
    window += 2 * growth;
    m_window = static_cast<uint32_t>(
        std::max<uint64_t>(m_window, std::min<uint64_t>(window, m_maxWindow)));
    m_space = copied;
  }
  m_spaceSeq = copiedSeq;
  m_spaceTimeNs = nowNs;
  return m_window;
}

uint32_t SendBufferTarget(uint32_t cwndBytes, uint32_t mss, uint32_t maxBuffer) {
  const uint64_t segments = std::max<uint64_t>(
      kInitialCwndSegments, (uint64_t{cwndBytes} + mss - 1) / std::max<uint32_t>(mss, 1));
  return static_cast<uint32_t>(std::min<uint64_t>(2 * segments * mss, maxBuffer));
}

} // namespace tunnelsim::tcp

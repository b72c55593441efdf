#include "tcp/cwnd_limited.h"

#include "tcp/seq_range.h"

namespace tunnelsim::tcp {

void CwndLimitTracker::OnTransmit(uint32_t una, uint32_t nxt, uint32_t packetsOut, bool cwndFull) {
  // tcp_cwnd_validate: a new window of data starts once SND.UNA passes the mark.
  if (!m_started || !SeqLess(una, m_cwndUsageSeq) || cwndFull ||
      (!m_isCwndLimited && packetsOut > m_maxPacketsOut)) {
    m_started = true;
    m_isCwndLimited = cwndFull;
    m_maxPacketsOut = packetsOut;
    m_cwndUsageSeq = nxt;
  }
}

bool CwndLimitTracker::IsCwndLimited(uint32_t cwndSegments, bool inSlowStart) const {
  if (m_isCwndLimited) return true;
  if (inSlowStart) return cwndSegments < 2 * m_maxPacketsOut;
  return false;
}

} // namespace tunnelsim::tcp

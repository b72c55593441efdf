// Whether the congestion window, rather than the receive window, the send buffer or the
// application, limited the sender in the current window of data: Linux's tcp_is_cwnd_limited
// (tcp_cwnd_validate keeps the strongest signal per window). Linux grows cwnd only then; ns-3
// grows it on every ACK, so a receive-window-limited flow's cwnd climbs far above anything it
// can use and floods the queue the moment the window opens.
#pragma once

#include <cstdint>

namespace tunnelsim::tcp {

class CwndLimitTracker {
public:
  // After a segment was sent: una = SND.UNA, nxt = SND.NXT, packetsOut = segments outstanding,
  // cwndFull = the congestion window leaves no room for another full segment.
  void OnTransmit(uint32_t una, uint32_t nxt, uint32_t packetsOut, bool cwndFull);
  // Linux: latched cwnd-limited in this window, or in slow start while cwnd is below twice the
  // most segments outstanding in it.
  bool IsCwndLimited(uint32_t cwndSegments, bool inSlowStart) const;

private:
  bool m_isCwndLimited = false;
  uint32_t m_maxPacketsOut = 0;
  uint32_t m_cwndUsageSeq = 0;
  bool m_started = false;
};

} // namespace tunnelsim::tcp

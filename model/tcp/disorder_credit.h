// Growth credit for data SACKed while the sender is in Disorder (issue 16 part 4).
//
// Linux grows cwnd on every ACK by the segments it newly delivered, SACKed ones included,
// once it has seen reordering (tcp_may_raise_cwnd: tp->reordering above tcp_reordering, then
// any forward progress counts), so a slow start keeps growing while a hole waits for RACK.
// ns-3 grows only on cumulative ACKs, and then by every segment the ACK covers, SACKed
// before or not. A congestion control that grows on SACKs in Disorder must therefore not
// grow again for the same segments when the cumulative ACK that ends Disorder covers them;
// segments SACKed before a recovery are ACKed in it without any growth (PRR), as in Linux.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tunnelsim::tcp {

class DisorderCredit {
public:
  // `segments` newly SACKed in Disorder have grown cwnd already.
  void OnCredited(uint32_t segments) { m_credited += segments; }

  // A cumulative ACK of `acked` segments may grow cwnd: the part not credited before.
  uint32_t Uncredited(uint32_t acked) {
    const uint32_t already = std::min(m_credited, acked);
    m_credited = 0;
    return acked - already;
  }

  // Recovery or a timeout: the SACKed segments will be ACKed without growth.
  void Clear() { m_credited = 0; }

  uint32_t Credited() const { return m_credited; }

private:
  uint32_t m_credited = 0;
};

} // namespace tunnelsim::tcp

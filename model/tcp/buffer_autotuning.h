// Linux's socket-buffer autotuning, counted in payload bytes (ns-3's buffers hold payload only;
// Linux counts skb memory, about twice the payload with tcp_adv_win_scale = 1, so Linux 6.1's
// tcp_rmem[2] of 6 MiB offers at most about a 3 MiB window).
//  - Receive side, dynamic right-sizing (tcp_rcv_space_adjust): once per receiver-measured
//    RTT, if the application got more bytes than in the previous measured RTT, the window
//    grows to twice that plus 16 segments, plus twice the growth (to keep ahead of a sender
//    in slow start), up to a maximum. It never shrinks.
//  - Send side (tcp_sndbuf_expand): room for twice the congestion window (at least ten
//    segments), up to a maximum, grown only while the sender is not cwnd-limited.
#pragma once

#include <cstdint>

namespace tunnelsim::tcp {

class ReceiveSpaceTuner {
public:
  ReceiveSpaceTuner(uint32_t mss, uint32_t initialWindow, uint32_t maxWindow);

  // Connection established: measure from here (Linux tcp_init_buffer_space).
  void Start(int64_t nowNs, uint32_t copiedSeq);
  // A receiver RTT sample (Linux tcp_rcv_rtt_measure_ts: now minus the echoed TSval), averaged
  // with gain 1/8 as tcp_rcv_rtt_update does.
  void OnRttSample(int64_t rttNs);
  // The application has read up to copiedSeq; returns the window to offer. The first call
  // starts the measurement if Start was not called.
  uint32_t OnDataCopied(int64_t nowNs, uint32_t copiedSeq);

  uint32_t Window() const { return m_window; }
  int64_t RttNs() const { return m_rttNs; }

private:
  uint32_t m_mss;
  uint32_t m_window;
  uint32_t m_maxWindow;
  uint32_t m_space = 0;    // bytes copied in the last measured RTT (rcvq_space.space)
  uint32_t m_spaceSeq = 0; // copied_seq when the measurement began (rcvq_space.seq)
  int64_t m_spaceTimeNs = 0;
  int64_t m_rttNs = 0;
  bool m_started = false;
};

// The send buffer Linux aims for with this congestion window (tcp_sndbuf_expand).
uint32_t SendBufferTarget(uint32_t cwndBytes, uint32_t mss, uint32_t maxBuffer);

} // namespace tunnelsim::tcp

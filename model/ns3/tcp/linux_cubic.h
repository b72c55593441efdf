// Linux 6.1's CUBIC (with HyStart, the Reno-friendly region, fast convergence and
// beta = 717/1024) as an ns-3 TcpCongestionOps, for the Linux-like TCP. The arithmetic lives
// in the sans-IO tcp::CubicCore; this class converts ns-3's byte windows to segments and maps
// its callbacks onto Linux's: IncreaseWindow = cong_avoid, PktsAcked = pkts_acked,
// GetSsThresh = recalc_ssthresh, CongestionStateSet(CA_LOSS) = set_state(Loss).
//
// Undo needs nothing here: Linux's CUBIC undoes to max(cwnd, prior_cwnd) (tcp_reno_undo_cwnd),
// which LinuxTcpSocket::ApplyUndo does itself, and the curve state stays as the cut left it.
#pragma once

#include "tcp/cubic_core.h"
#include "tcp/disorder_credit.h"

#include "ns3/nstime.h"
#include "ns3/tcp-congestion-ops.h"

namespace tunnelsim {

class LinuxCubic : public ns3::TcpCongestionOps {
public:
  static ns3::TypeId GetTypeId();
  LinuxCubic();
  LinuxCubic(const LinuxCubic &other);

  std::string GetName() const override { return "LinuxCubic"; }
  uint32_t GetSsThresh(ns3::Ptr<const ns3::TcpSocketState> tcb, uint32_t bytesInFlight) override;
  void IncreaseWindow(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked) override;
  void PktsAcked(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked,
                 const ns3::Time &rtt) override;
  void CongestionStateSet(ns3::Ptr<ns3::TcpSocketState> tcb,
                          const ns3::TcpSocketState::TcpCongState_t newState) override;
  void CwndEvent(ns3::Ptr<ns3::TcpSocketState> tcb,
                 const ns3::TcpSocketState::TcpCAEvent_t event) override;
  ns3::Ptr<ns3::TcpCongestionOps> Fork() override;

  // Sending resumes with nothing in flight; `lastSend` is when data was last sent (Linux's
  // lsndtime). LinuxTcpSocket calls this, ns-3 has no last-send time in the socket state.
  void OnTransmitAfterIdle(ns3::Time lastSend);

  // The raw RTT of the data this ACK newly delivered (Linux's ack_sample.rtt_us), from
  // LinuxTcpSocket. With the RawRttSamples attribute HyStart and the minimum delay use these
  // instead of the smoothed RTT ns-3 passes to PktsAcked.
  void OnRawRttSample(ns3::Ptr<ns3::TcpSocketState> tcb, int64_t rttNs);

  const tcp::CubicCore &Core() const { return m_core; }

private:
  tcp::CubicParams ParamsFromAttributes() const;

  bool m_hystart = true;
  bool m_fastConvergence = true;
  bool m_renoFriendly = true;
  bool m_rawRttSamples = true;
  bool m_hystartRoundsBelowLowWindow = true;
  bool m_hystartAckTrain = true;
  bool m_hystartDelay = true;
  bool m_growOnSackInDisorder = false;
  tcp::DisorderCredit m_disorderCredit; // with GrowOnSackInDisorder
  bool m_recoveryCutPending = false;    // CA_RECOVERY was just set: GetSsThresh is its cut
  bool m_configured = false;            // attributes are applied to the core on first use
  tcp::CubicCore m_core;
  uint32_t m_cwndCnt = 0; // Linux's snd_cwnd_cnt, which ns-3's socket state lacks

  void EnsureConfigured();
  void Grow(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked);
  void RttSample(ns3::Ptr<ns3::TcpSocketState> tcb, int64_t rttUs);
};

} // namespace tunnelsim

#include "ns3/tcp/linux_cubic.h"

#include "ns3/boolean.h"
#include "ns3/simulator.h"

#include <algorithm>

namespace tunnelsim {

NS_OBJECT_ENSURE_REGISTERED(LinuxCubic);

namespace {

int64_t NowUs() { return ns3::Simulator::Now().GetMicroSeconds(); }

uint32_t Segments(uint32_t bytes, uint32_t segmentSize) {
  return segmentSize == 0 ? 0 : bytes / segmentSize;
}

// ns-3 keeps ssthresh in bytes and starts it at UINT32_MAX (Linux: "infinite").
uint32_t SsThreshSegments(ns3::Ptr<const ns3::TcpSocketState> tcb) {
  return Segments(tcb->m_ssThresh.Get(), tcb->m_segmentSize);
}

} // namespace

ns3::TypeId LinuxCubic::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("tunnelsim::LinuxCubic")
          .SetParent<ns3::TcpCongestionOps>()
          .SetGroupName("Internet")
          .AddConstructor<LinuxCubic>()
          .AddAttribute("HyStart", "Leave slow start by HyStart (ACK train and delay increase)",
                        ns3::BooleanValue(true), ns3::MakeBooleanAccessor(&LinuxCubic::m_hystart),
                        ns3::MakeBooleanChecker())
          .AddAttribute("FastConvergence", "Lower the remembered maximum on repeated cuts",
                        ns3::BooleanValue(true),
                        ns3::MakeBooleanAccessor(&LinuxCubic::m_fastConvergence),
                        ns3::MakeBooleanChecker())
          .AddAttribute("RawRttSamples",
                        "HyStart on the raw RTT of each ACK's newly delivered data, as Linux, "
                        "instead of the smoothed RTT ns-3 passes to PktsAcked",
                        ns3::BooleanValue(true),
                        ns3::MakeBooleanAccessor(&LinuxCubic::m_rawRttSamples),
                        ns3::MakeBooleanChecker())
          .AddAttribute("HyStartRoundsBelowLowWindow",
                        "Count HyStart rounds from the first slow-start ACK, also below the "
                        "16-segment low window (Linux since v6.13 and the 2025 stable "
                        "kernels); false: from the ACK that reached it, as the original 6.1",
                        ns3::BooleanValue(true),
                        ns3::MakeBooleanAccessor(&LinuxCubic::m_hystartRoundsBelowLowWindow),
                        ns3::MakeBooleanChecker())
          .AddAttribute(
              "HyStartAckTrain", "HyStart's ACK-train test (with HyStart)", ns3::BooleanValue(true),
              ns3::MakeBooleanAccessor(&LinuxCubic::m_hystartAckTrain), ns3::MakeBooleanChecker())
          .AddAttribute("HyStartDelay", "HyStart's delay-increase test (with HyStart)",
                        ns3::BooleanValue(true),
                        ns3::MakeBooleanAccessor(&LinuxCubic::m_hystartDelay),
                        ns3::MakeBooleanChecker())
          .AddAttribute("GrowOnSackInDisorder",
                        "Experimental (issue 16 part 4): grow cwnd on the segments each duplicate "
                        "ACK newly SACKs while in Disorder, as Linux does once it has seen "
                        "reordering (tcp_may_raise_cwnd with tp->reordering above "
                        "tcp_reordering), instead of only on cumulative ACKs as ns-3",
                        ns3::BooleanValue(false),
                        ns3::MakeBooleanAccessor(&LinuxCubic::m_growOnSackInDisorder),
                        ns3::MakeBooleanChecker())
          .AddAttribute(
              "RenoFriendly", "Grow at least as fast as a Reno flow would", ns3::BooleanValue(true),
              ns3::MakeBooleanAccessor(&LinuxCubic::m_renoFriendly), ns3::MakeBooleanChecker());
  return tid;
}

LinuxCubic::LinuxCubic() = default;

LinuxCubic::LinuxCubic(const LinuxCubic &other)
    : TcpCongestionOps(other), m_hystart(other.m_hystart),
      m_fastConvergence(other.m_fastConvergence), m_renoFriendly(other.m_renoFriendly),
      m_rawRttSamples(other.m_rawRttSamples),
      m_hystartRoundsBelowLowWindow(other.m_hystartRoundsBelowLowWindow),
      m_hystartAckTrain(other.m_hystartAckTrain), m_hystartDelay(other.m_hystartDelay),
      m_growOnSackInDisorder(other.m_growOnSackInDisorder),
      m_disorderCredit(other.m_disorderCredit), m_recoveryCutPending(other.m_recoveryCutPending),
      m_configured(other.m_configured), m_core(other.m_core), m_cwndCnt(other.m_cwndCnt) {}

tcp::CubicParams LinuxCubic::ParamsFromAttributes() const {
  tcp::CubicParams params;
  params.hystart = m_hystart;
  params.hystartRoundsBelowLowWindow = m_hystartRoundsBelowLowWindow;
  params.hystartAckTrain = m_hystartAckTrain;
  params.hystartDelay = m_hystartDelay;
  params.fastConvergence = m_fastConvergence;
  params.renoFriendly = m_renoFriendly;
  return params;
}

void LinuxCubic::EnsureConfigured() {
  if (m_configured) return;
  m_core = tcp::CubicCore(ParamsFromAttributes());
  m_configured = true;
}

uint32_t LinuxCubic::GetSsThresh(ns3::Ptr<const ns3::TcpSocketState> tcb, uint32_t) {
  EnsureConfigured();
  // A timeout that interrupts a fast recovery: Linux (tcp_enter_loss) reduces only if this
  // window has not been reduced yet, so it keeps the recovery's ssthresh and CUBIC's maximum.
  // ns-3's ReTxTimeout asks again, which would cut the PRR-reduced cwnd a second time.
  // (EnterRecovery asks once right after setting CA_RECOVERY: that is the recovery's cut.)
  const bool recoveryCut = m_recoveryCutPending;
  m_recoveryCutPending = false;
  if (tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY && !recoveryCut)
    return tcb->m_ssThresh.Get();
  const uint32_t cwnd = std::max<uint32_t>(Segments(tcb->m_cWnd.Get(), tcb->m_segmentSize), 1);
  m_cwndCnt = 0;
  return m_core.SsThreshAfterLoss(cwnd) * tcb->m_segmentSize;
}

void LinuxCubic::IncreaseWindow(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked) {
  EnsureConfigured();
  segmentsAcked = m_disorderCredit.Uncredited(segmentsAcked);
  if (segmentsAcked == 0 || tcb->m_segmentSize == 0) return;
  Grow(tcb, segmentsAcked);
}

void LinuxCubic::Grow(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked) {
  const uint32_t cwnd = Segments(tcb->m_cWnd.Get(), tcb->m_segmentSize);
  const auto grown = m_core.OnAck(NowUs(), {cwnd, m_cwndCnt}, SsThreshSegments(tcb), segmentsAcked);
  m_cwndCnt = grown.cwndCnt;
  if (grown.cwnd != cwnd) tcb->m_cWnd = grown.cwnd * tcb->m_segmentSize;
}

void LinuxCubic::PktsAcked(ns3::Ptr<ns3::TcpSocketState> tcb, uint32_t segmentsAcked,
                           const ns3::Time &rtt) {
  EnsureConfigured();
  // ns-3 calls this with 1 for each duplicate ACK (the receiver ACKs every out-of-order
  // segment at once, so about one newly SACKed segment each) and never IncreaseWindow.
  if (m_growOnSackInDisorder && segmentsAcked > 0 && tcb->m_segmentSize > 0 &&
      tcb->m_congState == ns3::TcpSocketState::CA_DISORDER) {
    m_disorderCredit.OnCredited(segmentsAcked);
    Grow(tcb, segmentsAcked);
  }
  if (m_rawRttSamples || !rtt.IsStrictlyPositive()) return;
  RttSample(tcb, rtt.GetMicroSeconds());
}

void LinuxCubic::OnRawRttSample(ns3::Ptr<ns3::TcpSocketState> tcb, int64_t rttNs) {
  EnsureConfigured();
  if (!m_rawRttSamples || rttNs < 0) return;
  RttSample(tcb, rttNs / 1000);
}

void LinuxCubic::RttSample(ns3::Ptr<ns3::TcpSocketState> tcb, int64_t rttUs) {
  if (tcb->m_segmentSize == 0) return;
  const uint32_t cwnd = Segments(tcb->m_cWnd.Get(), tcb->m_segmentSize);
  if (m_core.OnRttSample(NowUs(), rttUs, cwnd, SsThreshSegments(tcb),
                         tcb->m_lastAckedSeq.GetValue(), tcb->m_highTxMark.Get().GetValue())) {
    tcb->m_ssThresh = tcb->m_cWnd.Get();
  }
}

void LinuxCubic::CongestionStateSet(ns3::Ptr<ns3::TcpSocketState> tcb,
                                    const ns3::TcpSocketState::TcpCongState_t newState) {
  EnsureConfigured();
  m_recoveryCutPending = newState == ns3::TcpSocketState::CA_RECOVERY;
  // Recovery (or a timeout) ACKs the segments SACKed in Disorder without growing cwnd.
  if (newState != ns3::TcpSocketState::CA_OPEN && newState != ns3::TcpSocketState::CA_DISORDER)
    m_disorderCredit.Clear();
  if (newState != ns3::TcpSocketState::CA_LOSS) return;
  m_cwndCnt = 0;
  m_core.OnLossState(NowUs(), tcb->m_highTxMark.Get().GetValue());
}

void LinuxCubic::CwndEvent(ns3::Ptr<ns3::TcpSocketState>, const ns3::TcpSocketState::TcpCAEvent_t) {
  // CA_EVENT_TX_START needs the last send time: LinuxTcpSocket calls OnTransmitAfterIdle.
}

void LinuxCubic::OnTransmitAfterIdle(ns3::Time lastSend) {
  EnsureConfigured();
  m_core.OnTransmitAfterIdle(NowUs(), lastSend.GetMicroSeconds());
}

ns3::Ptr<ns3::TcpCongestionOps> LinuxCubic::Fork() { return ns3::CopyObject<LinuxCubic>(this); }

} // namespace tunnelsim

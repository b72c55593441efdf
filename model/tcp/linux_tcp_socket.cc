#include "tcp/linux_tcp_socket.h"

#include "tcp/dsack.h"
#include "tcp/linux_cubic.h"

#include "ns3/boolean.h"
#include "ns3/ipv4-end-point.h"
#include "ns3/ipv4-header.h"
#include "ns3/ipv4-interface.h"
#include "ns3/ipv6-end-point.h"
#include "ns3/ipv6-header.h"
#include "ns3/ipv6-interface.h"
#include "ns3/log.h"
#include "ns3/rtt-estimator.h"
#include "ns3/simulator.h"
#include "ns3/tcp-congestion-ops.h"
#include "ns3/tcp-l4-protocol.h"
#include "ns3/tcp-option-sack.h"
#include "ns3/tcp-option-ts.h"
#include "ns3/tcp-recovery-ops.h"
#include "ns3/tcp-rx-buffer.h"
#include "ns3/tcp-tx-buffer.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"

#include <algorithm>

namespace tunnelsim {

NS_LOG_COMPONENT_DEFINE("LinuxTcpSocket");
NS_OBJECT_ENSURE_REGISTERED(LinuxTcpSocket);

namespace {

// With RACK the duplicate-ACK threshold must never fire: Linux with RACK does not use it.
constexpr uint32_t kNeverDupThresh = 100000;

std::vector<tcp::SeqRange> ToRanges(const ns3::TcpOptionSack::SackList &list) {
  std::vector<tcp::SeqRange> out;
  for (const auto &block : list)
    out.push_back({block.first.GetValue(), block.second.GetValue()});
  return out;
}

} // namespace

LinuxTcpMetrics &LinuxTcpMetrics::operator+=(const LinuxTcpMetrics &o) {
  spuriousRetransmissions += o.spuriousRetransmissions;
  undoneCwndReductions += o.undoneCwndReductions;
  dsacksReceived += o.dsacksReceived;
  dsacksSent += o.dsacksSent;
  rackLosses += o.rackLosses;
  dupAckLosses += o.dupAckLosses;
  tlpsSent += o.tlpsSent;
  tlpLossRepairs += o.tlpLossRepairs;
  fastRecoveries += o.fastRecoveries;
  retransmissionTimeouts += o.retransmissionTimeouts;
  retransmittedSegments += o.retransmittedSegments;
  spuriousRtos += o.spuriousRtos;
  timestampUndos += o.timestampUndos;
  maxReoWndMult = std::max(maxReoWndMult, o.maxReoWndMult);
  return *this;
}

ns3::TypeId LinuxTcpSocket::GetTypeId() {
  using namespace ns3;
  static TypeId tid =
      TypeId("tunnelsim::LinuxTcpSocket")
          .SetParent<TcpSocketBase>()
          .SetGroupName("Internet")
          .AddConstructor<LinuxTcpSocket>()
          .AddAttribute("RackEnabled", "RACK-TLP loss detection instead of dupthresh",
                        BooleanValue(true), MakeBooleanAccessor(&LinuxTcpSocket::m_rackEnabled),
                        MakeBooleanChecker())
          .AddAttribute("TlpEnabled", "Tail loss probes (RFC 8985 section 7)", BooleanValue(true),
                        MakeBooleanAccessor(&LinuxTcpSocket::m_tlpEnabled), MakeBooleanChecker())
          .AddAttribute("DsackEnabled", "Generate D-SACK blocks for duplicate segments",
                        BooleanValue(true), MakeBooleanAccessor(&LinuxTcpSocket::m_dsackEnabled),
                        MakeBooleanChecker())
          .AddAttribute("UndoEnabled", "Undo cwnd reductions D-SACKs prove spurious",
                        BooleanValue(true), MakeBooleanAccessor(&LinuxTcpSocket::m_undoEnabled),
                        MakeBooleanChecker())
          .AddAttribute("Frto", "F-RTO after a retransmission timeout (Linux tcp_frto=2)",
                        BooleanValue(true), MakeBooleanAccessor(&LinuxTcpSocket::m_frtoEnabled),
                        MakeBooleanChecker())
          .AddAttribute("TimestampUndo",
                        "Undo when an ACK echoes a timestamp older than the first "
                        "retransmission (Eifel, Linux tcp_packet_delayed)",
                        BooleanValue(true),
                        MakeBooleanAccessor(&LinuxTcpSocket::m_timestampUndoEnabled),
                        MakeBooleanChecker())
          .AddAttribute("LinuxRto",
                        "RTO = SRTT + max(4 RTTVAR, MinRto) as Linux, instead of ns-3's "
                        "max(SRTT + 4 RTTVAR, MinRto)",
                        BooleanValue(true), MakeBooleanAccessor(&LinuxTcpSocket::m_linuxRto),
                        MakeBooleanChecker())
          .AddAttribute("QuickAckSegments", "Segments ACKed at once at connection start",
                        UintegerValue(16),
                        MakeUintegerAccessor(&LinuxTcpSocket::m_quickAckSegments),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("MaxAckDelay", "WCDelAckT added to a one-segment probe timeout",
                        TimeValue(MilliSeconds(200)),
                        MakeTimeAccessor(&LinuxTcpSocket::m_maxAckDelay), MakeTimeChecker())
          .AddTraceSource("SpuriousRetransmissions", "Retransmissions proven spurious",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_spuriousRetransmissions),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("UndoneCwndReductions", "Cwnd reductions undone",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_undoneCwndReductions),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("DsacksReceived", "ACKs carrying a D-SACK block",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_dsacksReceived),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("DsacksSent", "ACKs sent with a D-SACK block",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_dsacksSent),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("RackLosses", "Segments marked lost by RACK",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_rackLosses),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("DupAckLosses", "Segments retransmitted by dupthresh recovery",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_dupAckLosses),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("TlpsSent", "Tail loss probes sent",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_tlpsSent),
                          "ns3::TracedValueCallback::Uint64")
          .AddTraceSource("SpuriousRtos", "Retransmission timeouts proven spurious",
                          MakeTraceSourceAccessor(&LinuxTcpSocket::m_spuriousRtos),
                          "ns3::TracedValueCallback::Uint64");
  return tid;
}

LinuxTcpSocket::LinuxTcpSocket() = default;

LinuxTcpSocket::LinuxTcpSocket(const LinuxTcpSocket &other)
    : TcpSocketBase(other), m_rackEnabled(other.m_rackEnabled), m_tlpEnabled(other.m_tlpEnabled),
      m_dsackEnabled(other.m_dsackEnabled), m_undoEnabled(other.m_undoEnabled),
      m_frtoEnabled(other.m_frtoEnabled), m_timestampUndoEnabled(other.m_timestampUndoEnabled),
      m_linuxRto(other.m_linuxRto), m_quickAckSegments(other.m_quickAckSegments),
      m_maxAckDelay(other.m_maxAckDelay), m_registry(other.m_registry) {}

ns3::TypeId LinuxTcpSocket::GetInstanceTypeId() const { return GetTypeId(); }

ns3::Ptr<ns3::TcpSocketBase> LinuxTcpSocket::Fork() {
  auto forked = ns3::CopyObject<LinuxTcpSocket>(this);
  if (m_registry) m_registry->push_back(forked);
  return forked;
}

void LinuxTcpSocket::SetRegistry(std::shared_ptr<std::vector<ns3::Ptr<LinuxTcpSocket>>> registry) {
  m_registry = std::move(registry);
}

void LinuxTcpSocket::DoDispose() {
  m_reorderEvent.Cancel();
  m_probeEvent.Cancel();
  m_registry.reset();
  TcpSocketBase::DoDispose();
}

LinuxTcpMetrics LinuxTcpSocket::GetMetrics() const {
  LinuxTcpMetrics m;
  m.spuriousRetransmissions = m_spuriousRetransmissions;
  m.undoneCwndReductions = m_undoneCwndReductions;
  m.dsacksReceived = m_dsacksReceived;
  m.dsacksSent = m_dsacksSent;
  m.rackLosses = m_rackLosses;
  m.dupAckLosses = m_dupAckLosses;
  m.tlpsSent = m_tlpsSent;
  m.tlpLossRepairs = m_tlpLossRepairs;
  m.fastRecoveries = m_fastRecoveries;
  m.retransmissionTimeouts = m_retransmissionTimeouts;
  m.retransmittedSegments = m_retransmittedSegments;
  m.maxReoWndMult = m_maxReoWndMult;
  m.spuriousRtos = m_spuriousRtos;
  m.timestampUndos = m_timestampUndos;
  return m;
}

bool LinuxTcpSocket::InRecovery() const {
  return m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY ||
         m_tcb->m_congState == ns3::TcpSocketState::CA_LOSS;
}

void LinuxTcpSocket::ApplyLossDetectionMode() {
  m_rack.SetSegmentSize(m_tcb->m_segmentSize);
  m_rack.SetMaxAckDelay(m_maxAckDelay.GetNanoSeconds());
  if (!m_rackEnabled || m_retxThresh == kNeverDupThresh) return;
  m_retxThresh = kNeverDupThresh;
  m_txBuffer->SetDupAckThresh(kNeverDupThresh);
}

void LinuxTcpSocket::ReceivedAck(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header) {
  tcp::AckInput ack;
  ack.cumAck = header.GetAckNumber().GetValue();
  if (auto option = header.GetOption(ns3::TcpOption::SACK)) {
    auto sack = ns3::DynamicCast<const ns3::TcpOptionSack>(option);
    if (sack) ack.sackBlocks = ToRanges(sack->GetSackList());
  }
  if (m_timestampUndoEnabled && m_timestampEnabled) {
    if (auto option = header.GetOption(ns3::TcpOption::TS)) {
      auto ts = ns3::DynamicCast<const ns3::TcpOptionTS>(option);
      if (ts) ack.tsEcr = ts->GetEcho();
    }
  }
  m_ackInFlight = std::move(ack);
  TcpSocketBase::ReceivedAck(packet, header);
  m_ackInFlight.reset();
}

void LinuxTcpSocket::ProcessAck(const ns3::SequenceNumber32 &ackNumber, bool scoreboardUpdated,
                                uint32_t currentDelivered,
                                const ns3::SequenceNumber32 &oldHeadSequence) {
  ApplyLossDetectionMode();
  const auto stateBefore = m_tcb->m_congState.Get();
  TcpSocketBase::ProcessAck(ackNumber, scoreboardUpdated, currentDelivered, oldHeadSequence);
  if (!m_rackEnabled) {
    if (stateBefore != ns3::TcpSocketState::CA_RECOVERY &&
        m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY)
      ++m_fastRecoveries;
    return;
  }
  if (!m_ackInFlight) return;
  tcp::AckInput ack = *m_ackInFlight;
  ack.nowNs = ns3::Simulator::Now().GetNanoSeconds();
  ack.srttNs = m_rtt->GetEstimate().GetNanoSeconds();
  ack.sndNxt = m_tcb->m_highTxMark.Get().GetValue();
  ack.inRecovery = InRecovery();
  HandleOutcome(m_rack.OnAck(ack), currentDelivered);
}

void LinuxTcpSocket::HandleOutcome(const tcp::AckOutcome &outcome, uint32_t currentDelivered) {
  if (outcome.dsack) m_dsacksReceived = m_dsacksReceived + 1;
  m_maxReoWndMult = std::max(m_maxReoWndMult, m_rack.ReoWndMult());
  if (outcome.spuriousRetransmissions > 0)
    m_spuriousRetransmissions = m_spuriousRetransmissions + outcome.spuriousRetransmissions;
  if (outcome.spuriousRto) m_spuriousRtos = m_spuriousRtos + 1;
  if (outcome.undo && m_undoEnabled) {
    if (outcome.undoByTimestamp) ++m_timestampUndos;
    ApplyUndo(*outcome.undo);
  }
  HandleFrto(outcome.frto);
  if (outcome.tlpRepairedLoss) ReduceCwndAfterTlp();
  if (!outcome.newlyLost.empty()) MarkLost(outcome.newlyLost, currentDelivered);
  m_reorderEvent.Cancel();
  if (outcome.reorderTimeoutNs)
    m_reorderEvent = ns3::Simulator::Schedule(ns3::NanoSeconds(*outcome.reorderTimeoutNs),
                                              &LinuxTcpSocket::OnReorderTimer, this);
  RetransmitRackLost();
  ArmProbeTimer();
}

void LinuxTcpSocket::HandleFrto(tcp::FrtoVerdict verdict) {
  if (m_tcb->m_congState != ns3::TcpSocketState::CA_LOSS) {
    if (m_rack.FrtoActive()) m_rack.AbandonFrto();
    return;
  }
  bool conventional = verdict == tcp::FrtoVerdict::kLossConfirmed;
  if (verdict == tcp::FrtoVerdict::kSendNewData) {
    // Step 2b: ns-3's SendPendingData, run after this ACK, sends new data because only the
    // head is marked lost in its buffer. Linux sends new data only inside the receive window
    // (the presumed-lost window still occupies it); otherwise it is conventional recovery.
    const ns3::SequenceNumber32 head = m_txBuffer->HeadSequence();
    const ns3::SequenceNumber32 high = m_tcb->m_highTxMark;
    const uint32_t outstanding = high - head;
    const bool fits = m_txBuffer->SizeFromSequence(high) > 0 &&
                      uint64_t(outstanding) + m_tcb->m_cWnd.Get() <= m_rWnd.Get();
    if (!fits) {
      m_rack.AbandonFrto();
      conventional = true;
    }
  }
  // Conventional RTO recovery: every outstanding segment not SACKed is retransmitted.
  if (conventional) m_txBuffer->SetSentListLost(!m_sackEnabled);
}

void LinuxTcpSocket::MarkLost(const std::vector<tcp::SeqRange> &lost, uint32_t currentDelivered) {
  m_rackLosses = m_rackLosses + lost.size();
  const auto state = m_tcb->m_congState.Get();
  if (state == ns3::TcpSocketState::CA_RECOVERY || state == ns3::TcpSocketState::CA_LOSS) return;
  if (m_txBuffer->Size() == 0 || m_tcb->m_highTxMark.Get() <= m_txBuffer->HeadSequence()) return;
  m_probeEvent.Cancel();
  m_rack.BeginUndoEpisode({m_tcb->m_cWnd.Get(), m_tcb->m_ssThresh.Get()});
  m_fastRecoveries = m_fastRecoveries + 1;
  EnterRecovery(currentDelivered);
}

void LinuxTcpSocket::RetransmitRackLost() {
  if (m_tcb->m_congState != ns3::TcpSocketState::CA_RECOVERY) return;
  std::vector<tcp::SeqRange> pending;
  for (const auto &seg : m_rack.Segments())
    if (seg.lost) pending.push_back(seg.range);
  const uint32_t head = m_txBuffer->HeadSequence().GetValue();
  for (const auto &range : pending) {
    if (tcp::SeqLess(range.start, head)) continue;
    if (AvailableWindow() < std::min(range.Length(), m_tcb->m_segmentSize)) break;
    SendDataPacket(ns3::SequenceNumber32(range.start), range.Length(), true);
  }
}

uint32_t LinuxTcpSocket::BytesInFlight() const {
  const uint32_t stock = TcpSocketBase::BytesInFlight();
  if (!m_rackEnabled) return stock;
  // ns-3's scoreboard knows only its own (dupthresh/RTO) loss marks. A segment RACK marked
  // lost leaves the pipe (RFC 6675 SetPipe); once retransmitted it counts once, not twice.
  const uint32_t head = m_txBuffer->HeadSequence().GetValue();
  const uint32_t high = m_tcb->m_highTxMark.Get().GetValue();
  // During F-RTO the segments sent before the RTO are not marked lost in ns-3's buffer (so
  // that new data, not retransmissions, follows), but Linux counts them out of the pipe.
  const std::optional<int64_t> frtoRtoNs = m_rack.FrtoRtoTimeNs();
  uint32_t correction = 0;
  for (const auto &seg : m_rack.Segments()) {
    const bool presumedLost = frtoRtoNs && seg.xmitNs < *frtoRtoNs;
    if (seg.sacked || !(seg.lost || seg.retransmittedAfterLoss || presumedLost)) continue;
    if (tcp::SeqLess(seg.range.start, head) || !tcp::SeqLess(seg.range.start, high)) continue;
    if (m_txBuffer->IsLost(ns3::SequenceNumber32(seg.range.start))) continue;
    correction += seg.range.Length();
  }
  const uint32_t corrected = stock > correction ? stock - correction : 0;
  m_tcb->m_bytesInFlight = corrected;
  return corrected;
}

void LinuxTcpSocket::ApplyUndo(const tcp::UndoSnapshot &prior) {
  m_tcb->m_cWnd = std::max(m_tcb->m_cWnd.Get(), prior.cwnd);
  m_tcb->m_ssThresh = std::max(m_tcb->m_ssThresh.Get(), prior.ssthresh);
  m_tcb->m_cWndInfl = m_tcb->m_cWnd.Get();
  if (m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY ||
      m_tcb->m_congState == ns3::TcpSocketState::CA_LOSS) {
    m_congestionControl->CongestionStateSet(m_tcb, ns3::TcpSocketState::CA_OPEN);
    m_tcb->m_congState = ns3::TcpSocketState::CA_OPEN;
    m_recoverActive = false;
    m_dupAckCount = 0;
    m_rack.UnmarkLosses();
  }
  // Counted last: a tracer of UndoneCwndReductions sees the restored cwnd.
  m_undoneCwndReductions = m_undoneCwndReductions + 1;
}

void LinuxTcpSocket::ReduceCwndAfterTlp() {
  m_tlpLossRepairs = m_tlpLossRepairs + 1;
  const auto state = m_tcb->m_congState.Get();
  if (state != ns3::TcpSocketState::CA_OPEN && state != ns3::TcpSocketState::CA_DISORDER) return;
  m_tcb->m_ssThresh = m_congestionControl->GetSsThresh(m_tcb, BytesInFlight());
  m_tcb->m_cWnd = m_tcb->m_ssThresh.Get();
  m_tcb->m_cWndInfl = m_tcb->m_cWnd.Get();
}

void LinuxTcpSocket::OnReorderTimer() {
  if (!m_rackEnabled) return;
  auto outcome = m_rack.OnReorderTimeout(ns3::Simulator::Now().GetNanoSeconds(),
                                         m_rtt->GetEstimate().GetNanoSeconds(), InRecovery());
  HandleOutcome(outcome, 0);
  SendPendingData(m_connected);
}

void LinuxTcpSocket::ArmProbeTimer() {
  m_probeEvent.Cancel();
  if (!m_rackEnabled || !m_tlpEnabled || !m_sackEnabled) return;
  const auto state = m_tcb->m_congState.Get();
  if (state != ns3::TcpSocketState::CA_OPEN && state != ns3::TcpSocketState::CA_DISORDER) return;
  if (m_state != ns3::TcpSocket::ESTABLISHED && m_state != ns3::TcpSocket::CLOSE_WAIT) return;
  if (m_tcb->m_highTxMark.Get() <= m_txBuffer->HeadSequence()) return;
  const int64_t rtoLeft =
      m_retxEvent.IsRunning() ? ns3::Simulator::GetDelayLeft(m_retxEvent).GetNanoSeconds() : -1;
  auto pto = m_rack.ProbeTimeout(m_rtt->GetEstimate().GetNanoSeconds(), rtoLeft);
  if (!pto || (rtoLeft >= 0 && *pto >= rtoLeft)) return;
  m_probeEvent =
      ns3::Simulator::Schedule(ns3::NanoSeconds(*pto), &LinuxTcpSocket::OnProbeTimer, this);
}

void LinuxTcpSocket::OnProbeTimer() {
  const auto state = m_tcb->m_congState.Get();
  if (state != ns3::TcpSocketState::CA_OPEN && state != ns3::TcpSocketState::CA_DISORDER) return;
  const ns3::SequenceNumber32 head = m_txBuffer->HeadSequence();
  const ns3::SequenceNumber32 high = m_tcb->m_highTxMark;
  if (high <= head) return;
  bool isRetransmission = false;
  uint32_t sent = 0;
  const bool newDataFits = m_tcb->m_nextTxSequence.Get() == high &&
                           m_txBuffer->SizeFromSequence(high) > 0 &&
                           m_rWnd.Get() >= (high - head) + m_tcb->m_segmentSize;
  if (newDataFits) {
    sent = SendDataPacket(high, m_tcb->m_segmentSize, true);
    m_tcb->m_nextTxSequence += sent;
  } else {
    const ns3::SequenceNumber32 last = static_cast<uint32_t>(high - head) > m_tcb->m_segmentSize
                                           ? high - m_tcb->m_segmentSize
                                           : head;
    isRetransmission = true;
    sent = SendDataPacket(last, m_tcb->m_segmentSize, true);
  }
  if (sent == 0) return;
  m_probeEvent.Cancel();
  m_tlpsSent = m_tlpsSent + 1;
  m_rack.OnProbeSent(m_tcb->m_highTxMark.Get().GetValue(), isRetransmission);
  m_retxEvent.Cancel();
  m_retxEvent = ns3::Simulator::Schedule(m_rto, &LinuxTcpSocket::ReTxTimeout, this);
}

uint32_t LinuxTcpSocket::SendDataPacket(ns3::SequenceNumber32 seq, uint32_t maxSize, bool withAck) {
  ApplyLossDetectionMode();
  const bool retransmission = seq < m_tcb->m_highTxMark.Get();
  // Linux's CA_EVENT_TX_START: new data after the flight drained (application idle).
  if (!retransmission && m_lastDataSend && m_txBuffer->HeadSequence() == m_tcb->m_highTxMark.Get())
    if (auto cubic = ns3::DynamicCast<LinuxCubic>(m_congestionControl))
      cubic->OnTransmitAfterIdle(*m_lastDataSend);
  const uint32_t sent = TcpSocketBase::SendDataPacket(seq, maxSize, withAck);
  if (sent == 0) return sent;
  m_lastDataSend = ns3::Simulator::Now();
  if (retransmission) {
    m_retransmittedSegments = m_retransmittedSegments + 1;
    if (!m_rackEnabled && m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY)
      m_dupAckLosses = m_dupAckLosses + 1;
  }
  if (m_rackEnabled) {
    m_rack.OnTransmit({seq.GetValue(), seq.GetValue() + sent},
                      ns3::Simulator::Now().GetNanoSeconds(), retransmission);
    if (!retransmission) ArmProbeTimer();
  }
  return sent;
}

void LinuxTcpSocket::ReTxTimeout() {
  const bool outstanding =
      m_txBuffer->Size() > 0 && m_tcb->m_highTxMark.Get() > m_txBuffer->HeadSequence() &&
      m_state != ns3::TcpSocket::CLOSED && m_state != ns3::TcpSocket::TIME_WAIT;
  if (!outstanding || !m_rackEnabled) {
    if (outstanding) m_retransmissionTimeouts = m_retransmissionTimeouts + 1;
    TcpSocketBase::ReTxTimeout();
    return;
  }
  m_retransmissionTimeouts = m_retransmissionTimeouts + 1;
  m_reorderEvent.Cancel();
  m_probeEvent.Cancel();
  const auto state = m_tcb->m_congState.Get();
  if (m_undoEnabled && state != ns3::TcpSocketState::CA_RECOVERY &&
      state != ns3::TcpSocketState::CA_LOSS)
    m_rack.BeginUndoEpisode({m_tcb->m_cWnd.Get(), m_tcb->m_ssThresh.Get()});
  // Linux runs F-RTO unless the timeout interrupted a fast recovery (a repeated timeout
  // qualifies again); it needs SACK here, as the SACK-enhanced variant is what is modelled.
  const bool dataState =
      m_state == ns3::TcpSocket::ESTABLISHED || m_state == ns3::TcpSocket::CLOSE_WAIT;
  const bool frto = m_frtoEnabled && m_sackEnabled && dataState && m_dataRetrCount > 0 &&
                    state != ns3::TcpSocketState::CA_RECOVERY;
  m_rack.OnRetransmissionTimeout(ns3::Simulator::Now().GetNanoSeconds(),
                                 m_tcb->m_highTxMark.Get().GetValue(), frto);
  if (frto)
    TimeoutRetransmittingHeadOnly();
  else
    TcpSocketBase::ReTxTimeout();
}

void LinuxTcpSocket::TimeoutRetransmittingHeadOnly() {
  // TcpSocketBase::ReTxTimeout for an established connection with data outstanding, except
  // that only the head is marked lost (F-RTO step 1); the rest is marked if F-RTO decides the
  // loss was real (HandleFrto).
  --m_dataRetrCount;
  const uint32_t inFlightBeforeRto = TcpSocketBase::BytesInFlight();
  const bool headRetransmitted = m_txBuffer->IsHeadRetransmitted();
  m_dupAckCount = 0;
  m_txBuffer->MarkHeadAsLost();
  m_recover = m_tcb->m_highTxMark;
  m_recoverActive = true;
  m_rto = std::min(ns3::Time(m_rto.Get() + m_rto.Get()), ns3::Seconds(60));
  m_history.clear();
  if (m_tcb->m_congState != ns3::TcpSocketState::CA_LOSS || !headRetransmitted)
    m_tcb->m_ssThresh = m_congestionControl->GetSsThresh(m_tcb, inFlightBeforeRto);
  m_congestionControl->CwndEvent(m_tcb, ns3::TcpSocketState::CA_EVENT_LOSS);
  m_congestionControl->CongestionStateSet(m_tcb, ns3::TcpSocketState::CA_LOSS);
  m_tcb->m_congState = ns3::TcpSocketState::CA_LOSS;
  m_tcb->m_cWnd = m_tcb->m_segmentSize;
  m_tcb->m_cWndInfl = m_tcb->m_cWnd.Get();
  m_pacingTimer.Cancel();
  SendPendingData(m_connected);
}

void LinuxTcpSocket::EstimateRtt(const ns3::TcpHeader &header) {
  const uint32_t samplesBefore = m_rtt->GetNSamples();
  TcpSocketBase::EstimateRtt(header);
  if (!m_linuxRto || m_rtt->GetNSamples() == samplesBefore) return;
  // Linux (tcp_rtt_estimator/tcp_set_rto): the variance term never drops below rto_min, so
  // RTO = SRTT + max(4 RTTVAR, rto_min). ns-3 floors the sum instead, which leaves an RTO
  // barely above SRTT once a queue builds smoothly: spurious timeouts Linux does not take.
  const ns3::Time variance = std::max(m_rtt->GetVariation() * 4, m_minRto);
  m_rto = std::min(m_rtt->GetEstimate() + variance, ns3::Seconds(120));
}

int LinuxTcpSocket::Bind() {
  const int result = TcpSocketBase::Bind();
  HookReceivePath();
  return result;
}

int LinuxTcpSocket::Bind6() {
  const int result = TcpSocketBase::Bind6();
  HookReceivePath();
  return result;
}

int LinuxTcpSocket::Bind(const ns3::Address &address) {
  const int result = TcpSocketBase::Bind(address);
  HookReceivePath();
  return result;
}

void LinuxTcpSocket::CompleteFork(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header,
                                  const ns3::Address &fromAddress, const ns3::Address &toAddress) {
  TcpSocketBase::CompleteFork(packet, header, fromAddress, toAddress);
  HookReceivePath();
}

void LinuxTcpSocket::HookReceivePath() {
  if (m_endPoint != nullptr)
    m_endPoint->SetRxCallback(ns3::MakeCallback(&LinuxTcpSocket::ForwardUpNotingDuplicates,
                                                ns3::Ptr<LinuxTcpSocket>(this)));
  if (m_endPoint6 != nullptr)
    m_endPoint6->SetRxCallback(ns3::MakeCallback(&LinuxTcpSocket::ForwardUp6NotingDuplicates,
                                                 ns3::Ptr<LinuxTcpSocket>(this)));
}

void LinuxTcpSocket::ForwardUpNotingDuplicates(ns3::Ptr<ns3::Packet> packet, ns3::Ipv4Header header,
                                               uint16_t port,
                                               ns3::Ptr<ns3::Ipv4Interface> incomingInterface) {
  NoteDuplicateSegment(packet);
  ForwardUp(packet, header, port, incomingInterface);
  m_pendingDsack.reset();
}

void LinuxTcpSocket::ForwardUp6NotingDuplicates(ns3::Ptr<ns3::Packet> packet,
                                                ns3::Ipv6Header header, uint16_t port,
                                                ns3::Ptr<ns3::Ipv6Interface> incomingInterface) {
  NoteDuplicateSegment(packet);
  ForwardUp6(packet, header, port, incomingInterface);
  m_pendingDsack.reset();
}

void LinuxTcpSocket::NoteDuplicateSegment(ns3::Ptr<const ns3::Packet> packet) {
  m_pendingDsack.reset();
  if (!m_dsackEnabled || !m_sackEnabled || !m_tcb->m_rxBuffer) return;
  if (m_state != ns3::TcpSocket::ESTABLISHED && m_state != ns3::TcpSocket::FIN_WAIT_1 &&
      m_state != ns3::TcpSocket::FIN_WAIT_2 && m_state != ns3::TcpSocket::CLOSE_WAIT)
    return;
  ns3::TcpHeader header;
  const uint32_t headerSize = packet->PeekHeader(header);
  if (headerSize == 0 || packet->GetSize() <= headerSize) return;
  if (header.GetFlags() & (ns3::TcpHeader::SYN | ns3::TcpHeader::RST)) return;
  const uint32_t start = header.GetSequenceNumber().GetValue();
  const uint32_t size = packet->GetSize() - headerSize;
  m_pendingDsack =
      tcp::DuplicateRange({start, start + size}, m_tcb->m_rxBuffer->NextRxSequence().GetValue(),
                          ToRanges(m_tcb->m_rxBuffer->GetSackList()));
  if (m_pendingDsack)
    m_quickAcksLeft = std::max(m_quickAcksLeft, m_quickAckSegments); // Linux: quickack mode
}

void LinuxTcpSocket::ReceivedData(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header) {
  const uint32_t size = packet->GetSize();
  if (!m_quickAckStarted && size > 0) {
    m_quickAckStarted = true;
    m_quickAcksLeft = std::max(m_quickAcksLeft, m_quickAckSegments);
  }
  if (m_quickAcksLeft > 0 && size > 0) {
    --m_quickAcksLeft;
    const uint32_t saved = m_delAckMaxCount;
    m_delAckMaxCount = 1;
    TcpSocketBase::ReceivedData(packet, header);
    m_delAckMaxCount = saved;
  } else {
    TcpSocketBase::ReceivedData(packet, header);
  }
}

void LinuxTcpSocket::SendEmptyPacket(uint8_t flags) {
  if (flags != ns3::TcpHeader::ACK || !m_pendingDsack ||
      (m_endPoint == nullptr && m_endPoint6 == nullptr)) {
    TcpSocketBase::SendEmptyPacket(flags);
    return;
  }
  SendDsackAck();
}

void LinuxTcpSocket::SendDsackAck() {
  ns3::Ptr<ns3::Packet> packet = ns3::Create<ns3::Packet>();
  ns3::TcpHeader header;
  ns3::SequenceNumber32 seq = m_tcb->m_nextTxSequence;
  if (m_state == FIN_WAIT_1 || m_state == LAST_ACK || m_state == CLOSING) ++seq;
  AddSocketTags(packet);
  header.SetFlags(ns3::TcpHeader::ACK);
  header.SetSequenceNumber(seq);
  header.SetAckNumber(m_tcb->m_rxBuffer->NextRxSequence());
  if (m_endPoint != nullptr) {
    header.SetSourcePort(m_endPoint->GetLocalPort());
    header.SetDestinationPort(m_endPoint->GetPeerPort());
  } else {
    header.SetSourcePort(m_endPoint6->GetLocalPort());
    header.SetDestinationPort(m_endPoint6->GetPeerPort());
  }
  if (m_timestampEnabled) AddOptionTimestamp(header);
  header.SetWindowSize(AdvertisedWindowSize());

  m_delAckEvent.Cancel();
  m_delAckCount = 0;
  if (m_highTxAck < header.GetAckNumber()) m_highTxAck = header.GetAckNumber();

  const uint32_t room = header.GetMaxOptionLength() - header.GetOptionLength();
  const size_t maxBlocks = room >= 10 ? (room - 2) / 8 : 0;
  auto blocks =
      tcp::BlocksWithDsack(m_pendingDsack, ToRanges(m_tcb->m_rxBuffer->GetSackList()), maxBlocks);
  auto option = ns3::CreateObject<ns3::TcpOptionSack>();
  for (const auto &block : blocks)
    option->AddSackBlock({ns3::SequenceNumber32(block.start), ns3::SequenceNumber32(block.end)});
  header.AppendOption(option);
  m_pendingDsack.reset();
  m_dsacksSent = m_dsacksSent + 1;

  m_txTrace(packet, header, this);
  if (m_endPoint != nullptr)
    m_tcp->SendPacket(packet, header, m_endPoint->GetLocalAddress(), m_endPoint->GetPeerAddress(),
                      m_boundnetdevice);
  else
    m_tcp->SendPacket(packet, header, m_endPoint6->GetLocalAddress(), m_endPoint6->GetPeerAddress(),
                      m_boundnetdevice);
}

} // namespace tunnelsim

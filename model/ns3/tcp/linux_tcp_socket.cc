#include "ns3/tcp/linux_tcp_socket.h"

#include "ns3/tcp/cwnd_gate.h"
#include "ns3/tcp/linux_cubic.h"
#include "ns3/tcp/tx_buffer_scan.h"
#include "tcp/dsack.h"
#include "tcp/ts_recent.h"

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
          .AddAttribute("RackRttFromLastDelivered",
                        "RACK.rtt from the last segment each ACK delivers, as Linux's "
                        "tcp_rack_advance, instead of only the most recently sent (RFC 8985)",
                        BooleanValue(true),
                        MakeBooleanAccessor(&LinuxTcpSocket::m_rackRttFromLastDelivered),
                        MakeBooleanChecker())
          .AddAttribute("QuickAckSegments", "Segments ACKed at once at connection start",
                        UintegerValue(16),
                        MakeUintegerAccessor(&LinuxTcpSocket::m_quickAckSegments),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("MaxAckDelay", "WCDelAckT added to a one-segment probe timeout",
                        TimeValue(MilliSeconds(200)),
                        MakeTimeAccessor(&LinuxTcpSocket::m_maxAckDelay), MakeTimeChecker())
          .AddAttribute("LinuxTsRecent",
                        "Echo the TSval of any acceptable segment starting at or before the "
                        "last ACK sent (RFC 7323 section 4.3, Linux), not only in-order ones",
                        BooleanValue(true), MakeBooleanAccessor(&LinuxTcpSocket::m_linuxTsRecent),
                        MakeBooleanChecker())
          .AddAttribute("ReceiveBufferMax",
                        "Largest receive window autotuning may offer, bytes (Linux tcp_rmem[2] "
                        "in payload bytes); 0 keeps the fixed RcvBufSize",
                        UintegerValue(0), MakeUintegerAccessor(&LinuxTcpSocket::m_receiveBufferMax),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("InitialReceiveWindow",
                        "Receive window before autotuning grows it, bytes (Linux: half of "
                        "tcp_rmem[1])",
                        UintegerValue(65536),
                        MakeUintegerAccessor(&LinuxTcpSocket::m_initialReceiveWindow),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("SendBufferMax",
                        "Largest send buffer autotuning may use, bytes (Linux tcp_wmem[2] in "
                        "payload bytes); 0 keeps the fixed SndBufSize",
                        UintegerValue(0), MakeUintegerAccessor(&LinuxTcpSocket::m_sendBufferMax),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("LocalQueueLimit",
                        "TCP small queues: new data waits while the local device's queue holds "
                        "this many bytes or is full (Linux tcp_limit_output_bytes, 6.1: 1 MiB); "
                        "0 hands every segment down, as ns-3 does",
                        UintegerValue(1048576),
                        MakeUintegerAccessor(&LinuxTcpSocket::m_localQueueLimit),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("VerifyNextSeg",
                        "Check every segment the walk-free send path sends against "
                        "TcpTxBuffer::NextSeg (tests)",
                        BooleanValue(false), MakeBooleanAccessor(&LinuxTcpSocket::m_verifyNextSeg),
                        MakeBooleanChecker())
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
      m_linuxRto(other.m_linuxRto), m_rackRttFromLastDelivered(other.m_rackRttFromLastDelivered),
      m_quickAckSegments(other.m_quickAckSegments), m_maxAckDelay(other.m_maxAckDelay),
      m_linuxTsRecent(other.m_linuxTsRecent), m_receiveBufferMax(other.m_receiveBufferMax),
      m_initialReceiveWindow(other.m_initialReceiveWindow), m_sendBufferMax(other.m_sendBufferMax),
      m_localQueueLimit(other.m_localQueueLimit), m_verifyNextSeg(other.m_verifyNextSeg),
      m_registry(other.m_registry) {}

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
  m_localQueueWake.Cancel();
  if (m_localQueueHooked && m_localQueue)
    m_localQueue->TraceDisconnectWithoutContext(
        "Dequeue", ns3::MakeCallback(&LinuxTcpSocket::OnLocalQueueDequeue, this));
  m_localQueueHooked = false;
  m_localQueue = nullptr;
  m_registry.reset();
  m_gate = nullptr;
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
  m_rack.SetRttFromLastDelivered(m_rackRttFromLastDelivered);
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
  m_ackPayload = packet->GetSize();
  TcpSocketBase::ReceivedAck(packet, header);
  m_ackInFlight.reset();
}

void LinuxTcpSocket::ProcessAck(const ns3::SequenceNumber32 &ackNumber, bool scoreboardUpdated,
                                uint32_t currentDelivered,
                                const ns3::SequenceNumber32 &oldHeadSequence) {
  ApplyLossDetectionMode();
  if (!m_gateResolved) {
    m_gate = ns3::DynamicCast<CwndGate>(m_congestionControl);
    m_gateResolved = true;
  }
  // Linux's cong_avoid returns at once unless the flow is cwnd-limited.
  if (m_gate) m_gate->SetGrowthAllowed(IsCwndLimited());
  const auto stateBefore = m_tcb->m_congState.Get();
  TcpSocketBase::ProcessAck(ackNumber, scoreboardUpdated, currentDelivered, oldHeadSequence);
  if (!m_rackEnabled) {
    if (stateBefore != ns3::TcpSocketState::CA_RECOVERY &&
        m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY)
      ++m_fastRecoveries;
  } else if (m_ackInFlight) {
    tcp::AckInput ack = *m_ackInFlight;
    ack.nowNs = ns3::Simulator::Now().GetNanoSeconds();
    ack.srttNs = m_rtt->GetEstimate().GetNanoSeconds();
    ack.sndNxt = m_tcb->m_highTxMark.Get().GetValue();
    ack.inRecovery = InRecovery();
    const tcp::AckOutcome outcome = MutableRack().OnAck(ack);
    HandleOutcome(outcome, currentDelivered);
    // Linux's CUBIC takes HyStart's samples from the raw per-ACK RTT; ns-3 passes the SRTT.
    if (outcome.caRttNs)
      if (auto cubic = ns3::DynamicCast<LinuxCubic>(CongestionOps()))
        cubic->OnRawRttSample(m_tcb, *outcome.caRttNs);
  }
  GrowSendBuffer();
  // TcpSocketBase::ReceivedAck runs SendPendingData next, after only clearing a flag sending
  // does not read, a congestion control's CongControl (none of ours has one) and storing a
  // piggybacked payload: with neither of the last two, the new data it would send goes now,
  // without its walk of the sent list per segment; it then continues from where this stops.
  if (m_ackInFlight && m_ackPayload == 0 && !m_congestionControl->HasCongControl()) {
    SendNewDataWithoutWalk(m_connected);
  }
}

bool LinuxTcpSocket::IsCwndLimited() const {
  const uint32_t segment = std::max<uint32_t>(m_tcb->m_segmentSize, 1);
  const uint32_t cwnd = m_tcb->m_cWnd.Get();
  return m_cwndLimit.IsCwndLimited(cwnd / segment, cwnd < m_tcb->m_ssThresh.Get());
}

uint32_t LinuxTcpSocket::ReceiveWindowLimit() const {
  return m_tcb->m_rxBuffer ? m_tcb->m_rxBuffer->MaxBufferSize() : 0;
}

uint32_t LinuxTcpSocket::SendBufferLimit() const { return m_txBuffer->MaxBufferSize(); }

ns3::Ptr<ns3::TcpCongestionOps> LinuxTcpSocket::CongestionOps() const {
  if (auto gate = ns3::DynamicCast<CwndGate>(m_congestionControl)) return gate->Inner();
  return m_congestionControl;
}

void LinuxTcpSocket::StartAutotuning() {
  if (m_receiveBufferMax > 0 && m_tcb->m_rxBuffer) {
    if (!m_rcvTuner)
      m_rcvTuner.emplace(m_tcb->m_segmentSize, m_initialReceiveWindow, m_receiveBufferMax);
    // Only the SYN's window scale was computed from the maximum (Linux: from tcp_rmem[2]).
    if (m_tcb->m_rxBuffer->Size() == 0) m_tcb->m_rxBuffer->SetMaxBufferSize(m_rcvTuner->Window());
  }
  if (m_sendBufferMax > 0 && m_txBuffer->Size() == 0)
    m_txBuffer->SetMaxBufferSize(
        tcp::SendBufferTarget(m_tcb->m_cWnd.Get(), m_tcb->m_segmentSize, m_sendBufferMax));
}

void LinuxTcpSocket::GrowSendBuffer() {
  if (m_sendBufferMax == 0) return;
  // tcp_should_expand_sndbuf: not while the congestion window is full.
  if (m_tcb->m_bytesInFlight.Get() >= m_tcb->m_cWnd.Get()) return;
  const uint32_t target =
      tcp::SendBufferTarget(m_tcb->m_cWnd.Get(), m_tcb->m_segmentSize, m_sendBufferMax);
  if (target <= m_txBuffer->MaxBufferSize()) return;
  m_txBuffer->SetMaxBufferSize(target);
  NotifySend(GetTxAvailable()); // Linux: sk_write_space
}

void LinuxTcpSocket::DoForwardUp(ns3::Ptr<ns3::Packet> packet, const ns3::Address &fromAddress,
                                 const ns3::Address &toAddress) {
  if (m_timestampEnabled && (m_linuxTsRecent || m_rcvTuner)) InspectArrival(packet);
  if (m_state == ns3::TcpSocket::SYN_SENT) ApplyPeerMssOfSynAck(packet);
  TcpSocketBase::DoForwardUp(packet, fromAddress, toAddress);
}

void LinuxTcpSocket::InspectArrival(ns3::Ptr<const ns3::Packet> packet) {
  if (m_state != ns3::TcpSocket::ESTABLISHED && m_state != ns3::TcpSocket::FIN_WAIT_1 &&
      m_state != ns3::TcpSocket::FIN_WAIT_2 && m_state != ns3::TcpSocket::CLOSE_WAIT &&
      m_state != ns3::TcpSocket::CLOSING && m_state != ns3::TcpSocket::LAST_ACK)
    return;
  if (!m_tcb->m_rxBuffer) return;
  ns3::TcpHeader header;
  const uint32_t headerSize = packet->PeekHeader(header);
  if (headerSize == 0) return;
  const uint8_t flags = header.GetFlags();
  if ((flags & (ns3::TcpHeader::SYN | ns3::TcpHeader::RST)) || !(flags & ns3::TcpHeader::ACK))
    return;
  auto ts = ns3::DynamicCast<const ns3::TcpOptionTS>(header.GetOption(ns3::TcpOption::TS));
  if (!ts) return;
  const uint32_t length = packet->GetSize() - headerSize;
  if (m_linuxTsRecent) {
    tcp::TsRecentInput in;
    in.seq = header.GetSequenceNumber().GetValue();
    in.length = length;
    in.rcvWup = m_highTxAck.GetValue();
    in.rcvNxt = m_tcb->m_rxBuffer->NextRxSequence().GetValue();
    in.rcvWindow = m_tcb->m_rxBuffer->MaxRxSequence() - m_tcb->m_rxBuffer->NextRxSequence();
    in.tsVal = ts->GetTimestamp();
    in.tsRecent = m_timestampToEcho;
    // TcpSocketBase then stores it again only for an in-order segment, with the same value.
    if (tcp::ShouldStoreTsRecent(in)) m_timestampToEcho = in.tsVal;
  }
  if (!m_rcvTuner) return;
  MeasureReceiveMss(length, headerSize);
  // Linux tcp_rcv_rtt_measure_ts: full-sized data echoing one of our timestamps.
  if (length >= m_rcvMss && ts->GetEcho() != 0)
    m_rcvTuner->OnRttSample(
        ns3::TcpOptionTS::ElapsedTimeFromTsValue(ts->GetEcho()).GetNanoSeconds());
}

void LinuxTcpSocket::MeasureReceiveMss(uint32_t payload, uint32_t headerSize) {
  // The peer's segments are full-sized at this socket's own MSS until they are not: after an
  // ICMP-lowered MSS at the sender, two equal segments in a row of at least 536 bytes (with a
  // bare 20-byte header) set the estimate, and a larger one raises it again (up to our MSS).
  constexpr uint32_t kDefaultMssWithHeader = 536 + 20;
  if (m_rcvMss == 0 || payload >= m_rcvMss) {
    m_rcvMss = m_rcvMss == 0 ? m_tcb->m_segmentSize : std::min(payload, m_tcb->m_segmentSize);
    return;
  }
  if (payload + headerSize < kDefaultMssWithHeader) return;
  const uint32_t previous = m_lastSegSize;
  m_lastSegSize = payload;
  if (payload == previous) m_rcvMss = payload;
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
  if (!outcome.newlyLost.empty()) {
    m_rackLossMarksPossible = true;
    MarkLost(outcome.newlyLost, currentDelivered);
  }
  m_reorderEvent.Cancel();
  if (outcome.reorderTimeoutNs)
    m_reorderEvent = ns3::Simulator::Schedule(ns3::NanoSeconds(*outcome.reorderTimeoutNs),
                                              &LinuxTcpSocket::OnReorderTimer, this);
  RetransmitRackLost();
  ArmProbeTimer();
}

void LinuxTcpSocket::HandleFrto(tcp::FrtoVerdict verdict) {
  if (m_tcb->m_congState != ns3::TcpSocketState::CA_LOSS) {
    if (m_rack.FrtoActive()) MutableRack().AbandonFrto();
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
      MutableRack().AbandonFrto();
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
  MutableRack().BeginUndoEpisode({m_tcb->m_cWnd.Get(), m_tcb->m_ssThresh.Get()});
  m_fastRecoveries = m_fastRecoveries + 1;
  EnterRecovery(currentDelivered);
}

void LinuxTcpSocket::RetransmitRackLost() {
  const auto state = m_tcb->m_congState.Get();
  if (state != ns3::TcpSocketState::CA_LOSS) m_pmtuLossRecovery = false;
  // Outside fast recovery, only the loss state an MTU reduction entered sends RACK's marks.
  if (state != ns3::TcpSocketState::CA_RECOVERY &&
      !(state == ns3::TcpSocketState::CA_LOSS && m_pmtuLossRecovery))
    return;
  std::vector<tcp::SeqRange> pending;
  for (const auto &seg : m_rack.Segments())
    if (seg.lost) pending.push_back(seg.range);
  const uint32_t head = m_txBuffer->HeadSequence().GetValue();
  for (const auto &range : pending) {
    if (tcp::SeqLess(range.start, head)) continue;
    if (SendRoom() < std::min(range.Length(), m_tcb->m_segmentSize)) break;
    // A range sent before ICMP lowered the MSS goes again in MSS-sized pieces, as Linux's
    // tcp_retransmit_skb fragments it (linux_tcp_pmtu.cc); otherwise this is one segment.
    for (uint32_t done = 0; done < range.Length();) {
      const uint32_t piece = std::min(range.Length() - done, m_tcb->m_segmentSize);
      const uint32_t sent = SendDataPacket(ns3::SequenceNumber32(range.start + done), piece, true);
      if (sent == 0) break;
      done += sent;
    }
  }
}

uint32_t LinuxTcpSocket::AvailableWindow() const {
  const uint32_t room = SendRoom();
  // TCP small queues: the data waits in the socket until the local queue drains (a dequeue
  // from it sends again, OnLocalQueueDequeue).
  if (room > 0 && LocalQueueFull()) return 0;
  // SendPendingData asks NextSeg (a walk of the whole sent list) whenever this is above zero,
  // and then sends nothing if it is below one segment while more new data than that waits
  // (its silly-window rule): most calls on a window-limited flow. When the next segment is
  // known to be new data, that case answers 0, so SendPendingData (and Send) stop before the
  // walk, having sent nothing and asked the application for nothing either way.
  // Likewise when no new data waits: NextSeg then finds nothing (its rules 2 to 4 fail), and
  // SendPendingData stops after the walk (on every ACK of a flow the application or the send
  // buffer limits). Send calls this only after adding data, so it still schedules the send.
  if (room == 0 || !NextSegmentIsNewData()) return room;
  const uint32_t unsent = m_txBuffer->SizeFromSequence(tcp::FirstUnsentSequence(*m_txBuffer));
  if (unsent == 0) return 0;
  if (room >= m_tcb->m_segmentSize) return room;
  return unsent > room ? 0 : room;
}

bool LinuxTcpSocket::NextSegmentIsNewData() const {
  // NextSeg names a retransmission only by its rule 1 (a segment ns-3 marked lost) or rule 3
  // (an unSACKed one, in SACK recovery only); with neither possible it names new data or none.
  const bool rule3 = m_sackEnabled && m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY;
  return m_txBuffer->GetLost() == 0 && !rule3;
}

uint32_t LinuxTcpSocket::SendRoom() const {
  const uint32_t inflight = BytesInFlight();
  const uint32_t window = std::min(m_rWnd.Get(), m_tcb->m_cWnd.Get());
  const uint32_t available = inflight > window ? 0 : window - inflight;
  // The peer's window bounds sequence space: new data may not go beyond SND.UNA + RCV.WND
  // (Linux tcp_snd_wnd_test). TcpSocketBase subtracts the pipe instead, which RACK's loss
  // marks make smaller than the data outstanding; it then offers room that SendPendingData
  // cuts to a zero-byte segment against the window, and loops on it forever.
  const uint32_t outstanding = m_tcb->m_highTxMark.Get() - m_txBuffer->HeadSequence();
  const uint32_t windowRoom = outstanding >= m_rWnd.Get() ? 0 : m_rWnd.Get() - outstanding;
  if (windowRoom >= available) return available;
  ns3::SequenceNumber32 next, nextHigh;
  const bool rule3 = m_sackEnabled && m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY;
  // NextSeg walks ns-3's whole sent list (half of a 100 Mbit/s run's CPU): skip it when it
  // cannot name a retransmission.
  if (NextSegmentIsNewData()) return windowRoom;
  if (m_txBuffer->NextSeg(&next, &nextHigh, rule3) && next < m_tcb->m_highTxMark.Get())
    return available; // a retransmission, inside the window already
  return windowRoom;
}

uint32_t LinuxTcpSocket::BytesInFlight() const {
  const uint32_t stock = TcpSocketBase::BytesInFlight();
  if (!m_rackEnabled) return stock;
  const uint32_t head = m_txBuffer->HeadSequence().GetValue();
  const uint32_t high = m_tcb->m_highTxMark.Get().GetValue();
  // SendPendingData asks several times per segment sent; each answer walks the scoreboard.
  // Everything the answer depends on is in the key: RACK's scoreboard by its version, ns-3's
  // by its counters (a SACK, loss mark, retransmission or cumulative ACK changes one of them;
  // a retransmission also changes RACK's version).
  const PipeKey key{m_rackVersion,
                    stock,
                    head,
                    high,
                    m_txBuffer->GetLost(),
                    m_txBuffer->GetSacked(),
                    m_txBuffer->GetRetransmitsCount()};
  if (!(m_pipeCache && m_pipeCache->key == key)) m_pipeCache = PipeCache{key, CorrectedPipe(stock)};
  m_tcb->m_bytesInFlight = m_pipeCache->pipe;
  return m_pipeCache->pipe;
}

uint32_t LinuxTcpSocket::CorrectedPipe(uint32_t stock) const {
  // ns-3's scoreboard knows only its own (dupthresh/RTO) loss marks. A segment RACK marked
  // lost leaves the pipe (RFC 6675 SetPipe); once retransmitted it counts once, not twice.
  const uint32_t head = m_txBuffer->HeadSequence().GetValue();
  const uint32_t high = m_tcb->m_highTxMark.Get().GetValue();
  // During F-RTO the segments sent before the RTO are not marked lost in ns-3's buffer (so
  // that new data, not retransmissions, follows), but Linux counts them out of the pipe.
  const std::optional<int64_t> frtoRtoNs = m_rack.FrtoRtoTimeNs();
  // Most of the time no segment carries a RACK loss mark: skip the walk then.
  if (!m_rackLossMarksPossible && !frtoRtoNs) return stock;
  bool anyLossMark = false;
  std::vector<const tcp::SegmentState *> outOfPipe;
  for (const auto &seg : m_rack.Segments()) {
    anyLossMark |= seg.lost || seg.retransmittedAfterLoss;
    const bool presumedLost = frtoRtoNs && seg.xmitNs < *frtoRtoNs;
    if (seg.sacked || !(seg.lost || seg.retransmittedAfterLoss || presumedLost)) continue;
    if (tcp::SeqLess(seg.range.start, head) || !tcp::SeqLess(seg.range.start, high)) continue;
    outOfPipe.push_back(&seg);
  }
  if (!anyLossMark) m_rackLossMarksPossible = false;
  // What ns-3 marked lost itself (after a timeout, or the head at a fast recovery's start) it
  // already left out of its pipe. TcpTxBuffer::IsLost answers that per segment with a walk of
  // the sent list (quadratic in the window); IsLostForEach gives the same answers in one walk.
  std::vector<bool> ns3Lost;
  if (m_txBuffer->GetLost() > 0 && !outOfPipe.empty()) {
    std::vector<ns3::SequenceNumber32> starts;
    starts.reserve(outOfPipe.size());
    for (const tcp::SegmentState *seg : outOfPipe)
      starts.emplace_back(seg->range.start);
    ns3Lost = tcp::IsLostForEach(*m_txBuffer, starts);
  }
  uint32_t correction = 0;
  for (size_t i = 0; i < outOfPipe.size(); ++i)
    if (ns3Lost.empty() || !ns3Lost[i]) correction += outOfPipe[i]->range.Length();
  return stock > correction ? stock - correction : 0;
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
    MutableRack().UnmarkLosses();
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
  auto outcome = MutableRack().OnReorderTimeout(
      ns3::Simulator::Now().GetNanoSeconds(), m_rtt->GetEstimate().GetNanoSeconds(), InRecovery());
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
  MutableRack().OnProbeSent(m_tcb->m_highTxMark.Get().GetValue(), isRetransmission);
  m_retxEvent.Cancel();
  m_retxEvent = ns3::Simulator::Schedule(m_rto, &LinuxTcpSocket::ReTxTimeout, this);
}

uint32_t LinuxTcpSocket::SendDataPacket(ns3::SequenceNumber32 seq, uint32_t maxSize, bool withAck) {
  ApplyLossDetectionMode();
  const bool retransmission = seq < m_tcb->m_highTxMark.Get();
  // TcpSocketBase::SendPendingData can ask for a zero-byte segment when the receive window
  // is exactly full (seen with autotuned windows); TcpTxBuffer then returns no item and
  // TcpSocketBase would dereference it.
  if (maxSize == 0) return 0;
  // Linux's CA_EVENT_TX_START: new data after the flight drained (application idle).
  if (!retransmission && m_lastDataSend && m_txBuffer->HeadSequence() == m_tcb->m_highTxMark.Get())
    if (auto cubic = ns3::DynamicCast<LinuxCubic>(CongestionOps()))
      cubic->OnTransmitAfterIdle(*m_lastDataSend);
  const uint32_t sent = TcpSocketBase::SendDataPacket(seq, maxSize, withAck);
  if (sent == 0) return sent;
  m_lastDataSend = ns3::Simulator::Now();
  {
    const uint32_t segment = std::max<uint32_t>(m_tcb->m_segmentSize, 1);
    const uint32_t una = m_txBuffer->HeadSequence().GetValue();
    const uint32_t nxt = m_tcb->m_highTxMark.Get().GetValue();
    // The pipe as last computed (before this send) plus this segment: is there room left?
    const uint64_t pipe = uint64_t{m_tcb->m_bytesInFlight.Get()} + (retransmission ? 0 : sent);
    m_cwndLimit.OnTransmit(una, nxt, (nxt - una + segment - 1) / segment,
                           pipe + segment > m_tcb->m_cWnd.Get());
  }
  if (retransmission) {
    m_retransmittedSegments = m_retransmittedSegments + 1;
    if (!m_rackEnabled && m_tcb->m_congState == ns3::TcpSocketState::CA_RECOVERY)
      m_dupAckLosses = m_dupAckLosses + 1;
  }
  if (m_rackEnabled) {
    MutableRack().OnTransmit({seq.GetValue(), seq.GetValue() + sent},
                             ns3::Simulator::Now().GetNanoSeconds(), retransmission);
    if (!retransmission) ArmProbeTimer();
  }
  return sent;
}

void LinuxTcpSocket::ReTxTimeout() {
  m_pmtuLossRecovery = false; // the timeout's own recovery takes over
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
    MutableRack().BeginUndoEpisode({m_tcb->m_cWnd.Get(), m_tcb->m_ssThresh.Get()});
  // Linux runs F-RTO unless the timeout interrupted a fast recovery (a repeated timeout
  // qualifies again); it needs SACK here, as the SACK-enhanced variant is what is modelled.
  const bool dataState =
      m_state == ns3::TcpSocket::ESTABLISHED || m_state == ns3::TcpSocket::CLOSE_WAIT;
  const bool frto = m_frtoEnabled && m_sackEnabled && dataState && m_dataRetrCount > 0 &&
                    state != ns3::TcpSocketState::CA_RECOVERY;
  MutableRack().OnRetransmissionTimeout(ns3::Simulator::Now().GetNanoSeconds(),
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
  ApplyPeerMss(header);
  HookReceivePath();
}

void LinuxTcpSocket::HookReceivePath() {
  if (m_endPoint != nullptr) {
    m_endPoint->SetRxCallback(ns3::MakeCallback(&LinuxTcpSocket::ForwardUpNotingDuplicates,
                                                ns3::Ptr<LinuxTcpSocket>(this)));
    m_endPoint->SetIcmpCallback(
        ns3::MakeCallback(&LinuxTcpSocket::OnIcmp, ns3::Ptr<LinuxTcpSocket>(this)));
  }
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
  ReceivedDataLinuxAcks(packet, header);
  if (!m_rcvTuner) return;
  // Linux tcp_rcv_space_adjust, once the application has read what arrived in order.
  const uint32_t copiedSeq =
      m_tcb->m_rxBuffer->NextRxSequence().GetValue() - m_tcb->m_rxBuffer->Available();
  const uint32_t window =
      m_rcvTuner->OnDataCopied(ns3::Simulator::Now().GetNanoSeconds(), copiedSeq);
  if (window > m_tcb->m_rxBuffer->MaxBufferSize()) m_tcb->m_rxBuffer->SetMaxBufferSize(window);
}

void LinuxTcpSocket::ReceivedDataLinuxAcks(ns3::Ptr<ns3::Packet> packet,
                                           const ns3::TcpHeader &header) {
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
  if (flags & ns3::TcpHeader::SYN) {
    // The SYN's window scale comes from the largest window autotuning may offer; after it
    // the window starts small (a retransmitted SYN computes the same scale again).
    if (m_rcvTuner && m_tcb->m_rxBuffer->Size() == 0)
      m_tcb->m_rxBuffer->SetMaxBufferSize(m_receiveBufferMax);
    TcpSocketBase::SendEmptyPacket(flags);
    StartAutotuning();
    return;
  }
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

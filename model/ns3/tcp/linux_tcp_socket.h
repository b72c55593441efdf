// A TcpSocketBase that detects loss and answers reordering as Linux does: RACK-TLP instead of
// the duplicate-ACK threshold, D-SACK generation at the receiver and its use at the sender,
// D-SACK based undo of spurious cwnd reductions, and Linux's quick-ACK start. With
// RackEnabled=false it keeps ns-3's dupthresh loss detection but still counts its metrics.
#pragma once

#include "tcp/buffer_autotuning.h"
#include "tcp/cwnd_limited.h"
#include "tcp/rack_tlp.h"

#include "ns3/event-id.h"
#include "ns3/queue.h"
#include "ns3/tcp-socket-base.h"
#include "ns3/traced-value.h"

#include <memory>
#include <optional>
#include <vector>

namespace tunnelsim {

struct LinuxTcpMetrics {
  uint64_t spuriousRetransmissions = 0; // retransmissions a D-SACK proved unnecessary
  uint64_t undoneCwndReductions = 0;
  uint64_t dsacksReceived = 0;
  uint64_t dsacksSent = 0;
  uint64_t rackLosses = 0;   // segments marked lost by RACK's time rule
  uint64_t dupAckLosses = 0; // segments retransmitted by the dupthresh fast recovery
  uint64_t tlpsSent = 0;
  uint64_t tlpLossRepairs = 0;
  uint64_t fastRecoveries = 0;
  uint64_t retransmissionTimeouts = 0;
  uint64_t retransmittedSegments = 0;
  uint32_t maxReoWndMult = 1;  // widest RACK reordering window reached, in min_RTT/4 units
  uint64_t spuriousRtos = 0;   // RTOs proven spurious (F-RTO, timestamps or D-SACKs)
  uint64_t timestampUndos = 0; // cwnd reductions undone by the timestamp (Eifel) check

  // Counters add up; maxReoWndMult takes the maximum.
  LinuxTcpMetrics &operator+=(const LinuxTcpMetrics &o);
};

class CwndGate;

class LinuxTcpSocket : public ns3::TcpSocketBase {
public:
  static ns3::TypeId GetTypeId();
  LinuxTcpSocket();
  LinuxTcpSocket(const LinuxTcpSocket &other);

  ns3::TypeId GetInstanceTypeId() const override;
  int Bind() override;
  int Bind6() override;
  int Bind(const ns3::Address &address) override;
  LinuxTcpMetrics GetMetrics() const;
  const tcp::RackTlp &Rack() const { return m_rack; }
  bool RackEnabled() const { return m_rackEnabled; }
  // Sockets forked from this one (accepted connections) are appended to `registry`, so a
  // factory can sum the metrics of every connection it produced.
  void SetRegistry(std::shared_ptr<std::vector<ns3::Ptr<LinuxTcpSocket>>> registry);
  // Linux's tcp_is_cwnd_limited for the data sent so far.
  bool IsCwndLimited() const;
  // The window this receiver offers at most now (autotuned or fixed), and its receiver-side
  // RTT estimate (0 until measured or without autotuning).
  uint32_t ReceiveWindowLimit() const;
  int64_t ReceiverRttNs() const { return m_rcvTuner ? m_rcvTuner->RttNs() : 0; }
  uint32_t SendBufferLimit() const;
  // The timestamp this socket echoes (TS.Recent).
  uint32_t TimestampToEcho() const { return m_timestampToEcho; }
  // ICMP "fragmentation needed" messages that lowered the send MSS (linux_tcp_pmtu.cc).
  uint64_t PmtuReductions() const { return m_pmtuReductions; }

protected:
  ns3::Ptr<ns3::TcpSocketBase> Fork() override;
  void ReceivedAck(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header) override;
  void ProcessAck(const ns3::SequenceNumber32 &ackNumber, bool scoreboardUpdated,
                  uint32_t currentDelivered, const ns3::SequenceNumber32 &oldHeadSequence) override;
  void ReceivedData(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header) override;
  void CompleteFork(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header,
                    const ns3::Address &fromAddress, const ns3::Address &toAddress) override;
  uint32_t SendDataPacket(ns3::SequenceNumber32 seq, uint32_t maxSize, bool withAck) override;
  void SendEmptyPacket(uint8_t flags) override;
  uint32_t BytesInFlight() const override;
  uint32_t AvailableWindow() const override;
  void ReTxTimeout() override;
  void EstimateRtt(const ns3::TcpHeader &header) override;
  void DoDispose() override;
  void DoForwardUp(ns3::Ptr<ns3::Packet> packet, const ns3::Address &fromAddress,
                   const ns3::Address &toAddress) override;

private:
  bool InRecovery() const;
  // Every change to RACK's scoreboard goes through here, so the pipe cache sees it.
  tcp::RackTlp &MutableRack() {
    ++m_rackVersion;
    return m_rack;
  }
  uint32_t CorrectedPipe(uint32_t stock) const;
  // Bytes that may be sent now: the pipe's room in cwnd and rwnd, new data also bounded by the
  // peer's window (AvailableWindow without its shortcut for SendPendingData).
  uint32_t SendRoom() const;
  // Whether ns-3's NextSeg can only answer new data (or nothing) now, known without its walk.
  bool NextSegmentIsNewData() const;
  void ApplyLossDetectionMode();
  void HandleOutcome(const tcp::AckOutcome &outcome, uint32_t currentDelivered);
  void HandleFrto(tcp::FrtoVerdict verdict);
  void TimeoutRetransmittingHeadOnly();
  void MarkLost(const std::vector<tcp::SeqRange> &lost, uint32_t currentDelivered);
  void RetransmitRackLost();
  void ApplyUndo(const tcp::UndoSnapshot &prior);
  void ReduceCwndAfterTlp();
  void OnReorderTimer();
  void ArmProbeTimer();
  void OnProbeTimer();
  void SendDsackAck();
  // TcpSocketBase::ForwardUp ACKs a segment wholly below RCV.NXT before DoForwardUp runs, so
  // the endpoint's receive callback is redirected here to note the duplicate first.
  void HookReceivePath();
  // TcpSocketBase::SendPendingData for new data, without its NextSeg walk of the whole sent
  // list per segment (linux_tcp_send_path.cc). It performs exactly the iterations of
  // SendPendingData's loop that send new data and stops before any other (a retransmission, a
  // silly-window or Nagle stop, pacing, no data): SendPendingData, called next, continues
  // from there as it would have.
  void SendNewDataWithoutWalk(bool withAck);
  // Linux's TCP small queues (TSQ) at the sending host: data is handed to the local device
  // only while its queue holds less than LocalQueueLimit bytes (and has room for a packet), so
  // a sender whose own link is the bottleneck waits instead of dropping its own segments.
  bool LocalQueueFull() const;
  void ResolveLocalQueue() const;
  void OnLocalQueueDequeue(ns3::Ptr<const ns3::Packet> packet);
  void OnLocalQueueRoom();
  // The peer's MSS option and path MTU discovery (linux_tcp_pmtu.cc).
  void ApplyPeerMss(const ns3::TcpHeader &header);
  void ApplyPeerMssOfSynAck(ns3::Ptr<const ns3::Packet> packet);
  void OnIcmp(ns3::Ipv4Address source, uint8_t ttl, uint8_t type, uint8_t code, uint32_t info);
  // Whether the send MSS fell.
  bool LowerSendMss(uint32_t mss);
  // Linux's tcp_simple_retransmit, after ICMP lowered the MSS.
  void RetransmitTooBig();
  void ForwardUpNotingDuplicates(ns3::Ptr<ns3::Packet> packet, ns3::Ipv4Header header,
                                 uint16_t port, ns3::Ptr<ns3::Ipv4Interface> incomingInterface);
  void ForwardUp6NotingDuplicates(ns3::Ptr<ns3::Packet> packet, ns3::Ipv6Header header,
                                  uint16_t port, ns3::Ptr<ns3::Ipv6Interface> incomingInterface);
  void NoteDuplicateSegment(ns3::Ptr<const ns3::Packet> packet);
  // Before TcpSocketBase sees a segment: Linux's TS.Recent rule and the receiver RTT sample.
  void InspectArrival(ns3::Ptr<const ns3::Packet> packet);
  // Linux tcp_measure_rcv_mss: the receiver's estimate of the peer's send MSS.
  void MeasureReceiveMss(uint32_t payload, uint32_t headerSize);
  void StartAutotuning();
  void ReceivedDataLinuxAcks(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader &header);
  void GrowSendBuffer();
  ns3::Ptr<ns3::TcpCongestionOps> CongestionOps() const;

  // Attributes.
  bool m_rackEnabled = true;
  bool m_tlpEnabled = true;
  bool m_dsackEnabled = true;
  bool m_undoEnabled = true;
  bool m_frtoEnabled = true;
  bool m_timestampUndoEnabled = true;
  bool m_linuxRto = true;
  bool m_rackRttFromLastDelivered = true; // RackTlp RackConfig::rttFromLastDelivered
  uint32_t m_quickAckSegments = 16;
  ns3::Time m_maxAckDelay;
  bool m_linuxTsRecent = true;
  uint32_t m_receiveBufferMax = 0; // 0: the fixed RcvBufSize, no autotuning
  uint32_t m_initialReceiveWindow = 65536;
  uint32_t m_sendBufferMax = 0;         // 0: the fixed SndBufSize
  uint32_t m_localQueueLimit = 1048576; // bytes; 0: hand every segment down (ns-3's behaviour)
  bool m_verifyNextSeg = false; // tests: check SendNewDataWithoutWalk against NextSeg itself

  // TSQ state (mutable: AvailableWindow, a const query, notices the full queue).
  mutable ns3::Ptr<ns3::Queue<ns3::Packet>> m_localQueue;
  mutable bool m_localQueueResolved = false;
  mutable bool m_localQueueThrottled = false;
  mutable bool m_localQueueHooked = false;
  ns3::EventId m_localQueueWake;
  uint32_t m_ackPayload = 0; // payload bytes of the ACK ReceivedAck is processing

  tcp::RackTlp m_rack; // changed only through MutableRack()
  uint64_t m_rackVersion = 0;
  // BytesInFlight's last answer and what it was computed from.
  struct PipeKey {
    uint64_t rackVersion;
    uint32_t stock, head, high, lost, sacked, retransmitted;
    bool operator==(const PipeKey &o) const {
      return rackVersion == o.rackVersion && stock == o.stock && head == o.head && high == o.high &&
             lost == o.lost && sacked == o.sacked && retransmitted == o.retransmitted;
    }
  };
  struct PipeCache {
    PipeKey key;
    uint32_t pipe;
  };
  mutable std::optional<PipeCache> m_pipeCache;
  // False once a walk found no segment marked lost (or retransmitted after it) by RACK; set
  // again when RACK marks a loss (only its outcomes do, through HandleOutcome).
  mutable bool m_rackLossMarksPossible = false;
  std::shared_ptr<std::vector<ns3::Ptr<LinuxTcpSocket>>> m_registry;
  std::optional<tcp::AckInput> m_ackInFlight; // ACK being processed by ReceivedAck
  std::optional<tcp::SeqRange> m_pendingDsack;
  uint32_t m_quickAcksLeft = 0;
  bool m_quickAckStarted = false;
  ns3::EventId m_reorderEvent;
  ns3::EventId m_probeEvent;
  std::optional<ns3::Time> m_lastDataSend; // Linux's lsndtime, for CUBIC's idle restart
  tcp::CwndLimitTracker m_cwndLimit;
  ns3::Ptr<CwndGate> m_gate;
  bool m_gateResolved = false;
  std::optional<tcp::ReceiveSpaceTuner> m_rcvTuner;
  uint32_t m_rcvMss = 0;      // 0: not measured yet, this socket's own MSS stands for it
  uint32_t m_lastSegSize = 0; // Linux icsk_ack.last_seg_size, payload bytes

  ns3::TracedValue<uint64_t> m_spuriousRetransmissions{0};
  ns3::TracedValue<uint64_t> m_undoneCwndReductions{0};
  ns3::TracedValue<uint64_t> m_dsacksReceived{0};
  ns3::TracedValue<uint64_t> m_dsacksSent{0};
  ns3::TracedValue<uint64_t> m_rackLosses{0};
  ns3::TracedValue<uint64_t> m_dupAckLosses{0};
  ns3::TracedValue<uint64_t> m_tlpsSent{0};
  ns3::TracedValue<uint64_t> m_tlpLossRepairs{0};
  ns3::TracedValue<uint64_t> m_fastRecoveries{0};
  ns3::TracedValue<uint64_t> m_retransmissionTimeouts{0};
  ns3::TracedValue<uint64_t> m_retransmittedSegments{0};
  ns3::TracedValue<uint64_t> m_spuriousRtos{0};
  uint64_t m_timestampUndos = 0;
  uint32_t m_maxReoWndMult = 1;
  uint64_t m_pmtuReductions = 0;
  // CA_LOSS was entered (or continued) by RetransmitTooBig: RACK's lost ranges are sent then.
  bool m_pmtuLossRecovery = false;
};

} // namespace tunnelsim

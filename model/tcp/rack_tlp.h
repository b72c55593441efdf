// Sans-IO sender-side loss detection as Linux does it: RACK-TLP (RFC 8985) over a per-segment
// scoreboard, a reordering window adapted by D-SACKs, Linux's reordering degree, and D-SACK
// based detection and undo of spurious retransmissions. Times are nanoseconds passed in by the
// caller; no clock, no ns-3.
#pragma once

#include "tcp/seq_range.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace tunnelsim::tcp {

struct RackConfig {
  uint32_t mss = 1448;
  uint32_t dupThresh = 3;            // RFC 8985 DupThresh, also Linux's initial reordering degree
  uint32_t maxReordering = 300;      // Linux net.ipv4.tcp_max_reordering
  uint32_t reoWndPersist = 16;       // recoveries a widened window survives (RFC 8985 6.2 step 4)
  int64_t maxAckDelayNs = 200000000; // WCDelAckT of RFC 8985 7.2 for a one-segment flight
  int64_t minProbeTimeoutNs = 10000000; // Linux's floor on the PTO
};

struct SegmentState {
  SeqRange range;
  int64_t xmitNs = 0;
  bool retransmitted = false; // latest transmission was a retransmission
  bool sacked = false;
  bool lost = false;                   // marked lost by RACK, awaiting retransmission
  bool retransmittedAfterLoss = false; // retransmitted because RACK marked it lost
};

struct UndoSnapshot {
  uint32_t cwnd = 0;
  uint32_t ssthresh = 0;
};

struct AckInput {
  uint32_t cumAck = 0;
  std::vector<SeqRange> sackBlocks; // as received, D-SACK (if any) first
  int64_t nowNs = 0;
  int64_t srttNs = 0;
  uint32_t sndNxt = 0;
  bool inRecovery = false; // fast or RTO recovery
};

struct AckOutcome {
  std::vector<SeqRange> newlyLost;
  std::optional<SeqRange> dsack;
  uint32_t spuriousRetransmissions = 0;    // retransmissions this D-SACK proved unnecessary
  std::optional<UndoSnapshot> undo;        // every retransmission of the episode was spurious
  bool tlpRepairedLoss = false;            // RFC 8985 7.4: the probe retransmission fixed a loss
  std::optional<int64_t> reorderTimeoutNs; // arm the RACK reordering timer for this long
};

struct RackCounters {
  uint64_t dsacksReceived = 0;
  uint64_t spuriousRetransmissions = 0;
  uint64_t undos = 0;
  uint64_t rackLosses = 0;
  uint64_t tlpLossRepairs = 0;
};

class RackTlp {
public:
  explicit RackTlp(RackConfig config = {});
  // Segment size and delayed-ACK bound become known only once the connection is set up.
  void SetSegmentSize(uint32_t mss) { m_config.mss = mss; }
  void SetMaxAckDelay(int64_t ns) { m_config.maxAckDelayNs = ns; }

  void OnTransmit(const SeqRange &range, int64_t nowNs, bool retransmission);
  AckOutcome OnAck(const AckInput &ack);
  // The reordering timer fired: RFC 8985 6.3.
  AckOutcome OnReorderTimeout(int64_t nowNs, int64_t srttNs, bool inRecovery);
  // An RTO fired: the caller's stack now retransmits everything; RACK's pending marks go.
  void OnRetransmissionTimeout();

  // Linux tcp_init_undo: a cwnd reduction starts; remember what to restore if every
  // retransmission of this episode turns out spurious. A new episode replaces an old one
  // whose retransmissions were all D-SACKed or that retransmitted nothing; one that still
  // has unproven retransmissions is extended instead (keeping the larger snapshot), so a
  // chain of spurious cuts is undone to before the first. Linux re-arms undo_marker there
  // and can no longer undo the first cut (documented deviation).
  void BeginUndoEpisode(const UndoSnapshot &prior);
  bool UndoEpisodeActive() const { return m_undo.has_value(); }
  // Forget RACK loss marks after an undo (Linux tcp_undo_cwnd_reduction unmark_loss).
  void UnmarkLosses();

  // TLP (RFC 8985 7.2): how long after now the probe should fire, or nullopt when none is due.
  std::optional<int64_t> ProbeTimeout(int64_t srttNs, int64_t rtoRemainingNs) const;
  void OnProbeSent(uint32_t probeEndSeq, bool isRetransmission);
  bool ProbeOutstanding() const { return m_tlpEndSeq.has_value(); }

  int64_t ReorderWindowNs(int64_t srttNs, bool inRecovery) const;
  uint32_t ReoWndMult() const { return m_reoWndMult; }
  bool ReorderingSeen() const { return m_reorderingSeen; }
  uint32_t ReorderingDegree() const { return m_reordering; }
  std::optional<int64_t> MinRttNs() const { return m_minRttNs; }
  const std::deque<SegmentState> &Segments() const { return m_segments; }
  const RackCounters &Counters() const { return m_counters; }

private:
  struct UndoEpisode {
    UndoSnapshot prior;
    std::vector<SeqRange> retransmitted;
    std::vector<bool> provenSpurious;
    uint32_t outstanding = 0; // Linux undo_retrans
  };

  void UpdateRack(const SegmentState &delivered, int64_t nowNs);
  void NoteDelivery(const SegmentState &delivered);
  void ApplyDsack(const SeqRange &dsack, uint32_t cumAck, uint32_t sndNxt, AckOutcome &out);
  std::optional<int64_t> DetectLoss(int64_t nowNs, int64_t srttNs, bool inRecovery,
                                    std::vector<SeqRange> &lost);
  uint32_t SackedSegments() const;

  RackConfig m_config;
  std::deque<SegmentState> m_segments; // unacknowledged, in sequence order
  // RFC 8985 RACK state.
  int64_t m_rackXmitNs = -1;
  uint32_t m_rackEndSeq = 0;
  int64_t m_rackRttNs = 0;
  std::optional<uint32_t> m_fack; // highest end sequence delivered (SACKed or ACKed)
  bool m_reorderingSeen = false;
  uint32_t m_reoWndMult = 1;
  uint32_t m_reoWndPersist = 0;
  std::optional<uint32_t> m_dsackRound;
  bool m_wasInRecovery = false;
  std::optional<int64_t> m_minRttNs;
  uint32_t m_reordering; // Linux tp->reordering, in segments
  std::optional<UndoEpisode> m_undo;
  std::optional<uint32_t> m_tlpEndSeq;
  bool m_tlpIsRetrans = false;
  bool m_tlpAckSeen = false; // SEG.ACK reached the probe; one more ACK tells loss from D-SACK
  RackCounters m_counters;
};

} // namespace tunnelsim::tcp

// Sans-IO sender-side loss detection as Linux does it: RACK-TLP (RFC 8985) over a per-segment
// scoreboard, a reordering window adapted by D-SACKs, Linux's reordering degree, and D-SACK
// based detection and undo of spurious retransmissions. Times are nanoseconds passed in by the
// caller; no clock, no ns-3.
#pragma once

#include "tcp/frto.h"
#include "tcp/seq_range.h"
#include "tcp/windowed_min.h"

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
  int64_t minProbeTimeoutNs = 10000000;  // Linux's floor on the PTO
  int64_t minRttWindowNs = 300000000000; // Linux net.ipv4.tcp_min_rtt_wlen (300 s)
  bool frto = true;                      // Linux net.ipv4.tcp_frto (2: SACK-enhanced F-RTO)
  int64_t tsTickNs = 1000000;            // TCP timestamp clock (ns-3 and Linux: 1 ms)
  // RACK.rtt as Linux keeps it (tcp_rack_advance): the RTT of the last segment an ACK delivers,
  // newly SACKed segments first and then the cumulatively ACKed ones, each in sequence order,
  // whether or not that segment was sent after RACK.xmit_ts. After a segment that overtook
  // others (skipped a reordering hold) is SACKed, the next ACK for an earlier-sent segment
  // raises RACK.rtt back to that segment's RTT, so segments still queued behind are not judged
  // by the overtaker's short RTT. false: RFC 8985 step 2 (only the most recently sent).
  bool rttFromLastDelivered = false;
};

struct SegmentState {
  SeqRange range;
  int64_t xmitNs = 0;
  bool retransmitted = false; // retransmitted at least once (Linux TCPCB_EVER_RETRANS)
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
  // TSecr of the ACK (RFC 7323), in the sender's timestamp clock; absent without timestamps.
  std::optional<uint32_t> tsEcr;
};

struct AckOutcome {
  std::vector<SeqRange> newlyLost;
  std::optional<SeqRange> dsack;
  uint32_t spuriousRetransmissions = 0;    // retransmissions this D-SACK proved unnecessary
  std::optional<UndoSnapshot> undo;        // every retransmission of the episode was spurious
  bool tlpRepairedLoss = false;            // RFC 8985 7.4: the probe retransmission fixed a loss
  std::optional<int64_t> reorderTimeoutNs; // arm the RACK reordering timer for this long
  bool undoByTimestamp = false;            // `undo` because the ACK echoed an original (Eifel)
  bool spuriousRto = false;                // the last RTO was spurious (F-RTO or Eifel)
  FrtoVerdict frto = FrtoVerdict::kNone;   // F-RTO step taken on this ACK
  // The RTT sample Linux hands congestion control (ack_sample.rtt_us, tcp_ack_update_rtt's
  // ca_rtt): now minus the send time of the highest never-retransmitted segment newly SACKed
  // by this ACK, or without one, of the highest one it cumulatively ACKs (none when a
  // retransmission was among those). Raw, not smoothed; absent when nothing new was delivered.
  std::optional<int64_t> caRttNs;
};

struct RackCounters {
  uint64_t dsacksReceived = 0;
  uint64_t spuriousRetransmissions = 0;
  uint64_t undos = 0;
  uint64_t rackLosses = 0;
  uint64_t tlpLossRepairs = 0;
  uint64_t spuriousRtos = 0;   // RTOs proven spurious (Linux TCPSpuriousRTOs)
  uint64_t timestampUndos = 0; // undos decided by the timestamp (Eifel) check
};

class RackTlp {
public:
  explicit RackTlp(RackConfig config = {});
  // Segment size and delayed-ACK bound become known only once the connection is set up.
  void SetSegmentSize(uint32_t mss) { m_config.mss = mss; }
  void SetMaxAckDelay(int64_t ns) { m_config.maxAckDelayNs = ns; }
  void SetRttFromLastDelivered(bool on) { m_config.rttFromLastDelivered = on; }

  void OnTransmit(const SeqRange &range, int64_t nowNs, bool retransmission);
  AckOutcome OnAck(const AckInput &ack);
  // The reordering timer fired: RFC 8985 6.3.
  AckOutcome OnReorderTimeout(int64_t nowNs, int64_t srttNs, bool inRecovery);
  // An RTO fired: RACK's pending marks go. With `frto` (Linux: the RTO did not interrupt a
  // fast recovery, or it is a repeated RTO) F-RTO starts; the caller retransmits only the first
  // unacknowledged segment and follows AckOutcome::frto. Otherwise the caller retransmits
  // everything outstanding.
  void OnRetransmissionTimeout(int64_t nowNs, uint32_t sndNxt, bool frto);
  bool FrtoActive() const { return m_frto.Active(); }
  // F-RTO step 2b could not send new data: fall back to conventional RTO recovery.
  void AbandonFrto() { m_frto.Abandon(); }
  // Start of the current RTO recovery (while F-RTO runs): segments sent before it and not
  // retransmitted since are presumed lost for the pipe, as Linux marks them at the timeout.
  std::optional<int64_t> FrtoRtoTimeNs() const {
    return m_frto.Active() ? std::optional<int64_t>(m_rtoNs) : std::nullopt;
  }

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
  // Linux tcp_simple_retransmit's marking, after ICMP lowered the MSS to `mss`: every segment
  // not SACKed that is longer than `mss` was sent too big for the path and is lost, even one
  // already retransmitted. Returns how many segments it marked.
  size_t MarkLongerThanLost(uint32_t mss);

  // TLP (RFC 8985 7.2): how long after now the probe should fire, or nullopt when none is due.
  std::optional<int64_t> ProbeTimeout(int64_t srttNs, int64_t rtoRemainingNs) const;
  void OnProbeSent(uint32_t probeEndSeq, bool isRetransmission);
  bool ProbeOutstanding() const { return m_tlpEndSeq.has_value(); }

  int64_t ReorderWindowNs(int64_t srttNs, bool inRecovery) const;
  int64_t RackRttNs() const { return m_rackRttNs; }
  uint32_t ReoWndMult() const { return m_reoWndMult; }
  bool ReorderingSeen() const { return m_reorderingSeen; }
  uint32_t ReorderingDegree() const { return m_reordering; }
  // Windowed minimum RTT (Linux tcp_min_rtt over tcp_min_rtt_wlen).
  std::optional<int64_t> MinRttNs() const { return m_minRtt.Get(); }
  const std::deque<SegmentState> &Segments() const { return m_segments; }
  const RackCounters &Counters() const { return m_counters; }

private:
  struct UndoEpisode {
    UndoSnapshot prior;
    std::vector<SeqRange> retransmitted;
    std::vector<bool> provenSpurious;
    uint32_t outstanding = 0;              // Linux undo_retrans
    std::optional<int64_t> firstRetransNs; // Linux retrans_stamp
  };

  void UpdateRack(const SegmentState &delivered, int64_t nowNs);
  bool TimestampProvesSpurious(const AckInput &ack, bool cumAdvanced) const;
  void FinishUndo(AckOutcome &out);
  void NoteDelivery(const SegmentState &delivered);
  void ApplyDsack(const SeqRange &dsack, uint32_t cumAck, uint32_t sndNxt, AckOutcome &out);
  std::optional<int64_t> DetectLoss(int64_t nowNs, int64_t srttNs, bool inRecovery,
                                    std::vector<SeqRange> &lost);
  uint32_t SackedSegments() const;
  void NoteRetransmitted(uint32_t end);

  RackConfig m_config;
  std::deque<SegmentState> m_segments; // unacknowledged, in sequence order
  // Kept beside the scoreboard so no ACK walks it for them: how many of its segments are
  // SACKed, and the highest end of a segment sent more than once (reset once cumulatively
  // ACKed). Beyond that end the segments were sent once each, in sequence order, so their
  // transmission times only grow: DetectLoss stops at the first one sent after RACK's.
  uint32_t m_sackedCount = 0;
  std::optional<uint32_t> m_retransmittedEnd;
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
  WindowedMinFilter m_minRtt;
  uint32_t m_sndUna = 0;
  bool m_sndUnaKnown = false;
  Frto m_frto;
  int64_t m_rtoNs = 0;
  std::optional<uint32_t> m_rtoRecoveryPoint; // SND.NXT at the last RTO, until ACKed
  uint32_t m_reordering;                      // Linux tp->reordering, in segments
  std::optional<UndoEpisode> m_undo;
  // Retransmissions of episodes undone before their D-SACKs came (timestamps, F-RTO): a later
  // D-SACK still proves them spurious and is counted. Oldest dropped beyond a bound.
  std::deque<SeqRange> m_undoneAwaitingDsack;
  std::optional<uint32_t> m_tlpEndSeq;
  bool m_tlpIsRetrans = false;
  bool m_tlpAckSeen = false; // SEG.ACK reached the probe; one more ACK tells loss from D-SACK
  RackCounters m_counters;
};

} // namespace tunnelsim::tcp

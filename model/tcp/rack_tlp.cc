#include "tcp/rack_tlp.h"

#include "tcp/dsack.h"

#include <algorithm>

namespace tunnelsim::tcp {

namespace {

// RFC 8985 RACK_sent_after: transmission time first, sequence number breaks ties.
bool SentAfter(int64_t t1, uint32_t seq1, int64_t t2, uint32_t seq2) {
  return t1 > t2 || (t1 == t2 && SeqLess(seq2, seq1));
}

} // namespace

RackTlp::RackTlp(RackConfig config)
    : m_config(config), m_minRtt(config.minRttWindowNs), m_reordering(config.dupThresh) {}

void RackTlp::OnTransmit(const SeqRange &range, int64_t nowNs, bool retransmission) {
  if (range.Empty()) return;
  if (!m_sndUnaKnown) {
    m_sndUna = range.start;
    m_sndUnaKnown = true;
  }
  bool overlapped = false;
  // m_segments is in sequence order and disjoint: only those from the first that ends after
  // range.start can overlap (none for new data), so the search does not walk the window.
  const auto first =
      std::partition_point(m_segments.begin(), m_segments.end(), [&range](const SegmentState &seg) {
        return SeqLessEq(seg.range.end, range.start);
      });
  for (auto it = first; it != m_segments.end() && SeqLess(it->range.start, range.end); ++it) {
    SegmentState &seg = *it;
    if (!seg.range.Overlaps(range)) continue;
    overlapped = true;
    seg.xmitNs = nowNs;
    seg.retransmitted = true;
    NoteRetransmitted(seg.range.end);
    if (seg.sacked) --m_sackedCount;
    seg.sacked = false;
    if (seg.lost) {
      seg.lost = false;
      seg.retransmittedAfterLoss = true;
    }
  }
  if ((overlapped || retransmission) && m_undo) {
    m_undo->retransmitted.push_back(range);
    m_undo->provenSpurious.push_back(false);
    ++m_undo->outstanding;
    if (!m_undo->firstRetransNs) m_undo->firstRetransNs = nowNs;
  }
  uint32_t newStart = range.start;
  if (!m_segments.empty()) newStart = SeqMax(newStart, m_segments.back().range.end);
  if (SeqLess(newStart, range.end)) {
    SegmentState seg;
    seg.range = {newStart, range.end};
    seg.xmitNs = nowNs;
    seg.retransmitted = retransmission && overlapped;
    if (seg.retransmitted) NoteRetransmitted(seg.range.end);
    m_segments.push_back(seg);
  }
}

uint32_t RackTlp::SackedSegments() const { return m_sackedCount; }

void RackTlp::NoteRetransmitted(uint32_t end) {
  m_retransmittedEnd = m_retransmittedEnd ? SeqMax(*m_retransmittedEnd, end) : end;
}

void RackTlp::UpdateRack(const SegmentState &delivered, int64_t nowNs) {
  const int64_t rtt = nowNs - delivered.xmitNs;
  const std::optional<int64_t> minRtt = m_minRtt.Get();
  if (delivered.retransmitted && minRtt && rtt < *minRtt)
    return; // the ACK is for the original transmission: ambiguous, RFC 8985 step 1
  if (!delivered.retransmitted) m_minRtt.Update(rtt, nowNs);
  const bool sentAfter = m_rackXmitNs < 0 || SentAfter(delivered.xmitNs, delivered.range.end,
                                                       m_rackXmitNs, m_rackEndSeq);
  if (sentAfter || m_config.rttFromLastDelivered) m_rackRttNs = rtt;
  if (sentAfter) {
    m_rackXmitNs = delivered.xmitNs;
    m_rackEndSeq = delivered.range.end;
  }
}

void RackTlp::NoteDelivery(const SegmentState &delivered) {
  if (!m_fack || SeqLess(*m_fack, delivered.range.end)) {
    m_fack = delivered.range.end;
    return;
  }
  if (delivered.retransmitted || !SeqLess(delivered.range.end, *m_fack)) return;
  m_reorderingSeen = true;
  // Linux tcp_check_sack_reordering: the degree is how far below the forward-most delivery
  // this segment arrived, in segments.
  const uint32_t metric = *m_fack - delivered.range.start;
  const uint32_t mss = std::max<uint32_t>(m_config.mss, 1);
  const uint32_t degree = (metric + mss - 1) / mss;
  m_reordering = std::min(m_config.maxReordering, std::max(m_reordering, degree));
}

void RackTlp::ApplyDsack(const SeqRange &dsack, uint32_t cumAck, uint32_t sndNxt, AckOutcome &out) {
  ++m_counters.dsacksReceived;
  // RFC 8985 6.2 step 3: widen the window at most once per round trip.
  if (m_dsackRound && SeqLessEq(*m_dsackRound, cumAck)) m_dsackRound.reset();
  if (!m_dsackRound) {
    m_dsackRound = sndNxt;
    m_reoWndMult = std::min<uint32_t>(m_reoWndMult + 1, 255);
    m_reoWndPersist = m_config.reoWndPersist;
  }
  if (m_tlpEndSeq && m_tlpIsRetrans &&
      dsack.Overlaps({*m_tlpEndSeq - m_config.mss, *m_tlpEndSeq})) {
    m_tlpEndSeq.reset(); // the probe duplicated data that had arrived: no loss
    m_tlpAckSeen = false;
    ++out.spuriousRetransmissions;
  }
  const uint32_t provenBefore = out.spuriousRetransmissions;
  if (m_undo) {
    for (size_t i = 0; i < m_undo->retransmitted.size(); ++i) {
      if (m_undo->provenSpurious[i] || !m_undo->retransmitted[i].Overlaps(dsack)) continue;
      m_undo->provenSpurious[i] = true;
      --m_undo->outstanding;
      ++out.spuriousRetransmissions;
    }
    if (m_undo->outstanding == 0 && !m_undo->retransmitted.empty()) {
      out.undo = m_undo->prior;
      m_undo.reset();
      ++m_counters.undos;
      m_reorderingSeen = true; // the "loss" was reordering (Linux records it the same way)
    }
  }
  if (out.spuriousRetransmissions == provenBefore) {
    for (auto it = m_undoneAwaitingDsack.begin(); it != m_undoneAwaitingDsack.end(); ++it) {
      if (!it->Overlaps(dsack)) continue;
      ++out.spuriousRetransmissions;
      m_undoneAwaitingDsack.erase(it);
      break;
    }
  }
  m_counters.spuriousRetransmissions += out.spuriousRetransmissions;
}

int64_t RackTlp::ReorderWindowNs(int64_t srttNs, bool inRecovery) const {
  if (!m_reorderingSeen) {
    if (inRecovery || SackedSegments() >= m_reordering) return 0;
  }
  const std::optional<int64_t> minRtt = m_minRtt.Get();
  const int64_t base = minRtt ? *minRtt : srttNs;
  int64_t window = static_cast<int64_t>(m_reoWndMult) * (base / 4);
  if (srttNs > 0) window = std::min(window, srttNs);
  return std::max<int64_t>(window, 0);
}

std::optional<int64_t> RackTlp::DetectLoss(int64_t nowNs, int64_t srttNs, bool inRecovery,
                                           std::vector<SeqRange> &lost) {
  if (m_rackXmitNs < 0) return std::nullopt;
  const int64_t reoWnd = ReorderWindowNs(srttNs, inRecovery);
  std::optional<int64_t> timeout;
  for (auto &seg : m_segments) {
    if (!SentAfter(m_rackXmitNs, m_rackEndSeq, seg.xmitNs, seg.range.end)) {
      // Neither this segment nor any after it was sent before RACK's: stop (the rest of the
      // window, on every ACK of a clean path).
      if (!m_retransmittedEnd || SeqLessEq(*m_retransmittedEnd, seg.range.start)) break;
      continue;
    }
    if (seg.sacked || seg.lost) continue;
    const int64_t remaining = seg.xmitNs + m_rackRttNs + reoWnd - nowNs;
    if (remaining <= 0) {
      seg.lost = true;
      lost.push_back(seg.range);
      ++m_counters.rackLosses;
    } else {
      timeout = std::max(timeout.value_or(0), remaining);
    }
  }
  return timeout;
}

AckOutcome RackTlp::OnAck(const AckInput &ack) {
  AckOutcome out;
  std::vector<SeqRange> blocks = ack.sackBlocks;
  out.dsack = ReceivedDsack(ack.cumAck, blocks);
  if (out.dsack) blocks.erase(blocks.begin());

  const bool cumAdvanced = m_sndUnaKnown && SeqLess(m_sndUna, ack.cumAck);
  if (cumAdvanced) m_sndUna = ack.cumAck;

  std::vector<SegmentState> delivered;
  std::vector<SegmentState> cumAcked; // never SACKed before this ACK
  while (!m_segments.empty() && SeqLessEq(m_segments.front().range.end, ack.cumAck)) {
    if (!m_segments.front().sacked) cumAcked.push_back(m_segments.front());
    if (m_segments.front().sacked) --m_sackedCount;
    m_segments.pop_front();
  }
  if (m_retransmittedEnd && SeqLessEq(*m_retransmittedEnd, ack.cumAck)) m_retransmittedEnd.reset();
  if (!m_segments.empty() && SeqLess(m_segments.front().range.start, ack.cumAck))
    m_segments.front().range.start = ack.cumAck;
  bool newlySacked = false;
  for (const auto &block : blocks) {
    if (block.Empty()) continue;
    // The segments the block contains are consecutive, from the first starting in it.
    const auto first = std::partition_point(
        m_segments.begin(), m_segments.end(),
        [&block](const SegmentState &seg) { return SeqLess(seg.range.start, block.start); });
    for (auto it = first; it != m_segments.end() && SeqLessEq(it->range.end, block.end); ++it) {
      SegmentState &seg = *it;
      if (seg.sacked || !block.Contains(seg.range)) continue;
      seg.sacked = true;
      ++m_sackedCount;
      seg.lost = false;
      newlySacked = true;
      delivered.push_back(seg);
    }
  }
  // F-RTO's "never retransmitted data sent before high_seq was (s)acked" (Linux
  // FLAG_ORIG_SACK_ACKED): an original transmission arrived after the timeout.
  bool origDelivered = false;
  if (const std::optional<uint32_t> highSeq = m_frto.HighSeq()) {
    for (const auto *list : {&delivered, &cumAcked})
      for (const auto &seg : *list)
        origDelivered |= !seg.retransmitted && SeqLessEq(seg.range.end, *highSeq);
  }
  const auto bySequence = [](const SegmentState &a, const SegmentState &b) {
    return SeqLess(a.range.end, b.range.end);
  };
  if (m_config.rttFromLastDelivered) {
    // Linux's order: the SACK blocks are tagged before the cumulative ACK cleans the queue.
    std::sort(delivered.begin(), delivered.end(), bySequence);
    delivered.insert(delivered.end(), cumAcked.begin(), cumAcked.end());
  } else {
    delivered.insert(delivered.end(), cumAcked.begin(), cumAcked.end());
    std::sort(delivered.begin(), delivered.end(), bySequence);
  }
  // Linux's ca_rtt: newly SACKed data wins over cumulatively ACKed data; a retransmission
  // among the cumulatively ACKed segments makes that sample ambiguous (FLAG_RETRANS_DATA_ACKED).
  const SegmentState *caRttFrom = nullptr;
  for (const auto &seg : delivered)
    if (seg.sacked && !seg.retransmitted &&
        (!caRttFrom || SeqLess(caRttFrom->range.end, seg.range.end)))
      caRttFrom = &seg;
  if (!caRttFrom && !cumAcked.empty() &&
      std::none_of(cumAcked.begin(), cumAcked.end(),
                   [](const SegmentState &seg) { return seg.retransmitted; }))
    caRttFrom = &cumAcked.back();
  if (caRttFrom) out.caRttNs = ack.nowNs - caRttFrom->xmitNs;
  for (const auto &seg : delivered) {
    UpdateRack(seg, ack.nowNs);
    NoteDelivery(seg);
  }

  if (out.dsack) ApplyDsack(*out.dsack, ack.cumAck, ack.sndNxt, out);
  if (out.undo && m_rtoRecoveryPoint) out.spuriousRto = true; // every retransmission D-SACKed

  if (!out.undo && TimestampProvesSpurious(ack, cumAdvanced)) {
    out.undoByTimestamp = true;
    ++m_counters.timestampUndos;
    out.spuriousRto = m_rtoRecoveryPoint.has_value();
    // In fast recovery the original filled the hole: it was reordering (Linux checks
    // reordering on this "plain luck" undo too).
    if (!out.spuriousRto) m_reorderingSeen = true;
    FinishUndo(out);
  }
  if (m_frto.Active()) {
    if (out.undo) {
      m_frto.Abandon(); // already undone: the loss episode is over
    } else {
      FrtoAck facts;
      facts.cumAck = ack.cumAck;
      facts.sndNxt = ack.sndNxt;
      facts.cumAdvanced = cumAdvanced;
      facts.origDataDelivered = origDelivered;
      facts.newlySacked = newlySacked;
      out.frto = m_frto.OnAck(facts);
      if (out.frto == FrtoVerdict::kSpurious) {
        out.spuriousRto = true;
        if (m_undo) FinishUndo(out); // Linux undoes an F-RTO-proven timeout unconditionally
      }
    }
  }
  if (out.spuriousRto) {
    ++m_counters.spuriousRtos;
    m_rtoRecoveryPoint.reset();
  }
  if (m_rtoRecoveryPoint && SeqLessEq(*m_rtoRecoveryPoint, ack.cumAck)) m_rtoRecoveryPoint.reset();

  if (m_wasInRecovery && !ack.inRecovery && m_reoWndPersist > 0 && --m_reoWndPersist == 0)
    m_reoWndMult = 1;
  m_wasInRecovery = ack.inRecovery;

  if (m_tlpEndSeq && SeqLessEq(*m_tlpEndSeq, ack.cumAck)) {
    if (!m_tlpIsRetrans) {
      m_tlpEndSeq.reset();
    } else if (SeqLess(*m_tlpEndSeq, ack.cumAck) || m_tlpAckSeen) {
      // RFC 8985 7.4.2: no D-SACK followed, so only the probe arrived: it repaired a loss.
      m_tlpEndSeq.reset();
      m_tlpAckSeen = false;
      out.tlpRepairedLoss = true;
      ++m_counters.tlpLossRepairs;
    } else {
      m_tlpAckSeen = true;
    }
  }

  out.reorderTimeoutNs = DetectLoss(ack.nowNs, ack.srttNs, ack.inRecovery, out.newlyLost);
  return out;
}

AckOutcome RackTlp::OnReorderTimeout(int64_t nowNs, int64_t srttNs, bool inRecovery) {
  AckOutcome out;
  out.reorderTimeoutNs = DetectLoss(nowNs, srttNs, inRecovery, out.newlyLost);
  return out;
}

void RackTlp::OnRetransmissionTimeout(int64_t nowNs, uint32_t sndNxt, bool frto) {
  for (auto &seg : m_segments) {
    seg.lost = false;
    seg.retransmittedAfterLoss = false;
  }
  m_tlpEndSeq.reset();
  m_tlpAckSeen = false;
  m_rtoNs = nowNs;
  m_rtoRecoveryPoint = sndNxt;
  if (frto && m_config.frto)
    m_frto.Start(sndNxt);
  else
    m_frto.Abandon();
}

bool RackTlp::TimestampProvesSpurious(const AckInput &ack, bool cumAdvanced) const {
  // Linux tcp_packet_delayed (RFC 3522): the ACK echoes a TSval older than the episode's
  // first retransmission, so the segment that advanced SND.UNA was an original. TSecr 0 is
  // "no echo" (RFC 7323).
  if (!ack.tsEcr || *ack.tsEcr == 0 || !cumAdvanced || !m_undo || !m_undo->firstRetransNs)
    return false;
  const int64_t tick = std::max<int64_t>(m_config.tsTickNs, 1);
  const auto firstRetransTs = static_cast<uint32_t>(*m_undo->firstRetransNs / tick);
  if (!SeqLess(*ack.tsEcr, firstRetransTs)) return false;
  // After an RTO Linux undoes on the first such ACK (tcp_try_undo_loss). In fast recovery it
  // waits until no retransmission is left unacknowledged (tcp_try_undo_partial/_recovery).
  if (m_rtoRecoveryPoint) return true;
  for (const auto &range : m_undo->retransmitted)
    if (SeqLess(ack.cumAck, range.end)) return false;
  return true;
}

void RackTlp::FinishUndo(AckOutcome &out) {
  constexpr size_t kMaxAwaitingDsack = 4096;
  for (size_t i = 0; i < m_undo->retransmitted.size(); ++i) {
    if (m_undo->provenSpurious[i]) continue;
    m_undoneAwaitingDsack.push_back(m_undo->retransmitted[i]);
    if (m_undoneAwaitingDsack.size() > kMaxAwaitingDsack) m_undoneAwaitingDsack.pop_front();
  }
  out.undo = m_undo->prior;
  m_undo.reset();
  ++m_counters.undos;
}

void RackTlp::BeginUndoEpisode(const UndoSnapshot &prior) {
  if (m_undo && m_undo->outstanding > 0) {
    // The previous reduction is still unproven: chain the episodes. The undo then needs
    // every retransmission of both, and restores the larger of the pre-cut states.
    m_undo->prior.cwnd = std::max(m_undo->prior.cwnd, prior.cwnd);
    m_undo->prior.ssthresh = std::max(m_undo->prior.ssthresh, prior.ssthresh);
    return;
  }
  m_undo = UndoEpisode{};
  m_undo->prior = prior;
}

void RackTlp::UnmarkLosses() {
  for (auto &seg : m_segments)
    seg.lost = false;
}

size_t RackTlp::MarkLongerThanLost(uint32_t mss) {
  size_t marked = 0;
  for (auto &seg : m_segments) {
    if (seg.sacked || seg.range.Length() <= mss) continue;
    seg.lost = true;
    seg.retransmittedAfterLoss = false;
    ++marked;
  }
  return marked;
}

std::optional<int64_t> RackTlp::ProbeTimeout(int64_t srttNs, int64_t rtoRemainingNs) const {
  if (m_tlpEndSeq || m_segments.empty()) return std::nullopt;
  int64_t pto = srttNs > 0 ? 2 * srttNs : 1000000000;
  if (m_segments.size() == 1) pto += m_config.maxAckDelayNs;
  pto = std::max(pto, m_config.minProbeTimeoutNs);
  if (rtoRemainingNs >= 0) pto = std::min(pto, rtoRemainingNs);
  return pto;
}

void RackTlp::OnProbeSent(uint32_t probeEndSeq, bool isRetransmission) {
  m_tlpEndSeq = probeEndSeq;
  m_tlpIsRetrans = isRetransmission;
  m_tlpAckSeen = false;
}

} // namespace tunnelsim::tcp

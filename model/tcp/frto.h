// F-RTO (RFC 5682 section 3, the SACK-enhanced variant, as Linux runs it with
// net.ipv4.tcp_frto = 2): after a retransmission timeout, tell a spurious timeout (the
// segments were only late) from a real loss before the whole window is retransmitted.
// Sans-IO; the caller (RackTlp) derives the per-ACK facts from its scoreboard.
//
// After the RTO only the first unacknowledged segment is retransmitted. If the next ACK
// advances SND.UNA, new data is sent instead of more retransmissions (step 2b). If a later
// ACK then acknowledges or SACKs data that was sent before the timeout and never
// retransmitted, the originals were merely delayed: the timeout was spurious (step 3b). A
// duplicate ACK or new SACK information after the new data means a real loss (step 3a):
// conventional go-back recovery. Linux also checks "never retransmitted data (s)acked" on
// the very first ACK, before any new data was sent; so does this.
#pragma once

#include <cstdint>
#include <optional>

namespace tunnelsim::tcp {

struct FrtoAck {
  uint32_t cumAck = 0;
  uint32_t sndNxt = 0;
  bool cumAdvanced = false;       // SND.UNA moved forward
  bool origDataDelivered = false; // never-retransmitted data sent before HighSeq() was (s)acked
  bool newlySacked = false;       // the ACK SACKed data not SACKed before
};

enum class FrtoVerdict {
  kNone,          // keep waiting
  kSendNewData,   // step 2b: transmit new data, not retransmissions (if none can go: Abandon)
  kSpurious,      // step 3b: the timeout was spurious; undo its cwnd reduction
  kLossConfirmed, // step 3a: a real loss; retransmit everything outstanding as usual
  kRecovered,     // SND.UNA passed the recovery point: F-RTO is over
};

class Frto {
public:
  // The RTO fired with sndNxt the highest sequence sent.
  void Start(uint32_t sndNxt);
  bool Active() const { return m_highSeq.has_value(); }
  // Linux tp->high_seq: data at or below it was sent before the current F-RTO step.
  std::optional<uint32_t> HighSeq() const { return m_highSeq; }
  FrtoVerdict OnAck(const FrtoAck &ack);
  // No new data could be sent at step 2b (none queued, or the receive window is full).
  void Abandon() { m_highSeq.reset(); }

private:
  std::optional<uint32_t> m_highSeq;
};

} // namespace tunnelsim::tcp

#include "tcp/frto.h"

#include "tcp/seq_range.h"

namespace tunnelsim::tcp {

void Frto::Start(uint32_t sndNxt) { m_highSeq = sndNxt; }

FrtoVerdict Frto::OnAck(const FrtoAck &ack) {
  if (!m_highSeq) return FrtoVerdict::kNone;
  // Step 3b (checked first, as Linux does): an original transmission arrived after the RTO.
  if (ack.origDataDelivered) {
    m_highSeq.reset();
    return FrtoVerdict::kSpurious;
  }
  const bool recovered = SeqLessEq(*m_highSeq, ack.cumAck);
  if (SeqLess(*m_highSeq, ack.sndNxt)) {
    // New data went out after step 2b: a hole still reported means the loss was real.
    if (ack.newlySacked || !ack.cumAdvanced) {
      m_highSeq.reset();
      return FrtoVerdict::kLossConfirmed;
    }
  } else if (ack.cumAdvanced && !recovered) {
    m_highSeq = ack.sndNxt;
    return FrtoVerdict::kSendNewData;
  }
  if (recovered) {
    m_highSeq.reset();
    return FrtoVerdict::kRecovered;
  }
  return FrtoVerdict::kNone;
}

} // namespace tunnelsim::tcp

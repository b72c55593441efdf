#include "tcp/ts_recent.h"

#include "tcp/seq_range.h"

namespace tunnelsim::tcp {

bool ShouldStoreTsRecent(const TsRecentInput &in) {
  const uint32_t end = in.seq + in.length;
  // Linux tcp_sequence: wholly old data, or data beyond the window, is not acceptable.
  if (SeqLess(end, in.rcvWup)) return false;
  if (SeqLess(in.rcvNxt + in.rcvWindow, in.seq)) return false;
  // RFC 7323 section 4.3 (Linux: !after(seq, rcv_wup)).
  if (SeqLess(in.rcvWup, in.seq)) return false;
  // PAWS (Linux tcp_paws_check with a zero window): never move TS.Recent backwards.
  return static_cast<int32_t>(in.tsVal - in.tsRecent) >= 0;
}

} // namespace tunnelsim::tcp

// Which arriving segment's timestamp a receiver echoes (TS.Recent, RFC 7323 section 4.3), as
// Linux decides it (tcp_replace_ts_recent / tcp_store_ts_recent). ns-3's TcpSocketBase keeps
// the echo only for a segment at exactly RCV.NXT whose TSval is the largest seen so far; once
// reordering keeps a hole open, the segment that fills it always carries an older TSval than
// the segments that overtook it, so the echo freezes and every RTT sample the sender takes
// grows with the connection's age.
#pragma once

#include <cstdint>

namespace tunnelsim::tcp {

struct TsRecentInput {
  uint32_t seq = 0;       // first sequence number of the arriving segment
  uint32_t length = 0;    // payload bytes (SYN/FIN not counted)
  uint32_t rcvWup = 0;    // RCV.NXT when the last ACK (window update) was sent: Last.ACK.sent
  uint32_t rcvNxt = 0;    // RCV.NXT now
  uint32_t rcvWindow = 0; // receive window offered beyond RCV.NXT, bytes
  uint32_t tsVal = 0;     // the segment's TSval
  uint32_t tsRecent = 0;  // the value echoed so far
};

// True when the segment is acceptable (it overlaps [Last.ACK.sent, RCV.NXT + RCV.WND]) and
// starts at or before Last.ACK.sent and its TSval is not older than TS.Recent (PAWS): then
// TS.Recent becomes its TSval. A segment beyond a hole does not update it; the one that fills
// the hole does, whatever later segments carried.
bool ShouldStoreTsRecent(const TsRecentInput &in);

} // namespace tunnelsim::tcp

// Answers about ns-3's TcpTxBuffer scoreboard that ns-3 only gives one sequence number at a time,
// each answer a walk of the whole sent list. LinuxTcpSocket::BytesInFlight asks for every segment
// RACK marked lost whether ns-3 marked it too: one TcpTxBuffer::IsLost per segment is quadratic
// in the window (a 1 Gbit/s recovery with thousands of lost segments never finished). Here the
// same answers come from one walk of the sent list for all of them.
#pragma once

#include "ns3/sequence-number.h"
#include "ns3/tcp-tx-buffer.h"

#include <vector>

namespace tunnelsim::tcp {

// For each sequence number of `ascending` (in increasing sequence order), exactly what
// buffer.IsLost(seq) returns (ns-3 3.37's rule, its quirks included: the first sent item
// starting at or after seq that is marked lost or SACKed decides, and nothing at or above the
// highest SACKed item is lost), computed in one walk of the sent list.
std::vector<bool> IsLostForEach(const ns3::TcpTxBuffer &buffer,
                                const std::vector<ns3::SequenceNumber32> &ascending);

// The first sequence number not yet sent (SND.UNA plus the sent list's size): where NextSeg's
// rule 2 puts new data.
ns3::SequenceNumber32 FirstUnsentSequence(const ns3::TcpTxBuffer &buffer);

} // namespace tunnelsim::tcp

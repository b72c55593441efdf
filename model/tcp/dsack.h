// Duplicate SACK (RFC 2883): which block a receiver reports for a duplicate segment, and how a
// sender recognises that the first SACK block of an ACK is a D-SACK (RFC 2883 section 4).
#pragma once

#include "tcp/seq_range.h"

#include <optional>
#include <vector>

namespace tunnelsim::tcp {

// The part of `segment` the receiver already holds: below rcvNxt, or inside one of its
// out-of-order (SACKed) blocks. RFC 2883 reports the duplicate bytes of the first segment
// that triggers the ACK; nullopt when the segment carries only new data.
std::optional<SeqRange> DuplicateRange(const SeqRange &segment, uint32_t rcvNxt,
                                       const std::vector<SeqRange> &receivedOutOfOrder);

// The SACK blocks of an outgoing ACK: the D-SACK block first (when there is one), then the
// receiver's ordinary blocks, at most maxBlocks in all.
std::vector<SeqRange> BlocksWithDsack(const std::optional<SeqRange> &dsack,
                                      const std::vector<SeqRange> &sackBlocks, size_t maxBlocks);

// Sender side: the first block is a D-SACK if it lies below the cumulative ACK, or inside
// the second block (RFC 2883 section 4 / RFC 3708).
std::optional<SeqRange> ReceivedDsack(uint32_t cumAck, const std::vector<SeqRange> &blocks);

} // namespace tunnelsim::tcp

#include "tcp/dsack.h"

namespace tunnelsim::tcp {

std::optional<SeqRange> DuplicateRange(const SeqRange &segment, uint32_t rcvNxt,
                                       const std::vector<SeqRange> &receivedOutOfOrder) {
  if (segment.Empty()) return std::nullopt;
  if (SeqLess(segment.start, rcvNxt)) return SeqRange{segment.start, SeqMin(segment.end, rcvNxt)};
  for (const auto &block : receivedOutOfOrder) {
    if (block.Overlaps(segment))
      return SeqRange{SeqMax(segment.start, block.start), SeqMin(segment.end, block.end)};
  }
  return std::nullopt;
}

std::vector<SeqRange> BlocksWithDsack(const std::optional<SeqRange> &dsack,
                                      const std::vector<SeqRange> &sackBlocks, size_t maxBlocks) {
  std::vector<SeqRange> out;
  if (dsack && maxBlocks > 0) out.push_back(*dsack);
  for (const auto &block : sackBlocks) {
    if (out.size() >= maxBlocks) break;
    out.push_back(block);
  }
  return out;
}

std::optional<SeqRange> ReceivedDsack(uint32_t cumAck, const std::vector<SeqRange> &blocks) {
  if (blocks.empty() || blocks.front().Empty()) return std::nullopt;
  const SeqRange &first = blocks.front();
  if (SeqLessEq(first.end, cumAck)) return first;
  if (blocks.size() > 1 && blocks[1].Contains(first)) return first;
  return std::nullopt;
}

} // namespace tunnelsim::tcp

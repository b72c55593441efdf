#include "mss_clamp.h"

#include <algorithm>

namespace tunnelsim {
namespace {

constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kTcpMaxHeader = 60;
constexpr uint8_t kTcpOptionEnd = 0;
constexpr uint8_t kTcpOptionNop = 1;
constexpr uint8_t kTcpOptionMss = 2;
constexpr uint8_t kTcpOptionMssLength = 4;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4OffsetMask = 0x1fff;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;

uint16_t Read16(const uint8_t *at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }
void Write16(uint8_t *at, uint16_t value) {
  at[0] = static_cast<uint8_t>(value >> 8);
  at[1] = static_cast<uint8_t>(value);
}

// The checksum word of `segment` that starts at the even offset `offset`, zero-padded past
// the end as the Internet checksum pads an odd-length segment.
uint16_t WordAt(const uint8_t *segment, size_t length, size_t offset) {
  const uint8_t high = offset < length ? segment[offset] : 0;
  const uint8_t low = offset + 1 < length ? segment[offset + 1] : 0;
  return static_cast<uint16_t>(high << 8 | low);
}

// Writes `value` at `offset` of the TCP segment (any alignment) and folds the change of every
// checksum word it touches into the TCP checksum at segment offset 16.
void RewriteTcpWord(uint8_t *segment, size_t length, size_t offset, uint16_t value) {
  const size_t first = offset & ~size_t{1};
  const size_t last = (offset + 1) & ~size_t{1};
  const uint16_t oldFirst = WordAt(segment, length, first);
  const uint16_t oldLast = WordAt(segment, length, last);
  Write16(segment + offset, value);
  uint16_t check = Read16(segment + 16);
  check = ChecksumAdjust(check, oldFirst, WordAt(segment, length, first));
  if (last != first) check = ChecksumAdjust(check, oldLast, WordAt(segment, length, last));
  Write16(segment + 16, check);
}

} // namespace

uint16_t ChecksumAdjust(uint16_t check, uint16_t oldWord, uint16_t newWord) {
  // HC' = ~(~HC + ~m + m'), in ones'-complement arithmetic.
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~oldWord);
  sum += newWord;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

MssClampOutcome ClampTcpMss(std::vector<uint8_t> &packet, uint16_t limitMss) {
  if (packet.empty()) return MssClampOutcome::kMalformed;
  const uint8_t version = packet[0] >> 4;
  if (version == 6) return MssClampOutcome::kNotApplicable;
  if (version != 4 || packet.size() < kIpv4MinHeader) return MssClampOutcome::kMalformed;
  const size_t ipHeader = static_cast<size_t>(packet[0] & 0x0f) * 4;
  const size_t totalLength = Read16(&packet[2]);
  if (ipHeader < kIpv4MinHeader || totalLength < ipHeader || totalLength > packet.size())
    return MssClampOutcome::kMalformed;
  if (packet[9] != kProtocolTcp) return MssClampOutcome::kNotApplicable;
  const uint16_t fragment = Read16(&packet[6]);
  if (fragment & (kIpv4MoreFragments | kIpv4OffsetMask)) return MssClampOutcome::kNotApplicable;

  uint8_t *tcp = packet.data() + ipHeader;
  const size_t segmentLength = totalLength - ipHeader;
  if (segmentLength < kTcpMinHeader) return MssClampOutcome::kMalformed;
  const size_t tcpHeader = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (tcpHeader < kTcpMinHeader || tcpHeader > segmentLength) return MssClampOutcome::kMalformed;
  const uint8_t flags = tcp[13];
  if ((flags & (kSyn | kRst)) != kSyn) return MssClampOutcome::kNotApplicable;

  // Walk the options; a length that runs past the header makes the segment malformed.
  for (size_t i = kTcpMinHeader; i < tcpHeader;) {
    const uint8_t kind = tcp[i];
    if (kind == kTcpOptionEnd) break;
    if (kind == kTcpOptionNop) {
      ++i;
      continue;
    }
    if (i + 1 >= tcpHeader) return MssClampOutcome::kMalformed;
    const uint8_t length = tcp[i + 1];
    if (length < 2 || i + length > tcpHeader) return MssClampOutcome::kMalformed;
    if (kind == kTcpOptionMss && length == kTcpOptionMssLength) {
      const uint16_t oldMss = Read16(tcp + i + 2);
      if (oldMss <= limitMss) return MssClampOutcome::kUnchanged; // never raised
      RewriteTcpWord(tcp, segmentLength, i + 2, limitMss);
      return MssClampOutcome::kLowered;
    }
    i += length;
  }

  // No MSS option: add one, as xt_TCPMSS does, where the segment has room and no data.
  if (segmentLength > tcpHeader || tcpHeader + kTcpOptionMssLength > kTcpMaxHeader ||
      totalLength + kTcpOptionMssLength > 0xffff)
    return MssClampOutcome::kUnchanged;
  const uint16_t mss = std::min(limitMss, kDefaultIpv4Mss);
  const size_t optionAt = ipHeader + kTcpMinHeader;
  const uint8_t option[kTcpOptionMssLength] = {kTcpOptionMss, kTcpOptionMssLength,
                                               static_cast<uint8_t>(mss >> 8),
                                               static_cast<uint8_t>(mss)};
  packet.insert(packet.begin() + static_cast<std::ptrdiff_t>(optionAt), option,
                option + kTcpOptionMssLength);
  tcp = packet.data() + ipHeader;
  // The options moved by four bytes (two whole words), so their sum is unchanged; the
  // checksum gains the option's two words, the new data offset and the pseudo-header's
  // larger TCP length.
  uint16_t check = Read16(tcp + 16);
  check = ChecksumAdjust(check, 0, Read16(tcp + kTcpMinHeader));
  check = ChecksumAdjust(check, 0, Read16(tcp + kTcpMinHeader + 2));
  const uint16_t oldOffsetWord = Read16(tcp + 12);
  tcp[12] = static_cast<uint8_t>(tcp[12] + (kTcpOptionMssLength / 4 << 4));
  check = ChecksumAdjust(check, oldOffsetWord, Read16(tcp + 12));
  check = ChecksumAdjust(check, static_cast<uint16_t>(segmentLength),
                         static_cast<uint16_t>(segmentLength + kTcpOptionMssLength));
  Write16(tcp + 16, check);
  // The IPv4 total length and its header checksum.
  const uint16_t newTotal = static_cast<uint16_t>(totalLength + kTcpOptionMssLength);
  Write16(&packet[10],
          ChecksumAdjust(Read16(&packet[10]), static_cast<uint16_t>(totalLength), newTotal));
  Write16(&packet[2], newTotal);
  return MssClampOutcome::kInserted;
}

MssClampOutcome MssClamp::Apply(std::vector<uint8_t> &packet) {
  const MssClampOutcome outcome = ClampTcpMss(packet, limit_);
  switch (outcome) {
  case MssClampOutcome::kNotApplicable:
    break;
  case MssClampOutcome::kMalformed:
    ++counters_.malformed;
    break;
  case MssClampOutcome::kUnchanged:
    ++counters_.synsSeen;
    break;
  case MssClampOutcome::kLowered:
    ++counters_.synsSeen;
    ++counters_.lowered;
    break;
  case MssClampOutcome::kInserted:
    ++counters_.synsSeen;
    ++counters_.inserted;
    break;
  }
  return outcome;
}

} // namespace tunnelsim

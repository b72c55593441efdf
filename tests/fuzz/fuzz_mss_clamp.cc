// The gateways' TCP MSS clamp (ClampTcpMss), which rewrites packets from either side of a
// tunnel in place.
//
// Input: a 16-bit clamp limit, one flag byte, then one packet (the rest of the input). With the
// flag's bit 0 set, a packet whose lengths parse gets correct IPv4 and TCP checksums first, so the
// checksum properties below are tested on every shape the fuzzer finds, not only on the rare
// mutated packet whose checksums still verify.
//
// Checked besides memory safety: a packet the clamp does not change (not applicable, already
// within the limit, malformed) comes back byte for byte; a lowered MSS keeps the packet's
// length and changes at most four bytes (the option's value and the TCP checksum); an inserted
// option makes the packet 4 bytes longer with min(limit, 536) and an IPv4 total length 4 larger; in
// both cases an IPv4 header checksum and a TCP checksum that verified before (computed here from
// scratch, RFC 1071) still verify; and clamping again changes nothing.
#include "common/mss_clamp.h"
#include "fuzz_input.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

using namespace tunnelsim;

namespace {

uint32_t SumWords(const uint8_t *data, size_t size, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < size; i += 2)
    sum += uint32_t(data[i]) << 8 | data[i + 1];
  if (size & 1) sum += uint32_t(data[size - 1]) << 8;
  return sum;
}

bool Verifies(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

struct Ipv4Tcp {
  size_t ipHeader = 0, totalLength = 0;
};

// The header length and total length of a packet whose TCP checksum can be computed here; a
// zero header length when it cannot (not IPv4 TCP, or lengths that do not fit the bytes).
Ipv4Tcp Parse(const std::vector<uint8_t> &p) {
  if (p.size() < 20 || (p[0] >> 4) != 4 || p[9] != 6) return {};
  const size_t ipHeader = static_cast<size_t>(p[0] & 0x0f) * 4;
  const size_t totalLength = static_cast<size_t>(p[2]) << 8 | p[3];
  if (ipHeader < 20 || totalLength < ipHeader + 20 || totalLength > p.size()) return {};
  return {ipHeader, totalLength};
}

bool IpChecksumVerifies(const std::vector<uint8_t> &p, const Ipv4Tcp &at) {
  return Verifies(SumWords(p.data(), at.ipHeader));
}

bool TcpChecksumVerifies(const std::vector<uint8_t> &p, const Ipv4Tcp &at) {
  const size_t tcpLength = at.totalLength - at.ipHeader;
  uint32_t sum = SumWords(p.data() + 12, 8); // source and destination addresses
  sum += 6 + uint32_t(tcpLength);
  return Verifies(SumWords(p.data() + at.ipHeader, tcpLength, sum));
}

uint16_t Checksum(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

void RepairChecksums(std::vector<uint8_t> &p) {
  const Ipv4Tcp at = Parse(p);
  if (!at.ipHeader) return;
  p[10] = p[11] = 0;
  const uint16_t ip = Checksum(SumWords(p.data(), at.ipHeader));
  p[10] = static_cast<uint8_t>(ip >> 8);
  p[11] = static_cast<uint8_t>(ip);
  uint8_t *tcp = p.data() + at.ipHeader;
  const size_t tcpLength = at.totalLength - at.ipHeader;
  tcp[16] = tcp[17] = 0;
  const uint16_t sum =
      Checksum(SumWords(tcp, tcpLength, SumWords(p.data() + 12, 8) + 6 + uint32_t(tcpLength)));
  tcp[16] = static_cast<uint8_t>(sum >> 8);
  tcp[17] = static_cast<uint8_t>(sum);
}

void Require(bool condition) {
  if (!condition) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::FuzzInput in(data, size);
  const uint16_t limit = in.U16();
  const bool repair = in.U8() & 1;
  const crypto::ByteView rest = in.Rest();
  std::vector<uint8_t> original(rest.begin(), rest.end());
  if (repair) RepairChecksums(original);
  std::vector<uint8_t> packet = original;
  const Ipv4Tcp before = Parse(original);
  const bool ipVerified = before.ipHeader && IpChecksumVerifies(original, before);
  const bool tcpVerified = before.ipHeader && TcpChecksumVerifies(original, before);

  const MssClampOutcome outcome = ClampTcpMss(packet, limit);
  switch (outcome) {
  case MssClampOutcome::kNotApplicable:
  case MssClampOutcome::kUnchanged:
  case MssClampOutcome::kMalformed:
    Require(packet == original);
    return 0;
  case MssClampOutcome::kLowered: {
    Require(packet.size() == original.size() && before.ipHeader != 0);
    size_t changed = 0;
    for (size_t i = 0; i < packet.size(); ++i)
      changed += packet[i] != original[i];
    Require(changed <= 4); // two bytes of MSS, two of checksum
    Require(!ipVerified || IpChecksumVerifies(packet, before));
    Require(!tcpVerified || TcpChecksumVerifies(packet, before));
    break;
  }
  case MssClampOutcome::kInserted: {
    Require(packet.size() == original.size() + 4 && before.ipHeader != 0);
    const Ipv4Tcp after = Parse(packet);
    Require(after.ipHeader == before.ipHeader && after.totalLength == before.totalLength + 4);
    // The option follows the fixed TCP header: kind 2, length 4, min(limit, 536).
    const uint8_t *option = packet.data() + after.ipHeader + 20;
    const uint16_t mss = static_cast<uint16_t>(option[2] << 8 | option[3]);
    Require(option[0] == 2 && option[1] == 4 && mss == std::min<uint16_t>(limit, 536));
    Require(!ipVerified || IpChecksumVerifies(packet, after));
    Require(!tcpVerified || TcpChecksumVerifies(packet, after));
    break;
  }
  }
  // What the clamp wrote is within its own limit: a second pass leaves it alone.
  std::vector<uint8_t> again = packet;
  const MssClampOutcome second = ClampTcpMss(again, limit);
  Require(second != MssClampOutcome::kLowered && second != MssClampOutcome::kInserted);
  Require(again == packet);
  return 0;
}

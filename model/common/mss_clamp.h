// The gateway-side TCP MSS clamp of `iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST
// SYN -j TCPMSS --set-mss N` (or `--clamp-mss-to-pmtu`, where N is the path MTU minus 40):
// a SYN or SYN-ACK whose MSS option is larger than N leaves with N, so neither end sends a
// segment that would not fit the tunnel. It works on the packet's bytes and nothing else
// (sans-IO), so the ns-3 gateways and the real-interface daemons share it.
//
// What it does, as Linux's xt_TCPMSS does for IPv4:
//   - only an unfragmented IPv4 TCP segment with SYN set and RST clear is looked at;
//   - the first MSS option (kind 2, length 4) is lowered to N when larger; never raised;
//   - a SYN without an MSS option gets one inserted after the fixed header, with
//     min(N, 536) (RFC 1122's default MSS a peer must assume without the option), unless the
//     segment carries data or its header is already 60 bytes long;
//   - the TCP checksum (and, when the packet grows, the IPv4 header checksum) is updated
//     incrementally (RFC 1624), so a packet that arrived with a wrong checksum still has one.
// A packet too short or inconsistent to parse is left untouched and counted as malformed.
// IPv6 packets are passed through untouched (the scenarios' tunnels carry IPv4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tunnelsim {

// Linux's TCP_MIN_MSS: the smallest MSS a clamp may set.
inline constexpr uint16_t kMinClampMss = 88;
// IPv4 + TCP fixed headers, what --clamp-mss-to-pmtu subtracts from the MTU.
inline constexpr uint16_t kIpv4TcpHeaderBytes = 40;
// RFC 1122 4.2.2.6: the send MSS a host assumes when the SYN had no MSS option.
inline constexpr uint16_t kDefaultIpv4Mss = 536;

enum class MssClampOutcome {
  kNotApplicable, // not an unfragmented IPv4 TCP SYN (or SYN-ACK): untouched
  kUnchanged,     // a SYN whose MSS is already within the limit (or that cannot take one)
  kLowered,       // the MSS option was rewritten to the limit
  kInserted,      // an MSS option was added (the packet is 4 bytes longer)
  kMalformed,     // could not be parsed: untouched
};

struct MssClampCounters {
  uint64_t synsSeen = 0; // unfragmented IPv4 TCP SYNs examined
  uint64_t lowered = 0;
  uint64_t inserted = 0;
  uint64_t malformed = 0;
  // SYNs whose MSS the clamp changed (lowered or inserted).
  uint64_t Clamped() const { return lowered + inserted; }
};

// Clamps `packet` (one IPv4 packet, possibly followed by link padding beyond its total
// length) in place to `limitMss` and returns what it did. Pure function; no counters.
MssClampOutcome ClampTcpMss(std::vector<uint8_t> &packet, uint16_t limitMss);

// A clamp with a fixed limit and its counters: one per gateway (both directions share it,
// as one FORWARD-chain rule does).
class MssClamp {
public:
  explicit MssClamp(uint16_t limitMss) : limit_(limitMss) {}
  MssClampOutcome Apply(std::vector<uint8_t> &packet);
  uint16_t limit() const { return limit_; }
  const MssClampCounters &counters() const { return counters_; }

private:
  uint16_t limit_;
  MssClampCounters counters_;
};

// RFC 1624 eqn. 3: the ones'-complement checksum `check` after a 16-bit word of the covered
// data changes from `oldWord` to `newWord` (all in host order).
uint16_t ChecksumAdjust(uint16_t check, uint16_t oldWord, uint16_t newWord);

} // namespace tunnelsim

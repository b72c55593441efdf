// The gateway MSS clamp on crafted IPv4 packets: every rewritten packet's TCP and IPv4
// checksums are checked against a full recomputation (not the incremental update under test).
#include "common/mss_clamp.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace {

using tunnelsim::ClampTcpMss;
using tunnelsim::MssClamp;
using tunnelsim::MssClampOutcome;
using Bytes = std::vector<uint8_t>;

uint16_t Read16(const Bytes &b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }
void Write16(Bytes &b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

// The Internet checksum (RFC 1071) of `data`, summed from scratch.
uint16_t FullChecksum(const Bytes &data) {
  uint64_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    sum += static_cast<uint32_t>(data[i] << 8) + (i + 1 < data.size() ? data[i + 1] : 0);
  }
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t IpHeaderLength(const Bytes &p) { return static_cast<size_t>(p[0] & 0x0f) * 4; }

// The TCP checksum of the packet's segment, computed over pseudo-header + segment with the
// checksum field zeroed.
uint16_t TcpChecksumOf(const Bytes &p) {
  const size_t ihl = IpHeaderLength(p);
  const size_t total = Read16(p, 2);
  Bytes sum(p.begin() + 12, p.begin() + 20); // source and destination addresses
  sum.push_back(0);
  sum.push_back(6);
  sum.push_back(static_cast<uint8_t>((total - ihl) >> 8));
  sum.push_back(static_cast<uint8_t>(total - ihl));
  sum.insert(sum.end(), p.begin() + static_cast<long>(ihl), p.begin() + static_cast<long>(total));
  sum[12 + 16] = 0;
  sum[12 + 17] = 0;
  return FullChecksum(sum);
}

uint16_t IpChecksumOf(const Bytes &p) {
  Bytes header(p.begin(), p.begin() + static_cast<long>(IpHeaderLength(p)));
  header[10] = header[11] = 0;
  return FullChecksum(header);
}

// An IPv4 TCP segment with `options` (padded by the caller to a multiple of 4), `payload`
// bytes of data and correct checksums.
Bytes Segment(uint8_t flags, const Bytes &options, size_t payload = 0, size_t ipOptions = 0) {
  const size_t ihl = 20 + ipOptions;
  const size_t tcpHeader = 20 + options.size();
  Bytes p(ihl + tcpHeader + payload, 0);
  p[0] = static_cast<uint8_t>(0x40 | ihl / 4);
  Write16(p, 2, static_cast<uint16_t>(p.size()));
  Write16(p, 4, 0x1234);
  Write16(p, 6, 0x4000); // DF
  p[8] = 64;
  p[9] = 6;
  const uint8_t addresses[8] = {10, 1, 0, 2, 10, 2, 0, 2};
  std::copy(addresses, addresses + 8, p.begin() + 12);
  for (size_t i = 20; i < ihl; ++i)
    p[i] = 1; // IP NOP options
  const size_t t = ihl;
  Write16(p, t, 40000);
  Write16(p, t + 2, 5001);
  Write16(p, t + 4, 0xdead);
  Write16(p, t + 6, 0xbeef);
  p[t + 12] = static_cast<uint8_t>(tcpHeader / 4 << 4);
  p[t + 13] = flags;
  Write16(p, t + 14, 65535);
  std::copy(options.begin(), options.end(), p.begin() + static_cast<long>(t + 20));
  for (size_t i = 0; i < payload; ++i)
    p[t + tcpHeader + i] = static_cast<uint8_t>(i * 7 + 3);
  Write16(p, t + 16, TcpChecksumOf(p));
  Write16(p, 10, IpChecksumOf(p));
  return p;
}

Bytes Mss(uint16_t mss) {
  return {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
}

uint16_t MssAt(const Bytes &p, size_t optionOffset) {
  return Read16(p, IpHeaderLength(p) + 20 + optionOffset + 2);
}

void CheckChecksums(const Bytes &p) {
  BOOST_TEST(Read16(p, IpHeaderLength(p) + 16) == TcpChecksumOf(p));
  BOOST_TEST(Read16(p, 10) == IpChecksumOf(p));
}

} // namespace

BOOST_AUTO_TEST_SUITE(mss_clamp)

BOOST_AUTO_TEST_CASE(a_syn_above_the_limit_is_lowered_with_a_correct_checksum) {
  Bytes p = Segment(0x02, Mss(1460));
  BOOST_TEST(static_cast<int>(ClampTcpMss(p, 1380)) == static_cast<int>(MssClampOutcome::kLowered));
  BOOST_TEST(MssAt(p, 0) == 1380);
  CheckChecksums(p);
}

BOOST_AUTO_TEST_CASE(a_syn_ack_is_lowered_too_and_a_smaller_mss_is_never_raised) {
  Bytes synAck = Segment(0x12, Mss(8960));
  BOOST_TEST(static_cast<int>(ClampTcpMss(synAck, 1360)) ==
             static_cast<int>(MssClampOutcome::kLowered));
  BOOST_TEST(MssAt(synAck, 0) == 1360);
  CheckChecksums(synAck);

  Bytes small = Segment(0x02, Mss(1200));
  const Bytes before = small;
  BOOST_TEST(static_cast<int>(ClampTcpMss(small, 1360)) ==
             static_cast<int>(MssClampOutcome::kUnchanged));
  BOOST_TEST(small == before);
}

BOOST_AUTO_TEST_CASE(an_mss_option_at_an_odd_offset_keeps_the_checksum_right) {
  // NOP, then MSS at option offset 1 (segment offset 21): its value straddles two checksum
  // words; then SACK-permitted and NOPs to pad.
  Bytes options = {1};
  const Bytes mss = Mss(1460);
  options.insert(options.end(), mss.begin(), mss.end());
  options.insert(options.end(), {4, 2, 1});
  for (uint16_t limit : {1380, 1000, 536}) {
    Bytes p = Segment(0x02, options);
    BOOST_TEST(static_cast<int>(ClampTcpMss(p, limit)) ==
               static_cast<int>(MssClampOutcome::kLowered));
    BOOST_TEST(MssAt(p, 1) == limit);
    CheckChecksums(p);
  }
  // The same after timestamps and window scale, with IP options shifting the TCP header.
  Bytes later = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7, 1};
  later.insert(later.end(), mss.begin(), mss.end());
  later.insert(later.end(), {0, 0, 0});
  Bytes p = Segment(0x02, later, 0, 4);
  BOOST_TEST(static_cast<int>(ClampTcpMss(p, 1300)) == static_cast<int>(MssClampOutcome::kLowered));
  BOOST_TEST(MssAt(p, 17) == 1300);
  CheckChecksums(p);
}

BOOST_AUTO_TEST_CASE(a_syn_without_mss_gets_one_of_at_most_536_as_tcpmss_adds) {
  const Bytes options = {1, 1, 4, 2}; // NOP NOP SACK-permitted
  Bytes p = Segment(0x02, options);
  const size_t before = p.size();
  BOOST_TEST(static_cast<int>(ClampTcpMss(p, 1380)) ==
             static_cast<int>(MssClampOutcome::kInserted));
  BOOST_TEST(p.size() == before + 4);
  BOOST_TEST(Read16(p, 2) == before + 4);
  BOOST_TEST((p[20 + 12] >> 4) == 7);
  BOOST_TEST(MssAt(p, 0) == 536);
  // The old options follow the new one unchanged.
  BOOST_TEST(Bytes(p.begin() + 44, p.begin() + 48) == options);
  CheckChecksums(p);

  Bytes low = Segment(0x12, {});
  BOOST_TEST(static_cast<int>(ClampTcpMss(low, 400)) ==
             static_cast<int>(MssClampOutcome::kInserted));
  BOOST_TEST(MssAt(low, 0) == 400);
  CheckChecksums(low);
}

BOOST_AUTO_TEST_CASE(no_option_is_added_to_a_syn_with_data_or_a_full_header) {
  Bytes withData = Segment(0x02, {}, 10);
  const Bytes dataBefore = withData;
  BOOST_TEST(static_cast<int>(ClampTcpMss(withData, 1380)) ==
             static_cast<int>(MssClampOutcome::kUnchanged));
  BOOST_TEST(withData == dataBefore);
  Bytes full = Segment(0x02, Bytes(40, 1)); // 40 bytes of NOPs: a 60-byte header
  const Bytes fullBefore = full;
  BOOST_TEST(static_cast<int>(ClampTcpMss(full, 1380)) ==
             static_cast<int>(MssClampOutcome::kUnchanged));
  BOOST_TEST(full == fullBefore);
}

BOOST_AUTO_TEST_CASE(non_syn_rst_fragments_other_protocols_and_ipv6_are_untouched) {
  const auto untouched = [](Bytes p) {
    const Bytes before = p;
    BOOST_TEST(static_cast<int>(ClampTcpMss(p, 1000)) ==
               static_cast<int>(MssClampOutcome::kNotApplicable));
    BOOST_TEST(p == before);
  };
  untouched(Segment(0x10, Mss(1460), 100)); // ACK with an (odd) MSS option
  untouched(Segment(0x06, Mss(1460)));      // SYN+RST
  Bytes first = Segment(0x02, Mss(1460));
  Write16(first, 6, 0x2000); // MF: the first fragment
  untouched(first);
  Bytes later = Segment(0x02, Mss(1460));
  Write16(later, 6, 0x0010); // offset 128 bytes
  untouched(later);
  Bytes udp = Segment(0x02, Mss(1460));
  udp[9] = 17;
  untouched(udp);
  Bytes v6(60, 0);
  v6[0] = 0x60;
  untouched(v6);
}

BOOST_AUTO_TEST_CASE(malformed_packets_pass_untouched_and_are_counted) {
  MssClamp clamp(1380);
  std::vector<Bytes> broken;
  broken.push_back({});
  broken.push_back({0x45, 0, 0}); // truncated IP header
  Bytes badVersion = Segment(0x02, Mss(1460));
  badVersion[0] = 0x55;
  broken.push_back(badVersion);
  Bytes longTotal = Segment(0x02, Mss(1460));
  Write16(longTotal, 2, static_cast<uint16_t>(longTotal.size() + 1)); // beyond the buffer
  broken.push_back(longTotal);
  Bytes shortIhl = Segment(0x02, Mss(1460));
  shortIhl[0] = 0x44;
  broken.push_back(shortIhl);
  Bytes truncatedTcp = Segment(0x02, Mss(1460));
  truncatedTcp.resize(30);
  Write16(truncatedTcp, 2, 30);
  broken.push_back(truncatedTcp);
  Bytes bigOffset = Segment(0x02, Mss(1460));
  bigOffset[20 + 12] = 0xf0; // 60-byte header in a 24-byte segment
  broken.push_back(bigOffset);
  Bytes zeroLength = Segment(0x02, {3, 0, 0, 0}); // an option of length 0
  broken.push_back(zeroLength);
  Bytes overrun = Segment(0x02, {1, 1, 8, 10}); // timestamps running past the header
  broken.push_back(overrun);
  for (Bytes &p : broken) {
    const Bytes before = p;
    BOOST_TEST(static_cast<int>(clamp.Apply(p)) == static_cast<int>(MssClampOutcome::kMalformed));
    BOOST_TEST(p == before);
  }
  BOOST_TEST(clamp.counters().malformed == broken.size());
  BOOST_TEST(clamp.counters().Clamped() == 0u);
}

BOOST_AUTO_TEST_CASE(the_clamp_counts_what_it_changed) {
  MssClamp clamp(1380);
  Bytes high = Segment(0x02, Mss(1460));
  Bytes low = Segment(0x12, Mss(1300));
  Bytes none = Segment(0x02, {});
  Bytes data = Segment(0x10, {}, 500);
  clamp.Apply(high);
  clamp.Apply(low);
  clamp.Apply(none);
  clamp.Apply(data);
  BOOST_TEST(clamp.counters().synsSeen == 3u);
  BOOST_TEST(clamp.counters().lowered == 1u);
  BOOST_TEST(clamp.counters().inserted == 1u);
  BOOST_TEST(clamp.counters().Clamped() == 2u);
}

BOOST_AUTO_TEST_CASE(checksum_adjust_matches_rfc_1624s_example) {
  // RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000.
  BOOST_TEST(tunnelsim::ChecksumAdjust(0xDD2F, 0x5555, 0x3285) == 0x0000);
}

BOOST_AUTO_TEST_CASE(random_option_layouts_keep_correct_checksums) {
  // Valid SYNs with options in random order and alignment (NOP, SACK-permitted, window scale,
  // timestamps, maybe an MSS), random IP options and sometimes data: after the clamp both
  // checksums still verify, the MSS is the expected one, and nothing else changed.
  std::mt19937 rng(17);
  for (int round = 0; round < 3000; ++round) {
    Bytes options;
    std::optional<uint16_t> mss;
    const int count = static_cast<int>(rng() % 6);
    for (int i = 0; i < count; ++i) {
      switch (rng() % 5) {
      case 0:
        options.push_back(1);
        break;
      case 1:
        options.insert(options.end(), {4, 2});
        break;
      case 2:
        options.insert(options.end(), {3, 3, static_cast<uint8_t>(rng() % 15)});
        break;
      case 3:
        options.insert(options.end(), {8, 10, 1, 2, 3, 4, 5, 6, 7, 8});
        break;
      default:
        if (!mss) {
          mss = static_cast<uint16_t>(500 + rng() % 9000);
          const Bytes option = Mss(*mss);
          options.insert(options.end(), option.begin(), option.end());
        }
      }
    }
    while (options.size() % 4)
      options.push_back(0); // end-of-options padding
    if (options.size() > 40) continue;
    const size_t payload = rng() % 3 == 0 ? rng() % 50 : 0;
    const Bytes original = Segment(rng() % 2 ? 0x02 : 0x12, options, payload, 4 * (rng() % 3));
    Bytes p = original;
    const uint16_t limit = static_cast<uint16_t>(88 + rng() % 3000);
    const MssClampOutcome outcome = ClampTcpMss(p, limit);
    BOOST_TEST_CONTEXT("round " << round) {
      CheckChecksums(p);
      if (mss && *mss > limit) {
        BOOST_TEST(static_cast<int>(outcome) == static_cast<int>(MssClampOutcome::kLowered));
      } else if (mss) {
        BOOST_TEST(static_cast<int>(outcome) == static_cast<int>(MssClampOutcome::kUnchanged));
        BOOST_TEST(p == original);
      } else if (payload == 0 && options.size() <= 36) {
        BOOST_TEST(static_cast<int>(outcome) == static_cast<int>(MssClampOutcome::kInserted));
        BOOST_TEST(MssAt(p, 0) == std::min<uint16_t>(limit, 536));
      } else {
        BOOST_TEST(p == original);
      }
      if (outcome == MssClampOutcome::kLowered) {
        size_t differing = 0;
        for (size_t i = 0; i < p.size(); ++i)
          differing += p[i] != original[i];
        BOOST_TEST(differing <= 4u); // the MSS value and the TCP checksum
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(random_corruption_never_breaks_the_clamp) {
  // Truncated and bit-flipped SYNs: no crash, and a packet the clamp did not change is
  // byte-identical (run under ASan/UBSan by make test-sanitize).
  std::mt19937 rng(5);
  MssClamp clamp(1300);
  for (int round = 0; round < 20000; ++round) {
    Bytes p = Segment(0x02, {1, 2, 4, 5, 180, 4, 2, 1, 1, 3, 3, 7});
    const int flips = static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i)
      p[rng() % p.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    if (rng() % 3 == 0) p.resize(rng() % p.size());
    const Bytes before = p;
    const MssClampOutcome outcome = clamp.Apply(p);
    if (outcome != MssClampOutcome::kLowered && outcome != MssClampOutcome::kInserted)
      BOOST_TEST(p == before);
  }
  BOOST_TEST(clamp.counters().malformed > 0u);
  BOOST_TEST(clamp.counters().lowered > 0u);
}

BOOST_AUTO_TEST_SUITE_END()

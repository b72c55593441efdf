// Shared helpers for the impairment tests: packet builders and statistical bounds.
#pragma once

#include "impairment/decision.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <vector>

// Lets BOOST_TEST print the times it compares.
namespace boost::test_tools::tt_detail {
template <> struct print_log_value<std::chrono::nanoseconds> {
  void operator()(std::ostream &out, std::chrono::nanoseconds d) { out << d.count() << "ns"; }
};
} // namespace boost::test_tools::tt_detail

namespace tunnelsim::impairment::test {

// z for a two-sided 99.9% interval.
constexpr double kZ999 = 3.2905;

// Whether `count` successes in `trials` fit a binomial(trials, p) at 99.9%, with the variance
// scaled by `inflation` for positively correlated sequences (1 for independent trials).
inline bool WithinBinomial(uint64_t count, uint64_t trials, double p, double inflation = 1.0) {
  const double mean = static_cast<double>(trials) * p;
  const double sd = std::sqrt(static_cast<double>(trials) * p * (1 - p) * inflation);
  return std::abs(static_cast<double>(count) - mean) <= kZ999 * sd + 1.0;
}

// An IPv4 packet of `total` bytes with `protocol` and an IPv4 header of 20 bytes.
inline std::vector<uint8_t> Ipv4(uint8_t protocol, size_t total, uint8_t tos = 0) {
  std::vector<uint8_t> p(total, 0);
  p[0] = 0x45;
  p[1] = tos;
  p[2] = static_cast<uint8_t>(total >> 8);
  p[3] = static_cast<uint8_t>(total);
  p[8] = 64;
  p[9] = protocol;
  p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
  return p;
}

inline std::vector<uint8_t> Udp(size_t payload, uint8_t tos = 0) {
  auto p = Ipv4(17, 20 + 8 + payload, tos);
  const size_t udpLength = 8 + payload;
  p[20] = 0x30, p[21] = 0x39, p[22] = 0x00, p[23] = 0x35;
  p[24] = static_cast<uint8_t>(udpLength >> 8);
  p[25] = static_cast<uint8_t>(udpLength);
  return p;
}

// IPv4 + TCP (20-byte header) with `flags` and `payload` bytes of data.
inline std::vector<uint8_t> Tcp(uint8_t flags, size_t payload) {
  auto p = Ipv4(6, 20 + 20 + payload);
  p[20] = 0x1f, p[21] = 0x90, p[22] = 0xc0, p[23] = 0x00;
  p[32] = 0x50; // data offset 5
  p[33] = flags;
  p[34] = 0xff, p[35] = 0xff;
  return p;
}

inline PacketRef Ref(const std::vector<uint8_t> &bytes) {
  return PacketRef{bytes.data(), bytes.size()};
}

} // namespace tunnelsim::impairment::test

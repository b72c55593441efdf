#include "common/ip_packet.h"
#include "impairment/ack_impairment.h"
#include "impairment/netem_settings.h"
#include "test_support.h"

#include <boost/test/unit_test.hpp>

#include <map>
#include <stdexcept>

using namespace tunnelsim;
using namespace tunnelsim::impairment;
using namespace tunnelsim::impairment::test;

namespace {

using Mode = AckClassifierSettings::Mode;

AckClass Classify(const std::vector<uint8_t> &bytes, Mode mode = Mode::kAuto,
                  size_t maxAckSize = 128) {
  AckClassifierSettings s;
  s.mode = mode;
  s.maxAckSize = maxAckSize;
  return ClassifyAck(Ref(bytes), s);
}

// Clear GRE (4-byte header, protocol IPv4) around `inner`.
std::vector<uint8_t> Gre(const std::vector<uint8_t> &inner) {
  auto p = Ipv4(47, 20 + 4 + inner.size());
  p[22] = 0x08, p[23] = 0x00;
  std::copy(inner.begin(), inner.end(), p.begin() + 24);
  return p;
}

std::vector<uint8_t> Ipv6Tcp(uint8_t flags, size_t payload) {
  std::vector<uint8_t> p(40 + 20 + payload, 0);
  p[0] = 0x60;
  p[4] = static_cast<uint8_t>((20 + payload) >> 8);
  p[5] = static_cast<uint8_t>(20 + payload);
  p[6] = 6;
  p[7] = 64;
  p[40 + 12] = 0x50;
  p[40 + 13] = flags;
  return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ack_impairment)

BOOST_AUTO_TEST_CASE(classifies_clear_tcp_by_flags) {
  BOOST_TEST((Classify(Tcp(kTcpAck, 0)) == AckClass::kPureAck));
  BOOST_TEST((Classify(Tcp(kTcpAck | kTcpPsh, 0)) == AckClass::kPureAck));
  BOOST_TEST((Classify(Tcp(kTcpAck | kTcpEce, 0)) == AckClass::kPureAck));
  BOOST_TEST((Classify(Tcp(kTcpAck, 1)) == AckClass::kNotAck)); // carries data
  BOOST_TEST((Classify(Tcp(kTcpAck | kTcpSyn, 0)) == AckClass::kNotAck));
  BOOST_TEST((Classify(Tcp(kTcpAck | kTcpFin, 0)) == AckClass::kNotAck));
  BOOST_TEST((Classify(Tcp(kTcpAck | kTcpRst, 0)) == AckClass::kNotAck));
  BOOST_TEST((Classify(Tcp(0, 0)) == AckClass::kNotAck)); // no ACK flag
  BOOST_TEST((Classify(Ipv6Tcp(kTcpAck, 0)) == AckClass::kPureAck));
  BOOST_TEST((Classify(Ipv6Tcp(kTcpAck, 100)) == AckClass::kNotAck));
  // Clear GRE: the inner TCP header decides.
  BOOST_TEST((Classify(Gre(Tcp(kTcpAck, 0))) == AckClass::kPureAck));
  BOOST_TEST((Classify(Gre(Tcp(kTcpAck, 1000))) == AckClass::kNotAck));
}

BOOST_AUTO_TEST_CASE(classifies_encrypted_traffic_by_size) {
  // A WireGuard data packet carrying a pure ACK: 20 + 8 + 16 + 48 + 16 = 108 bytes.
  BOOST_TEST((Classify(Udp(80)) == AckClass::kSizedLikeAck));
  BOOST_TEST((Classify(Udp(1400)) == AckClass::kNotAck));
  // ESP (protocol 50) carrying an ACK, and a full-size one.
  BOOST_TEST((Classify(Ipv4(50, 96)) == AckClass::kSizedLikeAck));
  BOOST_TEST((Classify(Ipv4(50, 1400)) == AckClass::kNotAck));
  BOOST_TEST((Classify(Udp(80), Mode::kTcpFlags) == AckClass::kNotAck));
  // Size mode ignores flags: a small data segment looks like an ACK.
  BOOST_TEST((Classify(Tcp(kTcpAck | kTcpPsh, 20), Mode::kSize) == AckClass::kSizedLikeAck));
  BOOST_TEST((Classify(Udp(80), Mode::kAuto, 100) == AckClass::kNotAck)); // 108 > 100
  // Not IP at all, or no bytes: size decides.
  std::vector<uint8_t> garbage(60, 0xff);
  BOOST_TEST((Classify(garbage) == AckClass::kSizedLikeAck));
  AckClassifierSettings s;
  BOOST_TEST((ClassifyAck(PacketRef{nullptr, 1500}, s) == AckClass::kNotAck));
}

BOOST_AUTO_TEST_CASE(thinning_drops_k_of_every_n_acks) {
  AckImpairmentSettings s;
  s.thinDrop = 2;
  s.thinEvery = 3;
  AckImpairmentCore core(s);
  const auto ack = Tcp(kTcpAck, 0);
  const auto data = Tcp(kTcpAck, 1000);
  int kept = 0;
  for (int i = 0; i < 300; ++i) {
    auto d = core.Process(Ref(ack), Time(i * 1000));
    const bool dropped = d.copies[0].drop == DropReason::kAckThinned;
    BOOST_TEST(dropped == (i % 3 != 2), "ack " << i);
    if (!dropped) ++kept;
    auto e = core.Process(Ref(data), Time(i * 1000));
    BOOST_TEST(e.copies[0].Delivered());
    BOOST_TEST(e.copies[0].deliverAt.count() == i * 1000);
  }
  BOOST_TEST(kept == 100);
  BOOST_TEST(core.Counters().thinned == 200u);
  BOOST_TEST(core.Counters().acks == 300u);
}

BOOST_AUTO_TEST_CASE(delays_acks_by_fixed_plus_random_time_in_order) {
  AckImpairmentSettings s;
  s.seed = 5;
  s.delay = Milliseconds(5);
  s.delayJitter = Milliseconds(2);
  s.keepOrder = false;
  AckImpairmentCore core(s);
  const auto ack = Tcp(kTcpAck, 0);
  double sum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Time now(static_cast<int64_t>(i) * 10000000);
    auto d = core.Process(Ref(ack), now);
    const double ms = static_cast<double>((d.copies[0].deliverAt - now).count()) / 1e6;
    BOOST_TEST(ms >= 5.0);
    BOOST_TEST(ms < 7.0);
    sum += ms;
  }
  // Uniform on [5, 7) ms: mean 6, sd 2/sqrt(12).
  BOOST_TEST(std::abs(sum / n - 6.0) < kZ999 * (2 / std::sqrt(12.0)) / std::sqrt(n));
  // With order kept, ACKs 0.1 ms apart never overtake each other.
  s.keepOrder = true;
  AckImpairmentCore ordered(s);
  Time last{0};
  for (int i = 0; i < 5000; ++i) {
    auto d = ordered.Process(Ref(ack), Time(static_cast<int64_t>(i) * 100000));
    BOOST_TEST(d.copies[0].deliverAt >= last);
    last = d.copies[0].deliverAt;
  }
}

BOOST_AUTO_TEST_CASE(compression_releases_acks_in_bursts) {
  AckImpairmentSettings s;
  s.compressInterval = Milliseconds(10);
  AckImpairmentCore core(s);
  const auto ack = Tcp(kTcpAck, 0);
  std::map<int64_t, int> bursts;
  for (int i = 1; i <= 1000; ++i) { // one ACK per millisecond, none on a boundary
    const Time now(static_cast<int64_t>(i) * 1000000 - 500000);
    auto d = core.Process(Ref(ack), now);
    const auto at = d.copies[0].deliverAt.count();
    BOOST_TEST(at % 10000000 == 0);
    BOOST_TEST(at >= now.count());
    BOOST_TEST(at - now.count() < 10000000);
    ++bursts[at];
  }
  BOOST_TEST(bursts.size() == 100u);
  for (const auto &[time, count] : bursts)
    BOOST_TEST(count == 10);
  BOOST_TEST(core.Counters().compressed == 1000u);
}

BOOST_AUTO_TEST_CASE(invalid_ack_settings_are_rejected) {
  AckImpairmentSettings s;
  s.thinDrop = 3;
  s.thinEvery = 3;
  BOOST_CHECK_THROW(AckImpairmentCore{s}, std::invalid_argument);
  s.thinDrop = 1;
  s.thinEvery = 0;
  BOOST_CHECK_THROW(AckImpairmentCore{s}, std::invalid_argument);
  // Delays beyond a day would overflow departure times (the netem cap applies here too).
  AckImpairmentSettings longDelay;
  longDelay.delay = kMaxNetemDelay + Duration(1);
  BOOST_CHECK_THROW(AckImpairmentCore{longDelay}, std::invalid_argument);
  longDelay.delay = kMaxNetemDelay;
  longDelay.delayJitter = kMaxNetemDelay;
  longDelay.compressInterval = kMaxNetemDelay;
  BOOST_CHECK_NO_THROW(AckImpairmentCore{longDelay});
}

BOOST_AUTO_TEST_SUITE_END()

// What a handshake flood costs a device, counted by DeviceCounters::x25519Operations: a
// handshake costs each side five X25519 operations; an initiation that passes MAC1 but carries
// junk costs one while the device is not under load and none once it is (a cookie reply).
#include "harness.h"
#include "wireguard/cookie.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using namespace tunnelsim::wireguard::test;

namespace {
// Type, random sender index, ephemeral key and payload, a correct MAC1, zero MAC2.
Bytes JunkInitiation(CookieGenerator &macs, crypto::RandomSource &rng, Time now) {
  Bytes message(initiation::kSize, 0);
  WriteMessageType(message.data(), MessageType::HandshakeInitiation);
  rng.Fill(message.data() + initiation::kSender, initiation::kMac1 - initiation::kSender);
  macs.AddMacs(message.data(), initiation::kMac1, now);
  return message;
}
} // namespace

BOOST_AUTO_TEST_SUITE(flood_cost)

BOOST_AUTO_TEST_CASE(x25519_operations_per_handshake_and_per_flood_initiation) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_REQUIRE_EQUAL(p.B().counters().handshakesCompleted, 1u);
  // Initiator: key generation, es, ss; then ee, se on the response. Responder: es, ss to
  // consume; key generation, ee, se to respond.
  BOOST_CHECK_EQUAL(p.A().counters().x25519Operations, 5u);
  BOOST_CHECK_EQUAL(p.B().counters().x25519Operations, 5u);

  const uint32_t threshold = Constants{}.underLoadHandshakesPerSecond;
  p.net.RunFor(Seconds(2)); // the flood starts in a fresh one-second load window
  CookieGenerator macs(p.keyB.publicKey, Seconds(120));
  crypto::DeterministicRandom junkRng(99);
  const Endpoint attacker = Ep("203.0.113.9:40000");
  const size_t floodSize = 3 * threshold;
  for (size_t i = 0; i < floodSize; ++i) {
    p.net.now += Duration(100000); // 100 µs apart: 10 000 per second
    p.net.Inject(p.b, JunkInitiation(macs, junkRng, p.net.now), attacker);
  }
  const DeviceCounters &b = p.B().counters();
  // All passed MAC1; the ones before the device went under load reached the first DH and
  // failed there, every later one got a cookie reply and no DH.
  BOOST_CHECK_EQUAL(b.Drops(DropReason::BadMac1), 0u);
  BOOST_CHECK_EQUAL(b.Drops(DropReason::HandshakeFailed), threshold - 1);
  BOOST_CHECK_EQUAL(b.cookieRepliesSent, floodSize - (threshold - 1));
  BOOST_CHECK_EQUAL(b.x25519Operations, 5u + (threshold - 1));
  BOOST_CHECK(p.B().UnderLoad(p.net.now));
}

BOOST_AUTO_TEST_SUITE_END()

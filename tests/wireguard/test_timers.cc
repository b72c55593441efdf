// Every timer rule of whitepaper section 6, on virtual time.
#include "harness.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using namespace tunnelsim::wireguard::test;

namespace {
std::vector<Time> SendTimes(const Network &net, size_t from, MessageType type) {
  std::vector<Time> out;
  for (const SentRecord &r : net.sent)
    if (r.from == from && TypeOf(r.data) == type) out.push_back(r.time);
  return out;
}
std::vector<Time> KeepaliveTimes(const Network &net, size_t from) {
  std::vector<Time> out;
  for (const SentRecord &r : net.sent)
    if (r.from == from && r.data.size() == transport::kMinSize &&
        TypeOf(r.data) == MessageType::TransportData)
      out.push_back(r.time);
  return out;
}
void Establish(Pair &p) {
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_REQUIRE(p.PeerOfA().keypairs().current());
  BOOST_REQUIRE(p.PeerOfB().keypairs().current());
}
} // namespace

BOOST_AUTO_TEST_SUITE(timers)

BOOST_AUTO_TEST_CASE(initiator_rekeys_on_send_after_rekey_after_time) {
  Pair p;
  Establish(p);
  const Time created = p.PeerOfA().keypairs().current()->created;
  while (p.net.now < Seconds(200)) {
    p.net.SendFromTunnel(p.a, p.PacketAtoB());
    p.net.SendFromTunnel(p.b, p.PacketBtoA());
    p.net.RunFor(Seconds(1));
  }
  auto initiations = SendTimes(p.net, p.a, MessageType::HandshakeInitiation);
  BOOST_REQUIRE_GE(initiations.size(), 2u);
  BOOST_CHECK(initiations[1] >= created + Seconds(120));
  BOOST_CHECK(initiations[1] <= created + Seconds(121.1));
  BOOST_CHECK_EQUAL(initiations.size(), 2u); // the new key is <120 s old at t=200
  // The responder never rekeys on time alone.
  BOOST_CHECK(SendTimes(p.net, p.b, MessageType::HandshakeInitiation).empty());
  BOOST_CHECK_EQUAL(p.A().counters().rekeys, 1u);
  BOOST_CHECK_EQUAL(p.A().counters().TotalDrops(), 0u);
  BOOST_CHECK_EQUAL(p.B().counters().TotalDrops(), 0u);
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), p.net.nodes[p.a].delivered.size() + 1);
}

BOOST_AUTO_TEST_CASE(initiator_rekeys_on_receive_before_reject_after_time) {
  Pair::Options o;
  o.constants.rekeyAfterTime = Seconds(1000); // isolate the receive-side rule
  Pair p(o);
  Establish(p);
  const Time created = p.PeerOfA().keypairs().current()->created;
  while (p.net.now < Seconds(175)) {
    p.net.SendFromTunnel(p.b, p.PacketBtoA());
    p.net.RunFor(Seconds(2));
  }
  auto initiations = SendTimes(p.net, p.a, MessageType::HandshakeInitiation);
  BOOST_REQUIRE_EQUAL(initiations.size(), 2u);
  // REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT = 165 s
  BOOST_CHECK(initiations[1] >= created + Seconds(165));
  BOOST_CHECK(initiations[1] <= created + Seconds(167.1));
  BOOST_CHECK(p.PeerOfA().timers().sentLastMinuteHandshake == false); // reset on completion
}

BOOST_AUTO_TEST_CASE(nothing_sent_or_accepted_on_key_older_than_reject_after_time) {
  Pair p;
  Establish(p);
  Bytes oldData;
  for (const SentRecord &r : p.net.sent)
    if (r.from == p.a && TypeOf(r.data) == MessageType::TransportData) oldData = r.data;
  const auto oldKeypair = p.PeerOfA().keypairs().current();
  p.net.RunUntil(oldKeypair->created + Seconds(180));
  const size_t before = p.net.sent.size();
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  // Only an initiation leaves; the packet waits for the new session.
  BOOST_REQUIRE_EQUAL(p.net.sent.size(), before + 1);
  BOOST_CHECK(TypeOf(p.net.sent.back().data) == MessageType::HandshakeInitiation);
  BOOST_CHECK_EQUAL(p.PeerOfA().stagedPacketCount(), 1u);
  // A transport message on the expired key is refused by the receiver.
  p.net.Inject(p.b, oldData, Ep("192.0.2.1:51820"));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::KeyExpired), 1u);
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 2u);
  BOOST_CHECK(p.PeerOfA().keypairs().current() != oldKeypair);
  for (size_t i = before; i < p.net.sent.size(); ++i)
    if (p.net.sent[i].from == p.a && TypeOf(p.net.sent[i].data) == MessageType::TransportData)
      BOOST_CHECK_NE(LoadLe32(p.net.sent[i].data.data() + transport::kReceiver),
                     oldKeypair->remoteIndex);
}

BOOST_AUTO_TEST_CASE(retransmits_every_rekey_timeout_and_gives_up) {
  Pair p;
  p.net.filter = [&](size_t from, const Datagram &) { return from != p.a; }; // A unheard
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunUntil(Seconds(89));
  BOOST_CHECK_EQUAL(p.A().counters().handshakesFailed, 0u);
  p.net.RunUntil(Seconds(300));
  auto times = SendTimes(p.net, p.a, MessageType::HandshakeInitiation);
  // The first attempt plus MaxHandshakeAttempts()+1 retries, as Linux/wireguard-go do.
  BOOST_CHECK_EQUAL(Constants{}.MaxHandshakeAttempts(), 18u);
  BOOST_REQUIRE_EQUAL(times.size(), 20u);
  for (size_t i = 1; i < times.size(); ++i) {
    Duration gap = times[i] - times[i - 1];
    BOOST_CHECK(gap >= Seconds(5));
    BOOST_CHECK(gap <= Seconds(5) + Milliseconds(333));
  }
  BOOST_CHECK_EQUAL(p.A().counters().handshakesFailed, 1u);
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::HandshakeGaveUp), 1u);
  BOOST_CHECK_EQUAL(p.PeerOfA().stagedPacketCount(), 0u);
  // Giving up arms key zeroing (nothing else is pending).
  BOOST_CHECK(p.PeerOfA().timers().zeroKeyMaterial != kNever);
  BOOST_CHECK(p.PeerOfA().timers().retransmitHandshake == kNever);
  // A new packet starts a fresh series.
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  BOOST_CHECK_EQUAL(SendTimes(p.net, p.a, MessageType::HandshakeInitiation).size(), 21u);
}

BOOST_AUTO_TEST_CASE(new_handshake_when_sent_data_gets_no_reply) {
  Pair p;
  Establish(p);
  p.net.RunFor(Seconds(30)); // let keepalives settle
  p.net.filter = [&](size_t from, const Datagram &) { return from != p.b; }; // B silent
  const Time sentAt = p.net.now;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Seconds(16));
  auto times = SendTimes(p.net, p.a, MessageType::HandshakeInitiation);
  BOOST_REQUIRE_EQUAL(times.size(), 2u);
  // KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (+ jitter) after the unanswered send.
  BOOST_CHECK(times[1] >= sentAt + Seconds(15));
  BOOST_CHECK(times[1] <= sentAt + Seconds(15) + Milliseconds(333));
}

BOOST_AUTO_TEST_CASE(keepalive_after_receive_only_traffic) {
  Pair p;
  Establish(p);
  p.net.RunFor(Seconds(30));
  const size_t keepalivesBefore = KeepaliveTimes(p.net, p.b).size();
  const Time start = p.net.now;
  p.net.SendFromTunnel(p.a, p.PacketAtoB()); // arrives at B at start + 10 ms
  p.net.RunFor(Seconds(30));
  auto times = KeepaliveTimes(p.net, p.b);
  BOOST_REQUIRE_EQUAL(times.size(), keepalivesBefore + 1);
  BOOST_CHECK(times.back() == start + Milliseconds(10) + Seconds(10));
  // Data sent back in time cancels the keepalive.
  const Time second = p.net.now;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Seconds(5));
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  p.net.RunFor(Seconds(30));
  times = KeepaliveTimes(p.net, p.b);
  BOOST_CHECK_EQUAL(times.size(), keepalivesBefore + 1);
  // More data received while the keepalive is pending asks for another one afterwards.
  const Time third = p.net.now;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Seconds(3));
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Seconds(30));
  times = KeepaliveTimes(p.net, p.b);
  BOOST_REQUIRE_EQUAL(times.size(), keepalivesBefore + 3);
  BOOST_CHECK(times[times.size() - 2] == third + Milliseconds(10) + Seconds(10));
  BOOST_CHECK(times.back() == third + Milliseconds(10) + Seconds(20));
  (void)second;
}

BOOST_AUTO_TEST_CASE(persistent_keepalive) {
  Pair::Options o;
  o.keepaliveA = Seconds(25);
  Pair p(o);
  // Configured with an endpoint: a keepalive (hence a handshake) is due at once.
  BOOST_CHECK(p.A().NextTimer() == Time(0));
  p.net.RunUntil(Seconds(110));
  auto times = KeepaliveTimes(p.net, p.a);
  BOOST_REQUIRE_GE(times.size(), 4u);
  for (size_t i = 1; i < times.size(); ++i)
    BOOST_CHECK(times[i] - times[i - 1] == Seconds(25));
  // B has no persistent keepalive and received no data: it sends none.
  BOOST_CHECK(KeepaliveTimes(p.net, p.b).empty());
  BOOST_CHECK_EQUAL(p.A().counters().handshakesCompleted, 1u);
}

BOOST_AUTO_TEST_CASE(keys_zeroed_after_three_reject_after_times) {
  Pair p;
  Establish(p);
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  p.net.RunFor(Seconds(1));
  const KeypairPtr keyA = p.PeerOfA().keypairs().current();
  const KeypairPtr keyB = p.PeerOfB().keypairs().current();
  BOOST_REQUIRE(!keyA->IsWiped() && !keyB->IsWiped());
  const Time derivedA = keyA->created;
  p.net.RunUntil(derivedA + Seconds(539));
  BOOST_CHECK(!keyA->IsWiped());
  BOOST_CHECK(p.PeerOfA().keypairs().current());
  p.net.RunUntil(derivedA + Seconds(540) + Milliseconds(1));
  BOOST_CHECK(keyA->IsWiped());
  BOOST_CHECK(keyA->sendingKey.IsZero() && keyA->receivingKey.IsZero());
  BOOST_CHECK(keyB->IsWiped());
  for (Peer *peer : {&p.PeerOfA(), &p.PeerOfB()}) {
    BOOST_CHECK(!peer->keypairs().current());
    BOOST_CHECK(!peer->keypairs().previous());
    BOOST_CHECK(!peer->keypairs().next());
    BOOST_CHECK(peer->handshake().state == HandshakeState::Zeroed);
  }
  BOOST_CHECK_EQUAL(p.A().counters().keysZeroed, 1u);
  BOOST_CHECK_EQUAL(p.A().indexTable().size(), 0u);
  // Traffic afterwards simply starts a new handshake.
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 2u);
}

BOOST_AUTO_TEST_CASE(message_count_limits_can_be_overridden) {
  Pair::Options o;
  o.constants.rekeyAfterMessages = 10;
  o.constants.rejectAfterMessages = 20;
  Pair p(o);
  Establish(p);             // one packet sent (counter 0)
  p.net.RunFor(Seconds(6)); // past REKEY_TIMEOUT so a new initiation is allowed
  const auto first = p.PeerOfA().keypairs().current();
  for (int i = 0; i < 30; ++i)
    p.net.SendFromTunnel(p.a, p.PacketAtoB(static_cast<size_t>(i)));
  // Counter 11 > REKEY_AFTER_MESSAGES: a rekey starts; at REJECT_AFTER_MESSAGES the old
  // key stops and the rest wait for the new session.
  BOOST_CHECK_EQUAL(first->sendingCounter, 20u);
  BOOST_CHECK_EQUAL(SendTimes(p.net, p.a, MessageType::HandshakeInitiation).size(), 2u);
  BOOST_CHECK_EQUAL(p.PeerOfA().stagedPacketCount(), 11u);
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 31u);
  BOOST_CHECK(p.PeerOfA().keypairs().current() != first);
}

BOOST_AUTO_TEST_CASE(timing_constants_can_be_overridden) {
  Pair::Options o;
  o.constants.rekeyTimeout = Seconds(1);
  o.constants.rekeyTimeoutJitterMax = Duration(0);
  o.constants.rekeyAttemptTime = Seconds(3);
  Pair p(o);
  p.net.filter = [](size_t, const Datagram &) { return false; };
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunUntil(Seconds(30));
  auto times = SendTimes(p.net, p.a, MessageType::HandshakeInitiation);
  BOOST_REQUIRE_EQUAL(times.size(), 5u); // first + 3 + 1 retries
  for (size_t i = 0; i < times.size(); ++i)
    BOOST_CHECK(times[i] == Seconds(static_cast<double>(i)));
  BOOST_CHECK_EQUAL(p.A().counters().handshakesFailed, 1u);
}

BOOST_AUTO_TEST_SUITE_END()

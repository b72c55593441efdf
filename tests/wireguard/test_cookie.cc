// MAC2 / cookie replies under load, cookie secret rotation, the load threshold and the
// per-source rate limiter.
#include "harness.h"
#include "wireguard/cookie.h"
#include "wireguard/handshake.h"
#include "wireguard/ratelimiter.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using namespace tunnelsim::wireguard::test;

BOOST_AUTO_TEST_SUITE(cookie)

BOOST_AUTO_TEST_CASE(cookie_flow_under_load) {
  Pair::Options o;
  o.constants.underLoadHandshakesPerSecond = 0; // B is permanently under load
  Pair p(o);
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  const Bytes first = p.net.sent[0].data;
  // The first initiation has no cookie yet: MAC2 is all zeros.
  BOOST_CHECK(std::all_of(first.begin() + initiation::kMac2, first.end(),
                          [](uint8_t b) { return b == 0; }));
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::CookieRequired), 1u);
  BOOST_CHECK_EQUAL(p.B().counters().cookieRepliesSent, 1u);
  BOOST_REQUIRE_EQUAL(p.net.CountSent(p.b, MessageType::CookieReply), 1u);
  for (const SentRecord &r : p.net.sent)
    if (TypeOf(r.data) == MessageType::CookieReply) {
      BOOST_CHECK_EQUAL(r.data.size(), 64u);
      BOOST_CHECK_EQUAL(LoadLe32(r.data.data() + cookie_reply::kReceiver),
                        LoadLe32(first.data() + initiation::kSender));
    }
  BOOST_CHECK_EQUAL(p.A().counters().cookieRepliesReceived, 1u);
  BOOST_CHECK_EQUAL(p.B().counters().handshakeInitiationsReceived, 0u);
  BOOST_CHECK(p.PeerOfA().cookieGenerator().HasFreshCookie(p.net.now));
  // The retransmission (after REKEY_TIMEOUT) carries MAC2 and succeeds.
  p.net.RunFor(Seconds(6));
  BOOST_REQUIRE_EQUAL(p.net.CountSent(p.a, MessageType::HandshakeInitiation), 2u);
  const SentRecord *retry = nullptr;
  for (const SentRecord &r : p.net.sent)
    if (r.from == p.a && TypeOf(r.data) == MessageType::HandshakeInitiation) retry = &r;
  BOOST_CHECK(!std::all_of(retry->data.begin() + initiation::kMac2, retry->data.end(),
                           [](uint8_t b) { return b == 0; }));
  BOOST_CHECK_EQUAL(p.B().counters().handshakeInitiationsReceived, 1u);
  // A is under load too, so B's response needed A's cookie: A answered it with a cookie
  // reply, and the next retry completes the handshake with MAC2 in both directions.
  BOOST_CHECK_EQUAL(p.A().counters().cookieRepliesSent, 1u);
  BOOST_CHECK_EQUAL(p.B().counters().cookieRepliesReceived, 1u);
  p.net.RunFor(Seconds(6));
  BOOST_CHECK_EQUAL(p.A().counters().handshakesCompleted, 1u);
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 1u);
}

BOOST_AUTO_TEST_CASE(bad_cookie_replies_rejected) {
  Pair::Options o;
  o.constants.underLoadHandshakesPerSecond = 0;
  Pair p(o);
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(15)); // cookie reply on its way back
  Bytes reply;
  for (const SentRecord &r : p.net.sent)
    if (TypeOf(r.data) == MessageType::CookieReply) reply = r.data;
  BOOST_REQUIRE(!reply.empty());
  Bytes forged = reply;
  forged[cookie_reply::kEncryptedCookie + 3] ^= 1;
  p.net.Inject(p.a, forged, Ep("192.0.2.2:51820"));
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::BadCookieReply), 1u);
  Bytes wrongIndex = reply;
  wrongIndex[cookie_reply::kReceiver] ^= 1;
  p.net.Inject(p.a, wrongIndex, Ep("192.0.2.2:51820"));
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::UnexpectedResponse), 1u);
  p.net.Inject(p.a, reply, Ep("192.0.2.2:51820"));
  BOOST_CHECK_EQUAL(p.A().counters().cookieRepliesReceived, 1u);
  // A second copy is refused: the cookie answered the last MAC1 only once.
  p.net.Inject(p.a, reply, Ep("192.0.2.2:51820"));
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::BadCookieReply), 2u);
}

BOOST_AUTO_TEST_CASE(cookie_bound_to_source_and_secret_rotates) {
  crypto::DeterministicRandom rng(11);
  auto responder = crypto::GenerateX25519KeyPair(rng);
  const Constants c;
  CookieChecker checker(responder.publicKey, c.cookieSecretMaxAge);
  CookieGenerator generator(responder.publicKey, c.cookieSecretMaxAge - c.cookieSecretLatency);
  const Endpoint source = Ep("192.0.2.1:1234");
  Bytes message(initiation::kSize, 0x5a);
  generator.AddMacs(message.data(), initiation::kMac1, Time(0));
  BOOST_CHECK(checker.CheckMac1(message, initiation::kMac1));
  BOOST_CHECK(!checker.CheckMac2(message, initiation::kMac1, source, Time(0), rng));
  Bytes reply(cookie_reply::kSize);
  checker.CreateReply(message, initiation::kMac1, 7, source, Time(0), rng, reply.data());
  BOOST_REQUIRE(generator.ConsumeReply(reply, Time(0)));
  generator.AddMacs(message.data(), initiation::kMac1, Seconds(1));
  BOOST_CHECK(checker.CheckMac2(message, initiation::kMac1, source, Seconds(1), rng));
  // Bound to the source address and port.
  BOOST_CHECK(
      !checker.CheckMac2(message, initiation::kMac1, Ep("192.0.2.1:1235"), Seconds(1), rng));
  BOOST_CHECK(
      !checker.CheckMac2(message, initiation::kMac1, Ep("192.0.2.9:1234"), Seconds(1), rng));
  // Still valid just before the two-minute rotation, invalid after it.
  BOOST_CHECK(checker.CheckMac2(message, initiation::kMac1, source, Seconds(119.9), rng));
  BOOST_CHECK(!checker.CheckMac2(message, initiation::kMac1, source, Seconds(120), rng));
  BOOST_CHECK(*checker.secretBirth() == Seconds(120));
  // The initiator stops using a cookie after 120 - 5 s.
  BOOST_CHECK(generator.HasFreshCookie(Seconds(114.9)));
  BOOST_CHECK(!generator.HasFreshCookie(Seconds(115)));
  generator.AddMacs(message.data(), initiation::kMac1, Seconds(115));
  BOOST_CHECK(std::all_of(message.begin() + initiation::kMac2, message.end(),
                          [](uint8_t b) { return b == 0; }));
}

BOOST_AUTO_TEST_CASE(under_load_threshold) {
  Pair::Options o;
  o.constants.underLoadHandshakesPerSecond = 3;
  Pair p(o);
  Bytes junk(initiation::kSize, 0);
  junk[0] = 1;
  p.net.Inject(p.b, junk, Ep("203.0.113.1:1"));
  p.net.Inject(p.b, junk, Ep("203.0.113.1:1"));
  BOOST_CHECK(!p.B().UnderLoad(p.net.now));
  p.net.Inject(p.b, junk, Ep("203.0.113.1:1"));
  BOOST_CHECK(p.B().UnderLoad(p.net.now));
  BOOST_CHECK(p.B().UnderLoad(p.net.now + Milliseconds(999)));
  BOOST_CHECK(!p.B().UnderLoad(p.net.now + Seconds(1)));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::BadMac1), 3u);
}

BOOST_AUTO_TEST_CASE(rate_limiter_token_bucket) {
  RateLimiter limiter(20, 5, 100);
  const IpAddress a = Ip("192.0.2.1"), b = Ip("192.0.2.2");
  for (int i = 0; i < 5; ++i)
    BOOST_CHECK(limiter.Allow(a, Time(0)));
  BOOST_CHECK(!limiter.Allow(a, Time(0)));
  BOOST_CHECK(limiter.Allow(b, Time(0))); // separate bucket
  BOOST_CHECK(!limiter.Allow(a, Milliseconds(49)));
  BOOST_CHECK(limiter.Allow(a, Milliseconds(50))); // one token per 50 ms
  BOOST_CHECK(!limiter.Allow(a, Milliseconds(50)));
  // IPv6 sources share a bucket per /64.
  for (int i = 0; i < 5; ++i)
    BOOST_CHECK(limiter.Allow(Ip("2001:db8:1:2::" + std::to_string(i + 1)), Time(0)));
  BOOST_CHECK(!limiter.Allow(Ip("2001:db8:1:2::99"), Time(0)));
  BOOST_CHECK(limiter.Allow(Ip("2001:db8:1:3::1"), Time(0)));
  // Idle buckets are forgotten (and full again).
  BOOST_CHECK(limiter.Allow(a, Seconds(10)));
  BOOST_CHECK_EQUAL(limiter.size(), 1u);
  // A full table refuses new sources.
  RateLimiter tiny(20, 5, 1);
  BOOST_CHECK(tiny.Allow(a, Time(0)));
  BOOST_CHECK(!tiny.Allow(b, Time(0)));
}

BOOST_AUTO_TEST_CASE(rate_limited_handshakes_under_load) {
  Pair::Options o;
  o.constants.underLoadHandshakesPerSecond = 0;
  Pair p(o);
  // Play the initiator by hand so we can send many initiations with a valid cookie.
  CookieGenerator generator(p.keyB.publicKey, Seconds(115));
  crypto::DeterministicRandom rng(21);
  const Endpoint source = Ep("192.0.2.1:51820");
  int second = 0;
  auto makeInitiation = [&]() {
    Handshake hs;
    Bytes m(initiation::kSize);
    auto ts = crypto::Tai64nFromUnix(1700000000u + static_cast<uint64_t>(++second), 0);
    BOOST_REQUIRE(CreateInitiation(hs, crypto::X25519KeyPairFromPrivate(p.keyA.privateKey),
                                   p.keyB.publicKey, crypto::GenerateX25519KeyPair(rng),
                                   rng.NextU32(), ts, m.data()));
    generator.AddMacs(m.data(), initiation::kMac1, p.net.now);
    return m;
  };
  Bytes first = makeInitiation();
  p.net.Inject(p.b, first, source);
  BOOST_REQUIRE_EQUAL(p.net.sent.size(), 1u);
  BOOST_REQUIRE(generator.ConsumeReply(p.net.sent[0].data, p.net.now));
  for (int i = 0; i < 8; ++i)
    p.net.Inject(p.b, makeInitiation(), source);
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::RateLimited), 3u);
  BOOST_CHECK_EQUAL(p.B().counters().handshakeInitiationsReceived, 1u);
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::InitiationFlood), 4u);
  BOOST_CHECK_EQUAL(p.B().counters().cookieRepliesSent, 1u);
}

BOOST_AUTO_TEST_SUITE_END()

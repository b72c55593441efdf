// Hostile and broken input: truncated, oversized, wrong type, wrong index, flipped bits and
// random garbage are dropped and counted, exactly once each, and never delivered.
#include "harness.h"

#include <boost/test/unit_test.hpp>

#include <random>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using namespace tunnelsim::wireguard::test;

namespace {

// Captures one valid message of each type exchanged between A and B.
struct Corpus {
  Bytes initiation, response, cookieReply, transportToB, keepaliveToB, transportToA;
};

Corpus Capture(Pair &p) {
  Corpus c;
  p.net.SendFromTunnel(p.a, p.PacketAtoB(200));
  p.net.RunFor(Milliseconds(100));
  p.net.SendFromTunnel(p.b, p.PacketBtoA(300, true));
  p.net.RunFor(Seconds(11)); // A answers B's data with a keepalive after 10 s
  for (const SentRecord &r : p.net.sent) {
    auto type = TypeOf(r.data);
    if (type == MessageType::HandshakeInitiation) c.initiation = r.data;
    if (type == MessageType::HandshakeResponse) c.response = r.data;
    if (type == MessageType::TransportData && r.from == p.a && r.data.size() > 32)
      c.transportToB = r.data;
    if (type == MessageType::TransportData && r.from == p.a && r.data.size() == 32)
      c.keepaliveToB = r.data;
    if (type == MessageType::TransportData && r.from == p.b && r.data.size() > 32)
      c.transportToA = r.data;
  }
  // A cookie reply from a third device that is under load.
  crypto::DeterministicRandom rng(99);
  DeviceConfig loaded;
  loaded.privateKey = p.keyB.privateKey;
  loaded.constants.underLoadHandshakesPerSecond = 0;
  Device b2(std::move(loaded), rng);
  Actions out = b2.OnDatagram(c.initiation, Ep("192.0.2.1:51820"), Time(0));
  BOOST_REQUIRE_EQUAL(out.toNetwork.size(), 1u);
  c.cookieReply = out.toNetwork[0].data;
  return c;
}

// Injects `datagram` into `device` and checks it was dropped exactly once and nothing
// reached the tunnel.
void ExpectDropped(Device &device, const Bytes &datagram, Time now, const char *what) {
  const uint64_t before = device.counters().TotalDrops();
  Actions out;
  device.OnDatagram(datagram, Ep("192.0.2.1:51820"), now, out);
  BOOST_CHECK_MESSAGE(device.counters().TotalDrops() == before + 1,
                      what << " (size " << datagram.size() << ") not counted once");
  BOOST_CHECK_MESSAGE(out.toTunnel.empty(), what << " delivered");
}

} // namespace

BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(truncated_oversized_wrong_type_wrong_index) {
  Pair p;
  Corpus c = Capture(p);
  BOOST_REQUIRE(!c.initiation.empty() && !c.response.empty() && !c.transportToB.empty() &&
                !c.keepaliveToB.empty() && !c.cookieReply.empty());
  const Time now = p.net.now;
  for (const Bytes *m : {&c.initiation, &c.response, &c.cookieReply, &c.transportToB}) {
    for (size_t len = 0; len < m->size(); ++len)
      ExpectDropped(p.B(), Bytes(m->begin(), m->begin() + static_cast<long>(len)), now,
                    "truncated");
    Bytes longer = *m;
    longer.push_back(0);
    ExpectDropped(p.B(), longer, now, "oversized/padded");
    for (uint8_t type : {0, 5, 255}) {
      Bytes wrong = *m;
      wrong[0] = type;
      ExpectDropped(p.B(), wrong, now, "wrong type");
    }
    Bytes reserved = *m;
    reserved[2] = 1;
    ExpectDropped(p.B(), reserved, now, "reserved bytes");
  }
  BOOST_CHECK_GE(p.B().counters().Drops(DropReason::Malformed), 148u + 92u + 64u + 32u);
  // Wrong receiver indices.
  Bytes t = c.transportToB;
  StoreLe32(t.data() + transport::kReceiver, LoadLe32(t.data() + transport::kReceiver) + 1);
  ExpectDropped(p.B(), t, now, "unknown index");
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::UnknownIndex), 1u);
  // Transport data must not be accepted on a handshake's index either: B's only index now
  // names a keypair, so use A's in-flight state instead.
  Bytes r = c.response;
  ExpectDropped(p.A(), r, now, "stale response");
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::UnexpectedResponse), 1u);
  // Replays of valid messages.
  ExpectDropped(p.B(), c.transportToB, now, "replayed transport");
  ExpectDropped(p.B(), c.keepaliveToB, now, "replayed keepalive");
  ExpectDropped(p.B(), c.initiation, now, "replayed initiation");
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::Replay), 2u);
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::StaleTimestamp), 1u);
  // A tunnel packet whose decryption is fine but whose content is not IP.
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::InvalidInnerPacket), 0u);
}

BOOST_AUTO_TEST_CASE(random_mutations_never_crash_and_are_counted) {
  Pair p;
  Corpus c = Capture(p);
  std::mt19937_64 gen(1234);
  const std::vector<const Bytes *> pool = {&c.initiation,   &c.response,     &c.cookieReply,
                                           &c.transportToB, &c.keepaliveToB, &c.transportToA};
  const size_t deliveredA = p.net.nodes[p.a].delivered.size();
  const size_t deliveredB = p.net.nodes[p.b].delivered.size();
  for (int i = 0; i < 6000; ++i) {
    Bytes m = *pool[gen() % pool.size()];
    switch (gen() % 5) {
    case 0: // flip one bit
      m[gen() % m.size()] ^= static_cast<uint8_t>(1u << (gen() % 8));
      break;
    case 1: // flip several bytes
      for (int k = 0; k < 4; ++k)
        m[gen() % m.size()] ^= static_cast<uint8_t>(1 + gen() % 255);
      break;
    case 2: // truncate
      m.resize(gen() % m.size());
      break;
    case 3: // extend with garbage
      for (size_t k = 0, n = 1 + gen() % 64; k < n; ++k)
        m.push_back(static_cast<uint8_t>(gen()));
      break;
    case 4: // random bytes with a plausible header
      m.assign(gen() % 200, 0);
      for (auto &b : m)
        b = static_cast<uint8_t>(gen());
      if (!m.empty()) m[0] = static_cast<uint8_t>(1 + gen() % 4);
      if (m.size() >= 4) m[1] = m[2] = m[3] = 0;
      break;
    }
    Device &target = gen() % 2 ? p.A() : p.B();
    ExpectDropped(target, m, p.net.now, "mutation");
  }
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), deliveredA);
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), deliveredB);
  // The session still works afterwards.
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), deliveredA + 1);
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), deliveredB + 1);
}

BOOST_AUTO_TEST_CASE(authenticated_non_ip_payload_dropped) {
  // Encrypt garbage under a real session key and check it is refused after decryption.
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  auto keypair = p.PeerOfA().keypairs().current();
  Bytes junk(transport::kHeaderSize + 32 + 16);
  WriteMessageType(junk.data(), MessageType::TransportData);
  StoreLe32(junk.data() + transport::kReceiver, keypair->remoteIndex);
  StoreLe64(junk.data() + transport::kCounter, 1000);
  Bytes inner(32, 0x77);
  NoiseTransportSeal(keypair->sendingKey, 1000, inner, junk.data() + transport::kHeaderSize);
  ExpectDropped(p.B(), junk, p.net.now, "non-IP payload");
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::InvalidInnerPacket), 1u);
}

BOOST_AUTO_TEST_SUITE_END()

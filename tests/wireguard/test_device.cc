// Two devices over the in-memory network: handshakes, data both ways (IPv4 and IPv6, with
// and without PSK), message formats, key confirmation, roaming, replayed initiations,
// cryptokey routing, runtime peers, queueing and the key log.
#include "harness.h"
#include "wireguard/keylog.h"

#include <boost/test/unit_test.hpp>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using namespace tunnelsim::wireguard::test;

namespace {
struct Recorder : EventObserver {
  std::vector<Event> events;
  std::vector<std::string> keyLogs;
  void OnEvent(const Event &e) override {
    events.push_back(e);
    if (e.type == EventType::KeyLog) keyLogs.push_back(FormatWiresharkKeyLog(*e.keyLog));
    events.back().keyLog = nullptr; // not valid after the call
  }
  size_t Count(EventType t) const {
    size_t n = 0;
    for (const Event &e : events)
      n += e.type == t;
    return n;
  }
};
} // namespace

BOOST_AUTO_TEST_SUITE(device)

BOOST_AUTO_TEST_CASE(handshake_and_data_both_ways) {
  for (bool psk : {false, true}) {
    for (bool v6 : {false, true}) {
      Pair::Options o;
      o.psk = psk;
      Pair p(o);
      Bytes first = p.PacketAtoB(100, v6);
      p.net.SendFromTunnel(p.a, first);
      // No session yet: the packet waits and an initiation goes out.
      BOOST_CHECK_EQUAL(p.PeerOfA().stagedPacketCount(), 1u);
      BOOST_REQUIRE_EQUAL(p.net.sent.size(), 1u);
      BOOST_CHECK(TypeOf(p.net.sent[0].data) == MessageType::HandshakeInitiation);
      BOOST_CHECK_EQUAL(p.net.sent[0].data.size(), 148u);
      p.net.RunFor(Milliseconds(100));
      // Initiation, response (92 bytes), then the queued data packet.
      BOOST_REQUIRE_GE(p.net.sent.size(), 3u);
      BOOST_CHECK(TypeOf(p.net.sent[1].data) == MessageType::HandshakeResponse);
      BOOST_CHECK_EQUAL(p.net.sent[1].data.size(), 92u);
      BOOST_CHECK(TypeOf(p.net.sent[2].data) == MessageType::TransportData);
      BOOST_REQUIRE_EQUAL(p.net.nodes[p.b].delivered.size(), 1u);
      BOOST_CHECK(p.net.nodes[p.b].delivered[0] == first);
      BOOST_CHECK_EQUAL(p.A().counters().handshakesCompleted, 1u);
      BOOST_CHECK_EQUAL(p.B().counters().handshakesCompleted, 1u);
      BOOST_CHECK_EQUAL(p.A().counters().sessionsConfirmed, 1u);
      BOOST_CHECK_EQUAL(p.B().counters().sessionsConfirmed, 1u);
      // Responder confirmed the key on the data packet and can send.
      BOOST_REQUIRE(p.PeerOfB().keypairs().current());
      BOOST_CHECK(!p.PeerOfB().keypairs().next());

      Bytes back = p.PacketBtoA(1000, v6);
      p.net.SendFromTunnel(p.b, back);
      p.net.RunFor(Milliseconds(100));
      BOOST_REQUIRE_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
      BOOST_CHECK(p.net.nodes[p.a].delivered[0] == back);
      // Keys agree crosswise and differ from those of other runs only by PSK etc.
      BOOST_CHECK(p.PeerOfA().keypairs().current()->sendingKey ==
                  p.PeerOfB().keypairs().current()->receivingKey);
      BOOST_CHECK_EQUAL(p.PeerOfA().hasPresharedKey(), psk);
      for (int i = 0; i < 50; ++i) {
        p.net.SendFromTunnel(p.a, p.PacketAtoB(static_cast<size_t>(i * 20), v6));
        p.net.SendFromTunnel(p.b, p.PacketBtoA(static_cast<size_t>(i * 25), v6));
      }
      p.net.RunFor(Milliseconds(100));
      BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 51u);
      BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), 51u);
      BOOST_CHECK_EQUAL(p.A().counters().TotalDrops(), 0u);
      BOOST_CHECK_EQUAL(p.B().counters().TotalDrops(), 0u);
      BOOST_CHECK_EQUAL(p.PeerOfA().counters().txPackets, 51u);
      BOOST_CHECK_EQUAL(p.PeerOfB().counters().rxPackets, 51u);
      BOOST_CHECK_EQUAL(p.A().counters().handshakesCompleted, 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(handshake_initiated_by_either_side) {
  for (bool psk : {false, true}) {
    Pair::Options o;
    o.psk = psk;
    Pair p(o);
    p.net.SendFromTunnel(p.b, p.PacketBtoA(64, true));
    p.net.RunFor(Milliseconds(100));
    BOOST_CHECK_EQUAL(p.net.CountSent(p.b, MessageType::HandshakeInitiation), 1u);
    BOOST_CHECK_EQUAL(p.net.CountSent(p.a, MessageType::HandshakeResponse), 1u);
    BOOST_REQUIRE_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
    BOOST_CHECK(p.PeerOfB().keypairs().current()->isInitiator);
    BOOST_CHECK(!p.PeerOfA().keypairs().current()->isInitiator);
    p.net.SendFromTunnel(p.a, p.PacketAtoB(64, true));
    p.net.RunFor(Milliseconds(100));
    BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 1u);
    BOOST_CHECK_EQUAL(p.A().counters().TotalDrops() + p.B().counters().TotalDrops(), 0u);
  }
}

BOOST_AUTO_TEST_CASE(mismatched_psk_fails_handshake) {
  Pair p;
  PeerConfig changed;
  changed.publicKey = p.keyA.publicKey;
  changed.presharedKey = PresharedKey(std::array<uint8_t, 32>{1});
  changed.allowedIps = {Prefix("10.0.0.1/32")};
  changed.endpoint = Ep("192.0.2.1:51820");
  BOOST_REQUIRE(p.B().RemovePeer(p.keyA.publicKey));
  p.B().AddPeer(changed, p.net.now);
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Seconds(1));
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::HandshakeFailed), 1u);
  BOOST_CHECK_EQUAL(p.A().counters().handshakesCompleted, 0u);
  // The responder derived a session from the initiation but never had it confirmed.
  BOOST_CHECK_GE(p.B().counters().handshakesCompleted, 1u);
  BOOST_CHECK_EQUAL(p.A().counters().sessionsConfirmed, 0u);
  BOOST_CHECK_EQUAL(p.B().counters().sessionsConfirmed, 0u);
  BOOST_CHECK(p.net.nodes[p.b].delivered.empty());
}

BOOST_AUTO_TEST_CASE(transport_format_padding_and_counters) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB(1)); // 29-byte IPv4 packet
  p.net.RunFor(Milliseconds(100));
  const SentRecord *data = nullptr;
  for (const SentRecord &r : p.net.sent)
    if (r.from == p.a && TypeOf(r.data) == MessageType::TransportData) data = &r;
  BOOST_REQUIRE(data);
  // 16-byte header, 29 bytes padded to 32, 16-byte tag.
  BOOST_CHECK_EQUAL(data->data.size(), 16u + 32u + 16u);
  BOOST_CHECK_EQUAL(LoadLe32(data->data.data() + transport::kReceiver),
                    p.PeerOfA().keypairs().current()->remoteIndex);
  BOOST_CHECK_EQUAL(LoadLe64(data->data.data() + transport::kCounter), 0u);
  // The delivered packet has its padding stripped.
  BOOST_REQUIRE_EQUAL(p.net.nodes[p.b].delivered.size(), 1u);
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered[0].size(), 29u);
  // Padding never passes the MTU; a packet of exactly MTU size is not padded.
  BOOST_CHECK_EQUAL(PaddedLength(1419, 1420), 1420u);
  BOOST_CHECK_EQUAL(PaddedLength(1420, 1420), 1420u);
  BOOST_CHECK_EQUAL(PaddedLength(1500, 1420), 1500u);
  BOOST_CHECK_EQUAL(PaddedLength(0, 1420), 0u);
  BOOST_CHECK_EQUAL(PaddedLength(17, 1420), 32u);
  // Counters increase by one per packet.
  p.net.SendFromTunnel(p.a, p.PacketAtoB(10));
  BOOST_CHECK_EQUAL(LoadLe64(p.net.sent.back().data.data() + transport::kCounter), 1u);
}

BOOST_AUTO_TEST_CASE(responder_sends_only_after_key_confirmation) {
  Pair p;
  // B has data for A at the same time A initiates; B must not use its new keypair until A
  // has sent on it.
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(10)); // initiation arrives at B, response leaves B
  BOOST_REQUIRE(p.PeerOfB().keypairs().next());
  BOOST_CHECK(!p.PeerOfB().keypairs().current());
  // B now has a packet for A: it is queued (no current keypair), not sent on `next`.
  const size_t sentBefore = p.net.sent.size();
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  BOOST_CHECK_EQUAL(p.PeerOfB().stagedPacketCount(), 1u);
  for (size_t i = sentBefore; i < p.net.sent.size(); ++i)
    BOOST_CHECK(TypeOf(p.net.sent[i].data) != MessageType::TransportData);
  // And B does not start its own handshake right after answering one.
  BOOST_CHECK_EQUAL(p.net.CountSent(p.b, MessageType::HandshakeInitiation), 0u);
  p.net.RunFor(Milliseconds(100)); // response reaches A, A's data reaches B -> confirmed
  BOOST_CHECK(p.PeerOfB().keypairs().current());
  BOOST_CHECK(!p.PeerOfB().keypairs().next());
  BOOST_CHECK_EQUAL(p.PeerOfB().stagedPacketCount(), 0u);
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
  BOOST_CHECK_EQUAL(p.net.CountSent(p.b, MessageType::HandshakeInitiation), 0u);
}

BOOST_AUTO_TEST_CASE(initiator_sends_keepalive_for_confirmation_when_idle) {
  // Start a handshake via a keepalive-only path: persistent keepalive on A.
  Pair::Options o;
  o.keepaliveA = Seconds(25);
  Pair q(o);
  q.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(q.A().counters().handshakesCompleted, 1u);
  BOOST_CHECK(q.PeerOfB().keypairs().current()); // confirmed by A's keepalive
  BOOST_CHECK_EQUAL(q.B().counters().keepalivesReceived, 1u);
}

BOOST_AUTO_TEST_CASE(roaming_updates_endpoint_from_authenticated_packets) {
  Pair p;
  Recorder rec;
  p.B().SetObserver(&rec);
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK(*p.PeerOfB().endpoint() == Ep("192.0.2.1:51820"));
  // A moves to a new address (say a NAT rebinding); its next packet updates B's endpoint.
  p.net.nodes[p.a].endpoint = Ep("198.51.100.7:40000");
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK(*p.PeerOfB().endpoint() == Ep("198.51.100.7:40000"));
  BOOST_CHECK_EQUAL(rec.Count(EventType::EndpointChanged), 1u);
  // B's reply goes to the new endpoint and arrives.
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  BOOST_CHECK(p.net.sent.back().to == Ep("198.51.100.7:40000"));
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
  // An unauthenticated packet from elsewhere does not move the endpoint.
  Bytes forged = p.net.sent.back().data;
  forged[20] ^= 0xff;
  p.net.Inject(p.b, forged, Ep("203.0.113.66:1"));
  BOOST_CHECK(*p.PeerOfB().endpoint() == Ep("198.51.100.7:40000"));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::UnknownIndex) +
                        p.B().counters().Drops(DropReason::DecryptFailed),
                    1u);
}

BOOST_AUTO_TEST_CASE(responder_learns_unknown_endpoint) {
  Pair::Options o;
  o.bKnowsA = false;
  Pair p(o);
  p.net.SendFromTunnel(p.b, p.PacketBtoA()); // B cannot reach A yet
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::NoEndpoint), 1u);
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_REQUIRE(p.PeerOfB().endpoint());
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
}

BOOST_AUTO_TEST_CASE(replayed_or_older_initiation_rejected) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  const Bytes first = p.net.sent[0].data;
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.B().counters().handshakeInitiationsReceived, 1u);
  // Replaying the same initiation later: rejected, no response.
  p.net.RunFor(Seconds(1));
  const size_t responses = p.net.CountSent(p.b, MessageType::HandshakeResponse);
  p.net.Inject(p.b, first, Ep("192.0.2.1:51820"));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::StaleTimestamp), 1u);
  BOOST_CHECK_EQUAL(p.net.CountSent(p.b, MessageType::HandshakeResponse), responses);
  // A second, newer initiation is accepted; then the older one still is not.
  p.net.RunFor(Seconds(10));
  // Force a new handshake from A by waiting for rekey time.
  p.net.RunFor(Seconds(120));
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.B().counters().handshakeInitiationsReceived, 2u);
  p.net.Inject(p.b, first, Ep("192.0.2.1:51820"));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::StaleTimestamp), 2u);
  // The established session is undisturbed by the replays.
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
}

BOOST_AUTO_TEST_CASE(initiations_faster_than_flood_limit_rejected) {
  Pair p;
  // Two genuine initiations 10 ms apart (different timestamps thanks to a jump in the
  // wall clock) are more than one per 20 ms: the second is refused.
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(5));
  // Craft a second initiation from a copy of A with a later wall clock.
  DeviceConfig c;
  c.privateKey = p.keyA.privateKey;
  c.wallClockOffset = Seconds(1.8e9);
  PeerConfig pb;
  pb.publicKey = p.keyB.publicKey;
  pb.allowedIps = {Prefix("10.0.0.2/32")};
  pb.endpoint = Ep("192.0.2.2:51820");
  c.peers.push_back(pb);
  crypto::DeterministicRandom rng(77);
  Device clone(std::move(c), rng, p.net.now);
  Actions a = clone.OnTunnelPacket(p.PacketAtoB(), p.net.now);
  BOOST_REQUIRE_EQUAL(a.toNetwork.size(), 1u);
  p.net.RunFor(Milliseconds(5)); // first initiation consumed at t=10ms
  p.net.Inject(p.b, a.toNetwork[0].data, Ep("192.0.2.1:51820"));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::InitiationFlood), 1u);
  p.net.RunFor(Milliseconds(30));
  p.net.Inject(p.b, a.toNetwork[0].data, Ep("192.0.2.1:51820"));
  BOOST_CHECK_EQUAL(p.B().counters().handshakeInitiationsReceived, 2u);
}

BOOST_AUTO_TEST_CASE(invalid_mac1_costs_no_dh) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  Bytes initiation = p.net.sent[0].data;
  initiation[initiation::kMac1] ^= 1;
  uint64_t before = crypto::X25519OperationCount();
  p.net.Inject(p.b, initiation, Ep("192.0.2.1:51820"));
  BOOST_CHECK_EQUAL(crypto::X25519OperationCount(), before);
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::BadMac1), 1u);
  // A valid MAC1 but a corrupted body does cost DH (and is counted differently).
  Bytes body = p.net.sent[0].data;
  body[50] ^= 1;
  // Recompute MAC1 so that only the body is wrong.
  auto mac1Key = DeriveMac1Key(p.B().publicKey());
  auto mac = crypto::Blake2sMac128(mac1Key, ByteView(body.data(), initiation::kMac1));
  std::copy(mac.begin(), mac.end(), body.begin() + initiation::kMac1);
  before = crypto::X25519OperationCount();
  p.net.Inject(p.b, body, Ep("192.0.2.1:51820"));
  BOOST_CHECK_GT(crypto::X25519OperationCount(), before);
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::HandshakeFailed), 1u);
  // A response with a bad MAC1 is also dropped before any DH.
  p.net.RunFor(Milliseconds(15));
  Bytes response;
  for (const SentRecord &r : p.net.sent)
    if (TypeOf(r.data) == MessageType::HandshakeResponse) response = r.data;
  BOOST_REQUIRE(!response.empty());
  response[response::kMac1 + 3] ^= 0x40;
  before = crypto::X25519OperationCount();
  p.net.Inject(p.a, response, Ep("192.0.2.2:51820"));
  BOOST_CHECK_EQUAL(crypto::X25519OperationCount(), before);
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::BadMac1), 1u);
}

BOOST_AUTO_TEST_CASE(cryptokey_routing_drops_bad_inner_source) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  // A sends a packet whose inner source is not in A's allowed IPs at B (10.0.0.1/32): B
  // drops it after decryption. A routes by destination, so the packet does leave A.
  p.net.SendFromTunnel(p.a, MakeIpPacket(Ip("10.9.9.9"), Ip("10.0.0.2"), 50));
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 1u);
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::BadAllowedIp), 1u);
  // No peer for the destination: dropped at the sender.
  p.net.SendFromTunnel(p.a, MakeIpPacket(Ip("10.0.0.1"), Ip("172.16.0.1"), 50));
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::NoPeerForDestination), 1u);
  // A non-IP tunnel packet is refused.
  p.net.SendFromTunnel(p.a, Bytes{1, 2, 3});
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::InvalidInnerPacket), 1u);
}

BOOST_AUTO_TEST_CASE(routing_picks_peer_by_longest_prefix) {
  crypto::DeterministicRandom rng(5);
  DeviceConfig c;
  c.privateKey = crypto::GenerateX25519KeyPair(rng).privateKey;
  auto k1 = crypto::GenerateX25519KeyPair(rng), k2 = crypto::GenerateX25519KeyPair(rng);
  PeerConfig p1{k1.publicKey,
                std::nullopt,
                {Prefix("0.0.0.0/0"), Prefix("::/0")},
                Ep("192.0.2.10:1"),
                Duration(0)};
  PeerConfig p2{
      k2.publicKey, std::nullopt, {Prefix("10.2.0.0/16")}, Ep("192.0.2.20:1"), Duration(0)};
  c.peers = {p1, p2};
  Device d(std::move(c), rng);
  Actions out = d.OnTunnelPacket(MakeIpPacket(Ip("10.0.0.1"), Ip("10.2.3.4"), 10), Time(0));
  BOOST_REQUIRE_EQUAL(out.toNetwork.size(), 1u);
  BOOST_CHECK(out.toNetwork[0].to == Ep("192.0.2.20:1"));
  out = d.OnTunnelPacket(MakeIpPacket(Ip("10.0.0.1"), Ip("8.8.8.8"), 10), Time(0));
  BOOST_REQUIRE_EQUAL(out.toNetwork.size(), 1u);
  BOOST_CHECK(out.toNetwork[0].to == Ep("192.0.2.10:1"));
  out = d.OnTunnelPacket(MakeIpPacket(Ip("fd00::1"), Ip("2001:db8::1"), 10), Time(0));
  BOOST_CHECK(d.FindPeer(k1.publicKey)->stagedPacketCount() == 2u);
  // Removing the specific peer sends its range to the default peer.
  BOOST_CHECK(d.RemovePeer(k2.publicKey));
  BOOST_CHECK(d.allowedIps().Lookup(Ip("10.2.3.4")) == d.FindPeer(k1.publicKey));
  BOOST_CHECK(!d.RemovePeer(k2.publicKey));
  BOOST_CHECK_THROW(d.AddPeer(p1, Time(0)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(peers_added_and_removed_at_runtime) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  auto keypair = p.PeerOfB().keypairs().current();
  BOOST_REQUIRE(keypair);
  const size_t indices = p.B().indexTable().size();
  BOOST_CHECK_GE(indices, 1u);
  BOOST_REQUIRE(p.B().RemovePeer(p.keyA.publicKey));
  BOOST_CHECK(keypair->IsWiped());
  BOOST_CHECK_EQUAL(p.B().indexTable().size(), 0u);
  // Traffic for the removed peer's session is now unknown.
  p.net.SendFromTunnel(p.a, p.PacketAtoB());
  p.net.RunFor(Milliseconds(100));
  BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::UnknownIndex), 1u);
  // Adding it back allows a fresh handshake (A retries after its new-handshake timer).
  PeerConfig pa{
      p.keyA.publicKey, std::nullopt, {Prefix("10.0.0.1/32")}, Ep("192.0.2.1:51820"), Duration(0)};
  p.B().AddPeer(pa, p.net.now);
  p.net.SendFromTunnel(p.b, p.PacketBtoA());
  p.net.RunFor(Milliseconds(200));
  BOOST_CHECK_EQUAL(p.net.nodes[p.a].delivered.size(), 1u);
}

BOOST_AUTO_TEST_CASE(staged_queue_is_bounded) {
  Pair::Options o;
  o.constants.maxStagedPackets = 4;
  Pair p(o);
  p.net.filter = [](size_t, const Datagram &) { return false; }; // network down
  for (int i = 0; i < 10; ++i)
    p.net.SendFromTunnel(p.a, p.PacketAtoB(static_cast<size_t>(10 + i)));
  BOOST_CHECK_EQUAL(p.PeerOfA().stagedPacketCount(), 4u);
  BOOST_CHECK_EQUAL(p.A().counters().Drops(DropReason::StagedQueueFull), 6u);
  p.net.filter = nullptr;
  p.net.RunFor(Seconds(6)); // retransmitted handshake completes, the newest 4 go out
  BOOST_REQUIRE_EQUAL(p.net.nodes[p.b].delivered.size(), 4u);
  BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered[0].size(), 20u + 8u + 16u);
}

// A what-if replay window (Constants::replayWindow) applies to transport data: with 64
// counters, a packet more than 64 behind the newest is dropped as a replay; with the default
// window the same reordering loses nothing.
BOOST_AUTO_TEST_CASE(configured_replay_window_drops_late_packets) {
  for (uint64_t window : {uint64_t{64}, Constants{}.replayWindow}) {
    BOOST_TEST_CONTEXT("window " << window) {
      Pair::Options o;
      o.constants.replayWindow = window;
      Pair p(o);
      p.net.SendFromTunnel(p.a, p.PacketAtoB());
      p.net.RunFor(Milliseconds(100)); // handshake; B receives packet 0 (counter 0)
      // Hold 200 data packets, then deliver the newest first and the rest in order.
      std::vector<Bytes> held;
      p.net.filter = [&](size_t from, const Datagram &d) {
        if (from == p.a) held.push_back(d.data);
        return from != p.a;
      };
      for (int i = 0; i < 200; ++i)
        p.net.SendFromTunnel(p.a, p.PacketAtoB(40));
      p.net.filter = nullptr;
      BOOST_REQUIRE_EQUAL(held.size(), 200u);
      const Endpoint fromA = p.net.nodes[p.a].endpoint;
      p.net.Inject(p.b, held.back(), fromA); // counter 200
      for (size_t i = 0; i + 1 < held.size(); ++i)
        p.net.Inject(p.b, held[i], fromA); // counters 1..199
      // Counters 1..135 are more than 64 behind 200.
      const uint64_t expectedDrops = window == 64 ? 135 : 0;
      BOOST_CHECK_EQUAL(p.B().counters().Drops(DropReason::Replay), expectedDrops);
      BOOST_CHECK_EQUAL(p.net.nodes[p.b].delivered.size(), 201 - expectedDrops);
    }
  }
  Pair::Options bad;
  bad.constants.replayWindow = 100; // not whole 64-bit words
  BOOST_CHECK_THROW(Pair{bad}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(key_log_events_only_when_enabled) {
  for (bool enabled : {false, true}) {
    Pair::Options o;
    o.keyLog = enabled;
    Pair p(o);
    Recorder ra, rb;
    p.A().SetObserver(&ra);
    p.B().SetObserver(&rb);
    p.net.SendFromTunnel(p.a, p.PacketAtoB());
    p.net.RunFor(Milliseconds(100));
    BOOST_CHECK_EQUAL(ra.Count(EventType::HandshakeInitiationSent), 1u);
    BOOST_CHECK_EQUAL(rb.Count(EventType::HandshakeResponseSent), 1u);
    BOOST_CHECK_EQUAL(ra.Count(EventType::HandshakeCompleted), 1u);
    if (!enabled) {
      BOOST_CHECK(ra.keyLogs.empty() && rb.keyLogs.empty());
      continue;
    }
    BOOST_REQUIRE_EQUAL(ra.keyLogs.size(), 1u);
    BOOST_REQUIRE_EQUAL(rb.keyLogs.size(), 1u);
    const std::string &log = ra.keyLogs[0];
    BOOST_CHECK(
        log.find("LOCAL_STATIC_PRIVATE_KEY = " + crypto::ToBase64(p.keyA.privateKey) + "\n") == 0);
    BOOST_CHECK(log.find("REMOTE_STATIC_PUBLIC_KEY = " + crypto::ToBase64(p.keyB.publicKey)) !=
                std::string::npos);
    BOOST_CHECK(log.find("PRESHARED_KEY = " + crypto::ToBase64(PresharedKey())) !=
                std::string::npos);
    // The logged ephemeral private key is the one whose public half is in the initiation.
    const std::string prefix = "LOCAL_EPHEMERAL_PRIVATE_KEY = ";
    size_t at = log.find(prefix);
    BOOST_REQUIRE(at != std::string::npos);
    std::string b64 = log.substr(at + prefix.size(), 44);
    auto priv = crypto::ArrayFromHex<32>(crypto::ToHex(crypto::FromBase64(b64)));
    auto pub = crypto::X25519PublicFromPrivate(crypto::X25519PrivateKey(priv));
    BOOST_CHECK(
        std::equal(pub.begin(), pub.end(), p.net.sent[0].data.begin() + initiation::kNoiseMessage));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// Buffers handed back with RecycleBuffer (the ns-3 adapter's allocation-free path) are reused
// for decrypted packets: whatever they held, larger or smaller, every delivered packet is
// exactly the one sent, padding stripped.
BOOST_AUTO_TEST_CASE(recycled_buffers_deliver_the_same_packets) {
  Pair p;
  p.net.SendFromTunnel(p.a, p.PacketAtoB(1));
  p.net.RunFor(Milliseconds(100));
  Node &b = p.net.nodes[p.b];
  BOOST_REQUIRE_EQUAL(b.delivered.size(), 1u);
  b.delivered.clear();
  p.net.device(p.b).RecycleBuffer(Bytes(3000, 0xEE));
  p.net.device(p.b).RecycleBuffer(Bytes(3, 0x11));
  for (size_t size : {1300u, 17u, 900u, 1392u, 1u, 600u}) {
    const Bytes sent = p.PacketAtoB(size, size % 2 == 0);
    p.net.SendFromTunnel(p.a, sent);
    p.net.RunFor(Milliseconds(100));
    BOOST_REQUIRE_EQUAL(b.delivered.size(), 1u);
    BOOST_TEST(b.delivered[0] == sent);
    p.net.device(p.b).RecycleBuffer(std::move(b.delivered[0]));
    b.delivered.clear();
  }
  BOOST_TEST(p.net.device(p.b).counters().dataPacketsReceived == 7u);
}

// NAT detection (RFC 7296 2.23) and proposal numbering in the IKEv2 core: what the
// strongSwan interop needs.
#include <boost/test/unit_test.hpp>

#include "ike_harness.h"
#include "ipsec/nat_detection.h"

using namespace tunnelsim;
using namespace tunnelsim::ipsec;
using namespace tunnelsim::ipsec::test;

namespace {

std::string Hex(crypto::ByteView b) {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) {
    s += digits[b.data()[i] >> 4];
    s += digits[b.data()[i] & 15];
  }
  return s;
}

// Runs IKE_SA_INIT and IKE_AUTH between the two configurations.
std::unique_ptr<TwoPeers> Establish(const IkeConfig &a, const IkeConfig &b) {
  auto peers = std::make_unique<TwoPeers>(a, b, 7);
  peers->Start();
  peers->RunUntil(Seconds(5));
  BOOST_TEST(peers->a().ike->state() == IkeState::Established);
  BOOST_TEST(peers->b().ike->state() == IkeState::Established);
  return peers;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ike_nat)

BOOST_AUTO_TEST_CASE(sha1_known_answers) {
  // FIPS 180-2 appendix A examples: one block, two blocks, and the empty message.
  const std::string abc = "abc";
  BOOST_TEST(Hex(Sha1(crypto::ByteView(reinterpret_cast<const uint8_t *>(abc.data()), 3))) ==
             "a9993e364706816aba3e25717850c26c9cd0d89d");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  BOOST_TEST(Hex(Sha1(crypto::ByteView(reinterpret_cast<const uint8_t *>(two.data()),
                                       two.size()))) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  BOOST_TEST(Hex(Sha1(crypto::ByteView())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

BOOST_AUTO_TEST_CASE(nat_detection_hash_covers_spis_address_and_port) {
  const IpAddress a = *IpAddress::Parse("192.0.2.1");
  const crypto::Bytes h = NatDetectionHash(1, 2, a, 500);
  BOOST_TEST(h.size() == kSha1Size);
  BOOST_TEST((h != NatDetectionHash(1, 2, a, 4500)));
  BOOST_TEST((h != NatDetectionHash(1, 3, a, 500)));
  BOOST_TEST((h != NatDetectionHash(1, 2, *IpAddress::Parse("192.0.2.2"), 500)));
  // The input is SPIi | SPIr | address | port, big-endian.
  crypto::Bytes input = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 192, 0, 2, 1, 0x01, 0xf4};
  auto direct = Sha1(input);
  BOOST_TEST((h == crypto::Bytes(direct.begin(), direct.end())));
}

BOOST_AUTO_TEST_CASE(no_nat_means_no_encapsulation) {
  auto peers = Establish(BaseConfig(true), BaseConfig(false));
  BOOST_TEST(!peers->a().ike->udpEncapsulation());
  BOOST_TEST(!peers->b().ike->udpEncapsulation());
}

BOOST_AUTO_TEST_CASE(forced_encapsulation_on_either_side_is_seen_by_both) {
  for (int forcing = 0; forcing < 2; ++forcing) {
    IkeConfig a = BaseConfig(true), b = BaseConfig(false);
    (forcing == 0 ? a : b).forceEncapsulation = true;
    auto peers = Establish(a, b);
    BOOST_TEST(peers->a().ike->udpEncapsulation());
    BOOST_TEST(peers->b().ike->udpEncapsulation());
  }
}

BOOST_AUTO_TEST_CASE(address_translation_is_detected_by_both) {
  // The responder sees the initiator at a translated address: its configured remote address
  // (what the NAT shows) differs from the initiator's own local address.
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  b.remoteAddress = *IpAddress::Parse("203.0.113.7");
  b.remotePort = 40000;
  auto peers = Establish(a, b);
  BOOST_TEST(peers->a().ike->udpEncapsulation());
  BOOST_TEST(peers->b().ike->udpEncapsulation());
}

BOOST_AUTO_TEST_CASE(responder_names_the_proposal_it_accepted) {
  // An initiator offering an unacceptable proposal #1 and ours as #2 (as strongSwan does with
  // several proposals) must get #2 back in the IKE_SA_INIT response.
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  auto peers = std::make_unique<TwoPeers>(a, b, 11);
  int rewritten = 0;
  std::vector<uint8_t> answeredNumbers;
  peers->tamper = [&](int to, crypto::Bytes &datagram) {
    auto header = ParseIkeHeader(datagram);
    if (!header || header->exchange != IkeExchange::IkeSaInit) return true;
    auto parsed = ParseIkeMessage(datagram, std::nullopt);
    if (!parsed.message) return true;
    IkeMessage m = *parsed.message;
    if (to == 1 && !m.response) {
      IkeProposal bogus = m.sa[0];
      bogus.transforms[0].keyLength = 128;
      m.sa[0].number = 2;
      m.sa.insert(m.sa.begin(), bogus);
      std::array<uint8_t, 8> iv{};
      datagram = EncodeIkeMessage(m, std::nullopt, iv);
      ++rewritten;
    } else if (to == 0 && m.response && !m.sa.empty()) {
      answeredNumbers.push_back(m.sa[0].number);
    }
    return true;
  };
  peers->Start();
  peers->RunUntil(Seconds(5));
  BOOST_TEST(rewritten == 1);
  BOOST_REQUIRE_EQUAL(answeredNumbers.size(), 1u);
  BOOST_TEST(answeredNumbers[0] == 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ike_rekeyed_inbound_linger)

BOOST_AUTO_TEST_CASE(old_inbound_sa_accepts_late_packets_until_the_linger_ends) {
  // The peer's data path may still send on the old SA after the Delete exchange (strongSwan's
  // kernel-libipsec does): with a linger the old inbound SA takes such packets, then goes.
  for (Duration linger : {Duration(0), Seconds(3)}) {
    IkeConfig a = BaseConfig(true), b = BaseConfig(false);
    for (IkeConfig *c : {&a, &b}) {
      c->ikeCipher = c->espCipher = EspCipher::ChaCha20Poly1305;
      c->rekeyOverlap = Milliseconds(500);
      c->rekeyedInboundLinger = linger;
    }
    TwoPeers net(a, b, 31);
    net.Start();
    net.RunUntil(Seconds(1));
    BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
    net.Apply(0, net.a().ike->RekeyChildSa(net.now()));
    // b keeps sending on the old SA until a's Delete arrives: capture one such packet.
    const uint8_t src[] = {10, 2, 0, 1}, dst[] = {10, 1, 0, 1};
    const crypto::Bytes inner = test::Ipv4Packet(40, 253, 0x11, src, dst);
    EspProtectResult late = net.b().sad.ProtectTunnel(inner);
    BOOST_REQUIRE(late.status == EspStatus::Ok);
    EspProtectResult later = net.b().sad.ProtectTunnel(inner);
    net.RunUntil(Seconds(2)); // the rekey and the Delete of the old pair are done
    BOOST_REQUIRE(net.a().ike->counters().childSasDeleted == 1u);
    BOOST_TEST(net.a().ike->childSas().size() == 1u);
    const bool lingering = linger.count() > 0;
    BOOST_TEST(net.a().ike->lingeringInboundCount() == (lingering ? 1u : 0u));
    BOOST_TEST(net.a().sad.inboundCount() == (lingering ? 2u : 1u));
    EspOpenResult opened = net.a().sad.Process(late.packet);
    BOOST_TEST((opened.status == (lingering ? EspStatus::Ok : EspStatus::NoSa)));
    net.RunUntil(Seconds(6)); // past the linger
    BOOST_TEST(net.a().ike->lingeringInboundCount() == 0u);
    BOOST_TEST(net.a().sad.inboundCount() == 1u);
    BOOST_TEST((net.a().sad.Process(later.packet).status == EspStatus::NoSa));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ike_liveness)

BOOST_AUTO_TEST_CASE(idle_peer_gets_liveness_checks_and_answers_them) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  a.dpdDelay = Seconds(2);
  TwoPeers net(a, b, 41);
  net.Start();
  net.RunUntil(Seconds(11));
  BOOST_TEST(net.a().ike->state() == IkeState::Established);
  BOOST_TEST(net.b().ike->state() == IkeState::Established);
  // Every 2 s plus a round trip: checks at about 2, 4, 6, 8 and 10 s.
  BOOST_TEST(net.a().ike->counters().livenessChecksSent >= 4u);
  BOOST_TEST(net.a().ike->counters().livenessChecksSent <= 5u);
  BOOST_TEST(net.a().ike->counters().retransmissions == 0u);
  BOOST_TEST(net.b().ike->counters().livenessChecksSent == 0u); // b has no dpdDelay
}

BOOST_AUTO_TEST_CASE(traffic_from_the_peer_makes_checks_unnecessary) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  a.dpdDelay = Seconds(2);
  TwoPeers net(a, b, 42);
  net.tickInterval = Milliseconds(500);
  net.onTick = [&](Time now) { net.a().ike->NotePeerAlive(now); };
  net.Start();
  net.RunUntil(Seconds(11));
  BOOST_TEST(net.a().ike->counters().livenessChecksSent == 0u);
}

BOOST_AUTO_TEST_CASE(dead_peer_fails_the_ike_sa_and_removes_its_child_sas) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  a.dpdDelay = Seconds(2);
  a.retransmit.maxRetransmits = 3;
  TwoPeers net(a, b, 43);
  bool dead = false;
  net.tamper = [&](int, crypto::Bytes &) { return !dead; };
  net.Start();
  net.RunUntil(Seconds(1));
  BOOST_REQUIRE(net.a().ike->state() == IkeState::Established);
  BOOST_REQUIRE(net.a().sad.inboundCount() == 1u);
  dead = true;
  net.RunUntil(Seconds(30));
  BOOST_TEST(net.a().ike->state() == IkeState::Failed);
  BOOST_TEST(net.a().CountEvents(IkeEventType::Timeout) == 1u);
  BOOST_TEST(net.a().ike->counters().livenessChecksSent == 1u);
  BOOST_TEST(net.a().ike->counters().retransmissions == 3u);
  BOOST_TEST(net.a().sad.inboundCount() == 0u);
  BOOST_TEST(net.a().sad.outboundCount() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ike_sa_rekey_by_peer)

// The core never starts an IKE SA rekey, but strongSwan does: this plays the peer (as the
// original initiator `a`) by hand, with a's keys, and checks what `b` does.
BOOST_AUTO_TEST_CASE(responder_rekeys_the_ike_sa_and_answers_the_delete_of_the_old_one) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  TwoPeers net(a, b, 51);
  net.Start();
  net.RunUntil(Seconds(1));
  IkeSa &responder = *net.b().ike;
  BOOST_REQUIRE(responder.state() == IkeState::Established);
  const uint64_t oldSpiI = net.a().ike->spiI(), oldSpiR = net.a().ike->spiR();
  const crypto::Bytes oldSkD = net.a().ike->keys()->skD, oldSkEi = net.a().ike->keys()->skEi,
                      oldSkEr = net.a().ike->keys()->skEr;
  const auto childrenBefore = responder.childSas();
  BOOST_REQUIRE_EQUAL(childrenBefore.size(), 1u);

  crypto::DeterministicRandom rng(99);
  const crypto::X25519KeyPair dh = crypto::GenerateX25519KeyPair(rng);
  const uint64_t newSpiI = 0x1122334455667788ull;
  IkeMessage request;
  request.spiI = oldSpiI;
  request.spiR = oldSpiR;
  request.exchange = IkeExchange::CreateChildSa;
  request.fromInitiator = true;
  request.messageId = 2; // after IKE_SA_INIT (0) and IKE_AUTH (1)
  IkeProposal proposal;
  proposal.protocolId = kProtocolIke;
  proposal.spi = crypto::Bytes(8);
  for (int i = 0; i < 8; ++i)
    proposal.spi[size_t(i)] = uint8_t(newSpiI >> (56 - 8 * i));
  proposal.transforms = {{transform::kEncr, transform::kEncrChaCha20Poly1305, std::nullopt},
                         {transform::kPrf, transform::kPrfHmacSha256, std::nullopt},
                         {transform::kDh, transform::kDhCurve25519, std::nullopt}};
  request.sa = {proposal};
  const crypto::Bytes nonceI(32, 0x42);
  request.nonce = nonceI;
  request.ke = IkeKePayload{transform::kDhCurve25519,
                            crypto::Bytes(dh.publicKey.begin(), dh.publicKey.end())};
  std::array<uint8_t, 8> iv{};
  const IkeSkKey keyI{EspCipher::ChaCha20Poly1305, oldSkEi},
      keyR{EspCipher::ChaCha20Poly1305, oldSkEr};
  IkeActions actions = responder.OnMessage(EncodeIkeMessage(request, keyI, iv), net.now());
  BOOST_REQUIRE_EQUAL(actions.send.size(), 1u);
  BOOST_REQUIRE_EQUAL(actions.events.size(), 1u);
  BOOST_TEST((actions.events[0].type == IkeEventType::IkeSaRekeyed));
  BOOST_TEST(actions.install.empty());
  BOOST_TEST(actions.remove.empty());
  auto parsed = ParseIkeMessage(actions.send[0], keyR); // answered under the old SA
  BOOST_REQUIRE(parsed.message);
  const IkeMessage &reply = *parsed.message;
  BOOST_TEST(reply.spiI == oldSpiI);
  BOOST_REQUIRE_EQUAL(reply.sa.size(), 1u);
  BOOST_REQUIRE_EQUAL(reply.sa[0].spi.size(), 8u);
  BOOST_REQUIRE(reply.ke && reply.nonce);
  uint64_t newSpiR = 0;
  for (uint8_t byte : reply.sa[0].spi)
    newSpiR = newSpiR << 8 | byte;
  crypto::X25519PublicKey peer{};
  std::copy(reply.ke->data.begin(), reply.ke->data.end(), peer.begin());
  auto shared = crypto::X25519(dh.privateKey, peer);
  BOOST_REQUIRE(shared);
  const IkeSaKeys expected = DeriveRekeyedIkeSaKeys(oldSkD, nonceI, *reply.nonce, shared->view(),
                                                    newSpiI, newSpiR, kEspKeymatSize);
  BOOST_TEST(responder.spiI() == newSpiI);
  BOOST_TEST(responder.spiR() == newSpiR);
  BOOST_TEST((responder.keys()->skEi == expected.skEi));
  BOOST_TEST((responder.keys()->skD == expected.skD));
  BOOST_TEST((responder.keys()->skD != oldSkD));
  BOOST_TEST(responder.counters().ikeSasRekeyed == 1u);

  // The peer deletes the old IKE SA on the old SPIs and keys: answered there, Child SA kept.
  IkeMessage del;
  del.spiI = oldSpiI;
  del.spiR = oldSpiR;
  del.exchange = IkeExchange::Informational;
  del.fromInitiator = true;
  del.messageId = 3;
  del.deletes.push_back(IkeDeletePayload{kProtocolIke, {}});
  actions = responder.OnMessage(EncodeIkeMessage(del, keyI, iv), net.now());
  BOOST_REQUIRE_EQUAL(actions.send.size(), 1u);
  auto delReply = ParseIkeMessage(actions.send[0], keyR);
  BOOST_REQUIRE(delReply.message);
  BOOST_TEST(delReply.message->response);
  BOOST_TEST(delReply.message->messageId == 3u);
  BOOST_TEST(actions.events.empty());
  BOOST_TEST(actions.remove.empty());
  BOOST_TEST(responder.state() == IkeState::Established);
  BOOST_TEST(responder.childSas().size() == 1u);

  // The new IKE SA starts at message ID 0 with the new keys; the peer is now its initiator.
  const IkeSkKey newKeyI{EspCipher::ChaCha20Poly1305, expected.skEi},
      newKeyR{EspCipher::ChaCha20Poly1305, expected.skEr};
  IkeMessage ping;
  ping.spiI = newSpiI;
  ping.spiR = newSpiR;
  ping.exchange = IkeExchange::Informational;
  ping.fromInitiator = true;
  ping.messageId = 0;
  actions = responder.OnMessage(EncodeIkeMessage(ping, newKeyI, iv), net.now());
  BOOST_REQUIRE_EQUAL(actions.send.size(), 1u);
  auto pong = ParseIkeMessage(actions.send[0], newKeyR);
  BOOST_REQUIRE(pong.message);
  BOOST_TEST(pong.message->spiI == newSpiI);
  BOOST_TEST(!pong.message->fromInitiator);
  BOOST_TEST(responder.counters().dropIntegrity == 0u);
}

BOOST_AUTO_TEST_CASE(ike_rekey_with_another_group_gets_invalid_ke) {
  IkeConfig a = BaseConfig(true), b = BaseConfig(false);
  a.ikeCipher = b.ikeCipher = a.espCipher = b.espCipher = EspCipher::ChaCha20Poly1305;
  TwoPeers net(a, b, 52);
  net.Start();
  net.RunUntil(Seconds(1));
  IkeMessage request;
  request.spiI = net.a().ike->spiI();
  request.spiR = net.a().ike->spiR();
  request.exchange = IkeExchange::CreateChildSa;
  request.fromInitiator = true;
  request.messageId = 2;
  IkeProposal proposal;
  proposal.protocolId = kProtocolIke;
  proposal.spi = crypto::Bytes(8, 7);
  proposal.transforms = {{transform::kEncr, transform::kEncrChaCha20Poly1305, std::nullopt},
                         {transform::kPrf, transform::kPrfHmacSha256, std::nullopt},
                         {transform::kDh, transform::kDhCurve25519, std::nullopt},
                         {transform::kDh, 19, std::nullopt}};
  request.sa = {proposal};
  request.nonce = crypto::Bytes(32, 1);
  request.ke = IkeKePayload{19, crypto::Bytes(64, 3)};
  std::array<uint8_t, 8> iv{};
  const crypto::Bytes skEi = net.a().ike->keys()->skEi, skEr = net.a().ike->keys()->skEr;
  IkeActions actions = net.b().ike->OnMessage(
      EncodeIkeMessage(request, IkeSkKey{EspCipher::ChaCha20Poly1305, skEi}, iv), net.now());
  BOOST_REQUIRE_EQUAL(actions.send.size(), 1u);
  auto reply = ParseIkeMessage(actions.send[0], IkeSkKey{EspCipher::ChaCha20Poly1305, skEr});
  BOOST_REQUIRE(reply.message);
  const IkeNotifyPayload *n = reply.message->FindNotify(notify::kInvalidKePayload);
  BOOST_REQUIRE(n);
  BOOST_TEST(n->data.size() == 2u);
  BOOST_TEST(n->data[1] == 31u);
  BOOST_TEST(net.b().ike->spiI() == net.a().ike->spiI()); // nothing changed
  BOOST_TEST(net.b().ike->counters().ikeSasRekeyed == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

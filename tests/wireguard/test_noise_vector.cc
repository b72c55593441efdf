// The cacophony Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s vector, reproduced byte for byte by
// the same handshake and transport functions the WireGuard device uses.
#include "crypto/bytes.h"
#include "crypto/x25519.h"
#include "wireguard/handshake.h"
#include "wireguard/messages.h"
#include "wireguard/noise_ikpsk2.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using crypto::Bytes;
using crypto::FromHex;
using crypto::ToHex;

namespace {

nlohmann::json LoadVector() {
  std::ifstream in(std::string(TUNNELSIM_SOURCE_DIR) + "/tests/wireguard/data/noise-ikpsk2.json");
  BOOST_REQUIRE(in.good());
  nlohmann::json doc = nlohmann::json::parse(in);
  for (const auto &v : doc["vectors"])
    if (v["protocol_name"] == kNoiseProtocolName) return v;
  BOOST_FAIL("no Noise_IKpsk2 vector in the file");
  return {};
}

crypto::X25519KeyPair KeyPairFromHex(const std::string &hex) {
  return crypto::X25519KeyPairFromPrivate(crypto::X25519PrivateKey(crypto::ArrayFromHex<32>(hex)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(noise_vector)

BOOST_AUTO_TEST_CASE(cacophony_ikpsk2_byte_for_byte) {
  const auto v = LoadVector();
  const Bytes prologue = FromHex(v["init_prologue"]);
  BOOST_REQUIRE_EQUAL(ToHex(prologue), v["resp_prologue"].get<std::string>());
  const PresharedKey psk(crypto::ArrayFromHex<32>(v["init_psks"][0]));
  BOOST_REQUIRE(v["init_psks"][0] == v["resp_psks"][0]);
  const auto initStatic = KeyPairFromHex(v["init_static"]);
  const auto initEphemeral = KeyPairFromHex(v["init_ephemeral"]);
  const auto respStatic = KeyPairFromHex(v["resp_static"]);
  const auto respEphemeral = KeyPairFromHex(v["resp_ephemeral"]);
  const auto remoteStatic = crypto::ArrayFromHex<32>(v["init_remote_static"]);
  BOOST_REQUIRE(remoteStatic == respStatic.publicKey);

  NoiseIkpsk2 initiator;
  NoiseIkpsk2 responder;
  initiator.StartInitiator(prologue, initStatic, remoteStatic);
  responder.StartResponder(prologue, respStatic);

  const auto &messages = v["messages"];
  BOOST_REQUIRE_GE(messages.size(), 3u);

  // Message A: initiator -> responder.
  const Bytes payloadA = FromHex(messages[0]["payload"]);
  Bytes messageA(NoiseMessageASize(payloadA.size()));
  BOOST_REQUIRE(initiator.WriteMessageA(initEphemeral, payloadA, messageA.data()));
  BOOST_CHECK_EQUAL(ToHex(messageA), messages[0]["ciphertext"].get<std::string>());
  Bytes readA(payloadA.size());
  BOOST_REQUIRE(responder.ReadMessageA(messageA, readA.data()));
  BOOST_CHECK(readA == payloadA);
  BOOST_CHECK(responder.remoteStatic() == initStatic.publicKey);

  // Message B: responder -> initiator.
  const Bytes payloadB = FromHex(messages[1]["payload"]);
  Bytes messageB(NoiseMessageBSize(payloadB.size()));
  BOOST_REQUIRE(responder.WriteMessageB(respEphemeral, psk, payloadB, messageB.data()));
  BOOST_CHECK_EQUAL(ToHex(messageB), messages[1]["ciphertext"].get<std::string>());
  Bytes readB(payloadB.size());
  BOOST_REQUIRE(initiator.ReadMessageB(messageB, psk, readB.data()));
  BOOST_CHECK(readB == payloadB);

  BOOST_CHECK_EQUAL(ToHex(initiator.handshakeHash()), v["handshake_hash"].get<std::string>());
  BOOST_CHECK_EQUAL(ToHex(responder.handshakeHash()), v["handshake_hash"].get<std::string>());

  // Transport messages after Split(): alternating directions, each side counting its own
  // nonces from zero, through the same seal/open functions as WireGuard transport data.
  const NoiseTransportKeys initKeys = initiator.Split();
  const NoiseTransportKeys respKeys = responder.Split();
  uint64_t initNonce = 0, respNonce = 0;
  for (size_t i = 2; i < messages.size(); ++i) {
    const bool fromInitiator = i % 2 == 0;
    const Bytes payload = FromHex(messages[i]["payload"]);
    Bytes sealed(payload.size() + crypto::kAeadTagSize);
    uint64_t &nonce = fromInitiator ? initNonce : respNonce;
    NoiseTransportSeal(fromInitiator ? initKeys.sending : respKeys.sending, nonce, payload,
                       sealed.data());
    BOOST_CHECK_EQUAL(ToHex(sealed), messages[i]["ciphertext"].get<std::string>());
    Bytes opened(payload.size());
    BOOST_REQUIRE(NoiseTransportOpen(fromInitiator ? respKeys.receiving : initKeys.receiving, nonce,
                                     sealed, opened.data()));
    BOOST_CHECK(opened == payload);
    ++nonce;
  }
}

BOOST_AUTO_TEST_CASE(tampered_messages_leave_state_unchanged) {
  const auto v = LoadVector();
  const Bytes prologue = FromHex(v["init_prologue"]);
  const PresharedKey psk(crypto::ArrayFromHex<32>(v["init_psks"][0]));
  const auto initStatic = KeyPairFromHex(v["init_static"]);
  const auto respStatic = KeyPairFromHex(v["resp_static"]);
  NoiseIkpsk2 initiator, responder;
  initiator.StartInitiator(prologue, initStatic, respStatic.publicKey);
  responder.StartResponder(prologue, respStatic);
  Bytes a(NoiseMessageASize(0));
  BOOST_REQUIRE(initiator.WriteMessageA(KeyPairFromHex(v["init_ephemeral"]), {}, a.data()));
  Bytes bad = a;
  bad[40] ^= 1;
  uint8_t none[1];
  BOOST_CHECK(!responder.ReadMessageA(bad, none));
  BOOST_REQUIRE(responder.ReadMessageA(a, none)); // the failure did not disturb the state
  Bytes b(NoiseMessageBSize(0));
  BOOST_REQUIRE(responder.WriteMessageB(KeyPairFromHex(v["resp_ephemeral"]), psk, {}, b.data()));
  PresharedKey wrongPsk;
  BOOST_CHECK(!initiator.ReadMessageB(b, wrongPsk, none));
  BOOST_CHECK(initiator.ReadMessageB(b, psk, none));
  BOOST_CHECK(initiator.handshakeHash() == responder.handshakeHash());
}

BOOST_AUTO_TEST_CASE(wireguard_messages_have_spec_sizes_and_identifiers) {
  BOOST_CHECK_EQUAL(std::string(kNoiseProtocolName), "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");
  BOOST_CHECK_EQUAL(std::string(kWireGuardIdentifier), "WireGuard v1 zx2c4 Jason@zx2c4.com");
  BOOST_CHECK_EQUAL(initiation::kNoiseMessageSize, NoiseMessageASize(12));
  BOOST_CHECK_EQUAL(response::kNoiseMessageSize, NoiseMessageBSize(0));
  BOOST_CHECK_EQUAL(initiation::kMac2 + kMacSize, initiation::kSize);
  BOOST_CHECK_EQUAL(response::kMac2 + kMacSize, response::kSize);
  BOOST_CHECK_EQUAL(initiation::kSize, 148u);
  BOOST_CHECK_EQUAL(response::kSize, 92u);
  BOOST_CHECK_EQUAL(cookie_reply::kSize, 64u);

  crypto::DeterministicRandom rng(9);
  auto si = crypto::GenerateX25519KeyPair(rng);
  auto sr = crypto::GenerateX25519KeyPair(rng);
  Handshake initiatorHs, responderHs;
  Bytes init(initiation::kSize);
  auto ts = crypto::Tai64nFromUnix(1700000000, 0);
  BOOST_REQUIRE(CreateInitiation(initiatorHs, si, sr.publicKey, crypto::GenerateX25519KeyPair(rng),
                                 0x11223344, ts, init.data()));
  BOOST_CHECK_EQUAL(ToHex(crypto::ByteView(init.data(), 8)), "0100000044332211");
  auto consumed = ConsumeInitiation(init, sr);
  BOOST_REQUIRE(consumed);
  BOOST_CHECK(consumed->timestamp == ts);
  BOOST_CHECK(consumed->noise.remoteStatic() == si.publicKey);
  BOOST_CHECK_EQUAL(consumed->senderIndex, 0x11223344u);
  responderHs.noise = consumed->noise;
  responderHs.remoteIndex = consumed->senderIndex;
  responderHs.state = HandshakeState::InitiationConsumed;
  Bytes resp(response::kSize);
  PresharedKey psk;
  BOOST_REQUIRE(CreateResponse(responderHs, crypto::GenerateX25519KeyPair(rng), psk, 0x55667788,
                               resp.data()));
  BOOST_CHECK_EQUAL(ToHex(crypto::ByteView(resp.data(), 12)), "020000008877665544332211");
  BOOST_REQUIRE(ConsumeResponse(initiatorHs, resp, psk));
  auto ki = initiatorHs.noise.Split();
  auto kr = responderHs.noise.Split();
  BOOST_CHECK(ki.sending == kr.receiving);
  BOOST_CHECK(ki.receiving == kr.sending);
  BOOST_CHECK(ki.sending != ki.receiving);
}

BOOST_AUTO_TEST_SUITE_END()

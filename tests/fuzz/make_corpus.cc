// Writes the committed seed corpus (tests/fuzz/corpus/<target>/): a handful of small valid
// inputs per target, produced by driving the real cores through the same fixtures the fuzz
// targets use, so every seed replays exactly and starts the fuzzer deep inside a protocol.
//
//   fuzz_make_corpus tests/fuzz/corpus
#include "crypto/aead.h"
#include "esp_fixture.h"
#include "gre/gre_tunnel.h"
#include "ike_world.h"
#include "wireguard_world.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

using namespace tunnelsim;
using crypto::Bytes;
using crypto::ByteView;

namespace {

std::filesystem::path outRoot;

void Write(const std::string &target, const std::string &name, ByteView bytes) {
  const auto dir = outRoot / target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}
void WriteText(const std::string &target, const std::string &name, const std::string &text) {
  Write(target, name, ByteView(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

// Appends the fields FuzzInput reads, in its byte order.
class Script {
public:
  Script &U8(uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  Script &U16(uint16_t v) { return U8(uint8_t(v >> 8)).U8(uint8_t(v)); }
  Script &U32(uint32_t v) { return U16(uint16_t(v >> 16)).U16(uint16_t(v)); }
  Script &U64(uint64_t v) { return U32(uint32_t(v >> 32)).U32(uint32_t(v)); }
  Script &Field(ByteView b) {
    U16(uint16_t(b.size()));
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  Script &Raw(ByteView b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  const Bytes &bytes() const { return bytes_; }

private:
  Bytes bytes_;
};

// ---- WireGuard device -------------------------------------------------------------------
using fuzz::WireguardScriptOp;
uint8_t Op(WireguardScriptOp op) { return uint8_t(op); }

// Runs a script on a fresh world (to capture the datagrams it produces) and writes it.
void WireguardSeeds() {
  using namespace fuzz;
  const uint8_t start = kWgAStartsHandshake;
  auto deliver = Op(WireguardScriptOp::Deliver);
  auto advanceSeconds = uint8_t(Op(WireguardScriptOp::Advance) | 8);

  // A full handshake, the staged packet, a reply, keepalives.
  Script handshake;
  handshake.U8(start).U8(deliver).U8(deliver).U8(deliver);
  handshake.U8(Op(WireguardScriptOp::Tunnel)).U8(1).U16(100).U8(7).U8(deliver);
  handshake.U8(advanceSeconds).U16(11).U8(deliver);
  Write("wireguard_device", "handshake-data", handshake.bytes());

  // The same with PSK, short timers and small message limits, then enough traffic and time
  // for rekeys by message count and by time, IPv6 inside.
  Script rekey;
  rekey.U8(start | kWgPsk | kWgShortTimers | kWgSmallLimits).U8(deliver).U8(deliver).U8(deliver);
  for (int i = 0; i < 8; ++i)
    rekey.U8(Op(WireguardScriptOp::Tunnel))
        .U8(i & 1 ? 2 : 3)
        .U16(uint16_t(40 + i))
        .U8(uint8_t(i))
        .U8(deliver);
  rekey.U8(deliver).U8(deliver).U8(advanceSeconds).U16(4).U8(deliver).U8(deliver).U8(deliver);
  Write("wireguard_device", "psk-rekey", rekey.bytes());

  // B under load: a cookie reply, then the retried initiation with MAC2.
  Script cookie;
  cookie.U8(start | kWgBUnderLoad).U8(deliver).U8(deliver);
  cookie.U8(advanceSeconds).U16(6).U8(deliver).U8(deliver).U8(deliver);
  Write("wireguard_device", "cookie-under-load", cookie.bytes());

  // A cookie reply made by the script's own operation, then a mutated initiation with a fixed
  // MAC1, a replayed transport message, and roaming from the attacker's address.
  Script attack;
  attack.U8(start).U8(Op(WireguardScriptOp::CookieReply)).U8(0);
  attack.U8(Op(WireguardScriptOp::Duplicate))
      .U8(Op(WireguardScriptOp::DeliverMutated))
      .U8(1)
      .U16(40)
      .U8(0x01)
      .U8(1);
  attack.U8(deliver).U8(deliver).U8(deliver).U8(Op(WireguardScriptOp::Tunnel)).U8(0).U16(20).U8(9);
  attack.U8(Op(WireguardScriptOp::Duplicate)).U8(deliver).U8(deliver);
  attack.U8(Op(WireguardScriptOp::DeliverMutated)).U8(0).U8(4);
  Write("wireguard_device", "mutations", attack.bytes());

  // Persistent keepalive and an endpoint B learns from the handshake.
  Script keepalive;
  keepalive.U8(kWgKeepalive | kWgBNoEndpoint).U8(Op(WireguardScriptOp::Advance)).U16(1);
  keepalive.U8(deliver).U8(deliver).U8(advanceSeconds).U16(26).U8(deliver);
  keepalive.U8(Op(WireguardScriptOp::Tunnel)).U8(1).U16(64).U8(3).U8(deliver);
  Write("wireguard_device", "keepalive-learn-endpoint", keepalive.bytes());

  // Real datagrams of all four types, injected as raw bytes: the byte-level mutator then
  // works on the messages themselves.
  WireguardWorld world(start);
  Bytes initiation = world.wire().front().data;
  world.Step(*std::make_unique<FuzzInput>(&deliver, 1));
  Bytes response = world.wire().front().data;
  world.Step(*std::make_unique<FuzzInput>(&deliver, 1));
  Bytes transport = world.wire().front().data;
  auto cookieReply = world.CookieReplyTo(0);
  Script raw;
  raw.U8(start).U8(Op(WireguardScriptOp::Inject)).U8(1).Field(initiation);
  raw.U8(Op(WireguardScriptOp::Inject)).U8(0).Field(response);
  raw.U8(Op(WireguardScriptOp::Inject)).U8(1).Field(transport);
  raw.U8(Op(WireguardScriptOp::Inject)).U8(0).Field(*cookieReply);
  Write("wireguard_device", "raw-messages", raw.bytes());
  Script garbage;
  garbage.U8(0).U8(Op(WireguardScriptOp::Inject)).U8(1).Field(Bytes{4, 0, 0, 0, 1, 2, 3, 4});
  garbage.U8(Op(WireguardScriptOp::Tunnel)).U8(8).Field(Bytes{0x45, 0, 0, 20});
  Write("wireguard_device", "garbage", garbage.bytes());
}

// ---- wg-quick configuration ---------------------------------------------------------------
void WireguardConfigSeeds() {
  crypto::DeterministicRandom rng(5);
  auto keyA = crypto::GenerateX25519KeyPair(rng);
  auto keyB = crypto::GenerateX25519KeyPair(rng);
  const std::string privA = crypto::ToBase64(keyA.privateKey.view());
  const std::string pubB = crypto::ToBase64(ByteView(keyB.publicKey));
  const std::string pubA = crypto::ToBase64(ByteView(keyA.publicKey));
  WriteText("wireguard_config", "minimal",
            "[Interface]\nPrivateKey = " + privA + "\n\n[Peer]\nPublicKey = " + pubB +
                "\nAllowedIPs = 10.0.0.2/32\n");
  WriteText("wireguard_config", "full",
            "# site A\n[Interface]\nPrivateKey = " + privA +
                "\nListenPort = 51820\nMTU = 1380\nFwMark = 0x42\nAddress = 10.0.0.1/24, "
                "fd00::1/64\nDNS = 10.0.0.53, example.com\nTable = off\nPostUp = echo up\n"
                "SaveConfig = false\n\n[Peer]\nPublicKey = " +
                pubB + "\nPresharedKey = " + pubA +
                "\nAllowedIPs = 10.0.0.0/24, fd00::/64\nAllowedIPs = 0.0.0.0/0\n"
                "Endpoint = [2001:db8::2]:51820\nPersistentKeepalive = 25\n");
  WriteText("wireguard_config", "two-peers",
            "[interface]\nprivatekey=" + privA + "\n[peer]\npublickey=" + pubB +
                "\nendpoint=192.0.2.2:51820\npersistentkeepalive=off\n[PEER]\nPublicKey=" + pubA +
                "\nAllowedIPs=\n");
}

// ---- ESP ---------------------------------------------------------------------------------
void EspSeeds() {
  const auto sas = fuzz::EspFixtureSas(64);
  auto ipv4 = fuzz::WgIpPacket(false, (const uint8_t *)"\x0a\x01\x00\x01",
                               (const uint8_t *)"\x0a\x02\x00\x01", 40, 0x5a);
  // Proper seals (kind 1, next header 4) on each tunnel-mode SA, in and out of order.
  Script sealed;
  sealed.U8(0);
  for (uint64_t seq : {1, 2, 5, 3, 3})
    sealed.U8(1 | (4 << 2)).U8(0).U64(seq).Field(ipv4);
  sealed.U8(1 | (4 << 2)).U8(1).U64((uint64_t(1) << 32) + 7).Field(ipv4);
  sealed.U8(1 | (47 << 2)).U8(2).U64(1).Field(Bytes{0, 0, 8, 0});
  sealed.U8(1 | (59 << 2)).U8(0).U64(9).Field(Bytes{});
  Write("esp", "sealed-records", sealed.bytes());
  // Raw packets as an outbound SA with the same keys sends them.
  Script raw;
  raw.U8(2);
  for (const auto &config : sas) {
    ipsec::EspSa out(config);
    for (int i = 0; i < 2; ++i) {
      auto r = out.Seal(ipv4, config.mode == ipsec::EspMode::Tunnel ? 4 : 17);
      raw.U8(0).U8(0).U64(0).Field(r.packet);
    }
  }
  Write("esp", "raw-packets", raw.bytes());
  // Whole plaintexts (kind 2): a correct trailer, a bad pad, a pad length past the start.
  Script plain;
  plain.U8(3);
  Bytes good = ipv4;
  good.insert(good.end(), {1, 2, 2, 4});
  plain.U8(2).U8(0).U64(1).Field(good);
  plain.U8(2).U8(0).U64(2).Field(Bytes{0x45, 1, 3, 2, 4, 9, 0xff, 4});
  plain.U8(3 | (4 << 2)).U8(1).U64(0x0102).Field(ipv4);
  Write("esp", "trailers", plain.bytes());
}

// ---- GRE ---------------------------------------------------------------------------------
void GreSeeds() {
  auto ipv4 = fuzz::WgIpPacket(false, (const uint8_t *)"\x0a\x01\x00\x01",
                               (const uint8_t *)"\x0a\x02\x00\x01", 12, 0x33);
  uint8_t six[16] = {0xfd};
  auto ipv6 = fuzz::WgIpPacket(true, six, six, 8, 0x66);
  for (uint8_t options : {0, 1 | 8 | 16, 1 | 2 | 4 | 8 | 16, 2 | 8 | 32}) {
    gre::GreConfig send;
    if (options & 1) send.outputKey = 0x01020304;
    send.outputSequence = options & 8;
    send.outputChecksum = options & 16;
    send.initialSequence = (options & 32) ? 0xfffffff0u : 0;
    gre::GreTunnel sender(send);
    Script s;
    s.U8(options).U8(1).Field(ipv4).U8(1).Field(ipv6);
    s.U8(0).Field(*sender.Encapsulate(ipv4)).U8(0).Field(*sender.Encapsulate(ipv6));
    s.U8(1 | 2 | (3 << 2)).Field(ipv4);
    Write("gre", "options-" + std::to_string(options), s.bytes());
  }
}

// ---- IKEv2 -------------------------------------------------------------------------------
// The plaintext inside an SK payload of a datagram the initiator sent, with its first
// payload type: what an InjectSealed operation needs to replay the initiator's request.
std::pair<uint8_t, Bytes> OpenSk(const fuzz::IkeWorld &world, ByteView datagram,
                                 const ipsec::IkeSa &initiator) {
  const ipsec::IkeSaKeys *keys = initiator.keys();
  const uint8_t *sk = datagram.data() + ipsec::kIkeHeaderSize;
  uint8_t nonce[12];
  std::memcpy(nonce, keys->skEi.data() + ipsec::kEspKeySize, ipsec::kEspSaltSize);
  std::memcpy(nonce + ipsec::kEspSaltSize, sk + 4, 8);
  crypto::AeadKey key;
  std::memcpy(key.data(), keys->skEi.data(), ipsec::kEspKeySize);
  auto plain = crypto::AeadOpen(ipsec::AeadFor(initiator.config().ikeCipher), key,
                                ByteView(nonce, 12), datagram.subview(ipsec::kIkeHeaderSize + 12),
                                datagram.subview(0, ipsec::kIkeHeaderSize + 4));
  (void)world;
  if (!plain) throw std::runtime_error("cannot open the initiator's SK payload");
  return {sk[0], *plain};
}

void IkeSeeds() {
  using fuzz::IkeScriptOp;
  auto op = [](IkeScriptOp o) { return uint8_t(o); };
  const uint8_t toR = op(IkeScriptOp::DeliverToR), toI = op(IkeScriptOp::DeliverToI);

  // Whole conversations between the two: establish, rekey from either side, delete.
  Script full;
  full.U8(0).U8(toR).U8(toI).U8(toR).U8(toI);
  full.U8(op(IkeScriptOp::InitiatorAction)).U8(0).U8(toR).U8(toI);
  full.U8(op(IkeScriptOp::ResponderAction)).U8(0).U8(toI).U8(toR);
  full.U8(op(IkeScriptOp::Advance) | 8).U16(3).U8(toR).U8(toI).U8(toI).U8(toR);
  full.U8(op(IkeScriptOp::InitiatorAction)).U8(1).U8(toR).U8(toI);
  full.U8(op(IkeScriptOp::InitiatorAction)).U8(2).U8(toR).U8(toI);
  Write("ike_sa", "conversation", full.bytes());

  Script pfs;
  pfs.U8(2 | fuzz::kIkePfs | fuzz::kIkeChaCha | fuzz::kIkeEsn | fuzz::kIkeBreakBeforeMake);
  pfs.U8(op(IkeScriptOp::InitiatorAction)).U8(0).U8(toR).U8(toI).U8(toR).U8(toI);
  pfs.U8(op(IkeScriptOp::ResponderAction)).U8(4).U8(toI).U8(toR).U8(toR).U8(toI);
  Write("ike_sa", "pfs-break-before-make", pfs.bytes());

  Script lifetimes;
  lifetimes.U8(2 | fuzz::kIkeShortLifetime | fuzz::kIkeTransport);
  lifetimes.U8(op(IkeScriptOp::Advance) | 8).U16(3).U8(toR).U8(toI).U8(toR).U8(toI);
  lifetimes.U8(op(IkeScriptOp::Advance))
      .U16(600)
      .U8(op(IkeScriptOp::DeliverMutated))
      .U8(0)
      .U16(30)
      .U8(0x80);
  lifetimes.U8(op(IkeScriptOp::Advance) | 8).U16(20);
  Write("ike_sa", "lifetimes-retransmits", lifetimes.bytes());

  // The initiator's own requests re-sent through InjectSealed, so the fuzzer mutates the
  // payload chains inside the encryption.
  fuzz::IkeWorld atInit(1);
  const Bytes authRequest = atInit.toResponder().front();
  auto [authFirst, authPlain] = OpenSk(atInit, authRequest, atInit.initiator());
  Script auth;
  auth.U8(1)
      .U8(op(IkeScriptOp::InjectSealed))
      .U8(1)
      .U8(0)
      .U8(1)
      .U32(1)
      .U8(authFirst)
      .Field(authPlain)
      .U8(toI);
  Write("ike_sa", "sealed-ike-auth", auth.bytes());

  fuzz::IkeWorld established(2);
  established.Step(*std::make_unique<fuzz::FuzzInput>((const uint8_t *)"\x07\x00", 2));
  const Bytes rekeyRequest = established.toResponder().front();
  auto [rekeyFirst, rekeyPlain] = OpenSk(established, rekeyRequest, established.initiator());
  Script rekey;
  rekey.U8(2)
      .U8(op(IkeScriptOp::InjectSealed))
      .U8(2)
      .U8(0)
      .U8(1)
      .U32(2)
      .U8(rekeyFirst)
      .Field(rekeyPlain);
  rekey.U8(op(IkeScriptOp::InjectSealed))
      .U8(3)
      .U8(0)
      .U8(1)
      .U32(3)
      .U8(ipsec::payload::kDelete)
      .Field(Bytes{0, 0, 0, 12, 3, 4, 0, 1, 0, 0, 0, 0, 0});
  Write("ike_sa", "sealed-create-child-delete", rekey.bytes());

  // The parser target: clear IKE_SA_INIT datagrams, and the same inner chains in mode 3.
  fuzz::IkeWorld fresh(0);
  Bytes init = fresh.toResponder().front();
  Script clear;
  clear.U8(0).Raw(init);
  Write("ike_message", "ike-sa-init-request", clear.bytes());
  Script sealedAuth;
  sealedAuth.U8(3).U8(35).U8(ipsec::flags::kInitiator).U32(1).U8(authFirst).Raw(authPlain);
  Write("ike_message", "sealed-ike-auth", sealedAuth.bytes());
  Script sealedRekey;
  sealedRekey.U8(3).U8(36).U8(ipsec::flags::kInitiator).U32(2).U8(rekeyFirst).Raw(rekeyPlain);
  Write("ike_message", "sealed-create-child", sealedRekey.bytes());
  Script notify;
  notify.U8(3)
      .U8(37)
      .U8(ipsec::flags::kResponse)
      .U32(4)
      .U8(ipsec::payload::kNotify)
      .Raw(Bytes{0, 0, 0, 8, 0, 0, 0, 24, 0});
  Write("ike_message", "sealed-notify", notify.bytes());
}

// ---- netem -------------------------------------------------------------------------------
void NetemSeeds() {
  const char *seeds[] = {
      "tc qdisc add dev eth0 root netem delay 100ms 10ms 25% distribution normal",
      "delay 20ms 5ms loss gemodel 1% 10% 70% 0.1%",
      "loss state 1% 30% 2% 5% 0.1% ecn",
      "duplicate 1% 20% corrupt 0.1% reorder 25% 50% gap 5 delay 10ms",
      "rate 5kbit 20 100 5 limit 100 seed 42",
      "del 5ms dup 1% loss random 0.5%",
  };
  int n = 0;
  for (const char *s : seeds)
    WriteText("netem", "seed-" + std::to_string(n++), s);
}

// ---- scenario files ----------------------------------------------------------------------
// The library's scenarios, and one with `--set` overrides after a NUL (fuzz_scenario's format).
void ScenarioSeeds(const std::filesystem::path &library) {
  if (!std::filesystem::is_directory(library)) return;
  for (const auto &entry : std::filesystem::directory_iterator(library)) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    WriteText("scenario", entry.path().filename().string(), text);
    if (entry.path().stem() == "loss-sweep")
      WriteText("scenario", "loss-sweep-overrides",
                text + std::string(1, '\0') + "tunnel.type=gre\nduration=3s\n");
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus OUTPUT_DIR\n";
    return 2;
  }
  outRoot = argv[1];
  WireguardSeeds();
  WireguardConfigSeeds();
  EspSeeds();
  GreSeeds();
  IkeSeeds();
  NetemSeeds();
  ScenarioSeeds(std::filesystem::path(TUNNELSIM_SOURCE_DIR) / "scenarios" / "library");
  return 0;
}

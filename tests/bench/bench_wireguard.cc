// WireGuard core throughput: full handshakes (initiation, response, consumption) and
// transport encrypt + decrypt of a 1420-byte inner packet.
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "wireguard/device.h"
#include "wireguard/handshake.h"
#include "wireguard/messages.h"

#include <benchmark/benchmark.h>

namespace {

using namespace tunnelsim;
using namespace tunnelsim::wireguard;
using crypto::Bytes;

// Two devices that know each other; traffic is handed across by hand.
struct BenchPair {
  crypto::DeterministicRandom rngA{1}, rngB{2}, keys{3};
  crypto::X25519KeyPair keyA = crypto::GenerateX25519KeyPair(keys);
  crypto::X25519KeyPair keyB = crypto::GenerateX25519KeyPair(keys);
  Endpoint endA = *Endpoint::Parse("192.0.2.1:51820");
  Endpoint endB = *Endpoint::Parse("192.0.2.2:51820");
  std::unique_ptr<Device> a, b;

  BenchPair() {
    DeviceConfig ca, cb;
    ca.privateKey = keyA.privateKey;
    cb.privateKey = keyB.privateKey;
    ca.peers.push_back(
        PeerConfig{keyB.publicKey, std::nullopt, {*IpPrefix::Parse("10.0.0.2/32")}, endB, {}});
    cb.peers.push_back(
        PeerConfig{keyA.publicKey, std::nullopt, {*IpPrefix::Parse("10.0.0.1/32")}, endA, {}});
    a = std::make_unique<Device>(std::move(ca), rngA);
    b = std::make_unique<Device>(std::move(cb), rngB);
  }
};

Bytes Ipv4Packet(size_t total) {
  Bytes p(total, 0x5c);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(total >> 8);
  p[3] = static_cast<uint8_t>(total);
  p[6] = p[7] = 0;
  p[9] = 17;
  const uint8_t src[] = {10, 0, 0, 1}, dst[] = {10, 0, 0, 2};
  std::copy(src, src + 4, p.begin() + 12);
  std::copy(dst, dst + 4, p.begin() + 16);
  return p;
}

void BM_WireGuardHandshake(benchmark::State &state) {
  crypto::DeterministicRandom rng(7);
  auto initiatorStatic = crypto::GenerateX25519KeyPair(rng);
  auto responderStatic = crypto::GenerateX25519KeyPair(rng);
  PresharedKey psk;
  uint64_t second = 1700000000;
  for (auto _ : state) {
    Handshake initiator, responder;
    Bytes init(initiation::kSize), resp(response::kSize);
    bool ok = CreateInitiation(initiator, initiatorStatic, responderStatic.publicKey,
                               crypto::GenerateX25519KeyPair(rng), 1,
                               crypto::Tai64nFromUnix(++second, 0), init.data());
    auto consumed = ConsumeInitiation(init, responderStatic);
    responder.noise = consumed->noise;
    responder.remoteIndex = consumed->senderIndex;
    responder.state = HandshakeState::InitiationConsumed;
    ok &= CreateResponse(responder, crypto::GenerateX25519KeyPair(rng), psk, 2, resp.data());
    ok &= ConsumeResponse(initiator, resp, psk);
    auto keys = initiator.noise.Split();
    benchmark::DoNotOptimize(keys);
    if (!ok) state.SkipWithError("handshake failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WireGuardHandshake);

// Through the devices, including MACs, index table and session installation.
void BM_WireGuardDeviceHandshake(benchmark::State &state) {
  BenchPair pair;
  Time now{0};
  for (auto _ : state) {
    now += Seconds(6); // past REKEY_TIMEOUT so every round starts a handshake
    Actions fromA = pair.a->OnTimer(now);
    pair.a->OnTunnelPacket(Ipv4Packet(100), now, fromA);
    for (auto &d : fromA.toNetwork) {
      if (ClassifyMessage(d.data) != MessageType::HandshakeInitiation) continue;
      Actions fromB = pair.b->OnDatagram(d.data, pair.endA, now);
      for (auto &r : fromB.toNetwork)
        benchmark::DoNotOptimize(pair.a->OnDatagram(r.data, pair.endB, now));
    }
    now += Seconds(120); // age the key so the next packet rekeys
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WireGuardDeviceHandshake);

void BM_WireGuardTransport1420(benchmark::State &state) {
  BenchPair pair;
  Time now{0};
  // Establish a session and confirm it.
  Actions fromA = pair.a->OnTunnelPacket(Ipv4Packet(100), now);
  Actions fromB = pair.b->OnDatagram(fromA.toNetwork[0].data, pair.endA, now);
  Actions back = pair.a->OnDatagram(fromB.toNetwork[0].data, pair.endB, now);
  for (auto &d : back.toNetwork)
    pair.b->OnDatagram(d.data, pair.endA, now);
  const Bytes packet = Ipv4Packet(1420);
  Actions out, in;
  for (auto _ : state) {
    out.Clear();
    in.Clear();
    pair.a->OnTunnelPacket(packet, now, out);
    pair.b->OnDatagram(out.toNetwork[0].data, pair.endA, now, in);
    if (in.toTunnel.size() != 1) state.SkipWithError("packet not delivered");
    benchmark::DoNotOptimize(in.toTunnel);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1420);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WireGuardTransport1420);

} // namespace

// ESP seal+open per 1420-byte packet for both AEADs, and complete IKEv2 exchanges
// (IKE_SA_INIT + IKE_AUTH between two in-memory peers) per second.
#include <benchmark/benchmark.h>

#include "crypto/random.h"
#include "ipsec/esp_sa.h"
#include "ipsec/ike_sa.h"

#include <deque>

using namespace tunnelsim;
using namespace tunnelsim::ipsec;

namespace {

void BM_EspSealOpen1420(benchmark::State &state, EspCipher cipher) {
  if (!EspCipherAvailable(cipher)) {
    state.SkipWithError("cipher not available on this CPU");
    return;
  }
  EspSaConfig config;
  config.spi = 0x1000;
  config.cipher = cipher;
  config.keymat.assign(kEspKeymatSize, 0x42);
  config.mode = EspMode::Transport;
  config.replayWindow = 1024;
  EspSa tx(config), rx(config);
  crypto::Bytes payload(1420, 0xA5);
  for (auto _ : state) {
    EspSealResult sealed = tx.Seal(payload, kEspNextHeaderGre);
    EspOpenResult opened = rx.Open(sealed.packet);
    if (opened.status != EspStatus::Ok) state.SkipWithError("ESP open failed");
    benchmark::DoNotOptimize(opened.payload.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(payload.size()));
}

IkeConfig BenchConfig(bool initiator, EspCipher cipher) {
  IkeConfig c;
  c.initiator = initiator;
  c.psk = {'b', 'e', 'n', 'c', 'h'};
  c.localId = IkeIdPayload::Fqdn(initiator ? "a" : "b");
  c.remoteId = IkeIdPayload::Fqdn(initiator ? "b" : "a");
  c.ikeCipher = c.espCipher = cipher;
  c.localAddress = *IpAddress::Parse(initiator ? "192.0.2.1" : "192.0.2.2");
  c.remoteAddress = *IpAddress::Parse(initiator ? "192.0.2.2" : "192.0.2.1");
  c.localTrafficSelector = *IpPrefix::Parse(initiator ? "10.1.0.0/16" : "10.2.0.0/16");
  c.remoteTrafficSelector = *IpPrefix::Parse(initiator ? "10.2.0.0/16" : "10.1.0.0/16");
  return c;
}

void BM_Ikev2Exchange(benchmark::State &state, EspCipher cipher) {
  if (!EspCipherAvailable(cipher)) {
    state.SkipWithError("cipher not available on this CPU");
    return;
  }
  crypto::DeterministicRandom rngA(1), rngB(2);
  const IkeConfig a = BenchConfig(true, cipher), b = BenchConfig(false, cipher);
  for (auto _ : state) {
    IkeSa initiator(a, rngA), responder(b, rngB);
    std::deque<crypto::Bytes> toB, toA;
    for (auto &m : initiator.Start(Time(0)).send)
      toB.push_back(std::move(m));
    while (!toB.empty() || !toA.empty()) {
      while (!toB.empty()) {
        for (auto &m : responder.OnMessage(toB.front(), Time(0)).send)
          toA.push_back(std::move(m));
        toB.pop_front();
      }
      while (!toA.empty()) {
        for (auto &m : initiator.OnMessage(toA.front(), Time(0)).send)
          toB.push_back(std::move(m));
        toA.pop_front();
      }
    }
    if (initiator.state() != IkeState::Established) state.SkipWithError("not established");
  }
  state.counters["exchanges_per_s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

} // namespace

BENCHMARK_CAPTURE(BM_EspSealOpen1420, aes256gcm16, EspCipher::Aes256Gcm16);
BENCHMARK_CAPTURE(BM_EspSealOpen1420, chacha20poly1305, EspCipher::ChaCha20Poly1305);
BENCHMARK_CAPTURE(BM_Ikev2Exchange, aes256gcm16, EspCipher::Aes256Gcm16);
BENCHMARK_CAPTURE(BM_Ikev2Exchange, chacha20poly1305, EspCipher::ChaCha20Poly1305);

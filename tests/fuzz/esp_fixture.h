// The inbound SAs the ESP fuzz target decrypts with, shared with the seed-corpus generator so
// its seeds are packets those SAs accept.
#pragma once

#include "ipsec/esp_sad.h"

#include <vector>

namespace tunnelsim::fuzz {

struct EspFixtureSa {
  ipsec::EspSaConfig config;
};

inline crypto::Bytes EspFixtureKeymat(uint32_t spi) {
  crypto::Bytes keymat(ipsec::kEspKeymatSize);
  for (size_t i = 0; i < keymat.size(); ++i)
    keymat[i] = static_cast<uint8_t>(spi * 31 + i * 7);
  return keymat;
}

// 0: AES-256-GCM (ChaCha20-Poly1305 without AES-NI), tunnel mode, window `window`.
// 1: ChaCha20-Poly1305 with Extended Sequence Numbers, tunnel mode.
// 2: ChaCha20-Poly1305, transport mode, anti-replay off, packet lifetimes.
inline std::vector<ipsec::EspSaConfig> EspFixtureSas(uint32_t window) {
  std::vector<ipsec::EspSaConfig> sas(3);
  sas[0].spi = 0x00001001;
  sas[0].cipher = ipsec::EspCipherAvailable(ipsec::EspCipher::Aes256Gcm16)
                      ? ipsec::EspCipher::Aes256Gcm16
                      : ipsec::EspCipher::ChaCha20Poly1305;
  sas[0].replayWindow = window;
  sas[1].spi = 0x00001002;
  sas[1].cipher = ipsec::EspCipher::ChaCha20Poly1305;
  sas[1].esn = true;
  sas[1].replayWindow = window;
  sas[2].spi = 0x00001003;
  sas[2].cipher = ipsec::EspCipher::ChaCha20Poly1305;
  sas[2].mode = ipsec::EspMode::Transport;
  sas[2].replayWindow = 0;
  sas[2].lifetime.softPackets = 4;
  sas[2].lifetime.hardPackets = 8;
  for (ipsec::EspSaConfig &sa : sas)
    sa.keymat = EspFixtureKeymat(sa.spi);
  return sas;
}

// Replay windows the first configuration byte picks from.
constexpr uint32_t kEspFixtureWindows[] = {64, 0, 32, 1024};

} // namespace tunnelsim::fuzz

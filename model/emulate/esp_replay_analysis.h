// What an ESP receiver's anti-replay window would drop, from the outer packets as they reach
// the receiving gateway. The relay sees every outer ESP packet of a run (its own ESP cores' or,
// with tunnel.type = "strongswan", charon's UDP-encapsulated ones) in the order the receiving
// gateway gets them, so feeding each packet's SPI and sequence number through the receiver's
// sliding window (ipsec::ReplayWindow, the ESP core's own class) gives the drops a window of W
// packets must make on that path, whatever the implementation behind it.
//
// Packets are recognised as RFC 4303 ESP (IP protocol 50) or, RFC 3948, UDP with port 4500 on
// either side: a 1-byte 0xFF payload is a NAT keepalive, a payload starting with the 4-byte
// non-ESP marker (zero) is IKE, anything else is ESP (SPI, sequence number). UDP from port 500
// to port 500 is IKE too (the relay's own gateways negotiate their SAs there). Sequence numbers
// are 32 bits (no ESN: kernel-libipsec offers none). Every packet is assumed authentic, as on
// the relay's path it is (a real receiver updates its window only after the ICV verified).
#pragma once

#include "ipsec/replay_window.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tunnelsim::emulate {

constexpr uint16_t kNatTraversalPort = 4500;

// How the analysis classified one outer packet.
enum class OuterKind { kEsp, kEspInUdp, kIke, kNatKeepalive, kMalformedEsp, kOther };

struct EspHeaderFields {
  OuterKind kind = OuterKind::kOther;
  uint32_t spi = 0;
  uint32_t sequence = 0; // valid for kEsp and kEspInUdp
};

// Classifies an outer IPv4 packet; never throws (short or foreign packets are kOther or
// kMalformedEsp).
EspHeaderFields ClassifyOuterPacket(const uint8_t *packet, size_t size);

class EspReplayAnalysis {
public:
  // One window per size in `windows` (packets, each 1..ReplayWindow::kMaxWindowSize), per SPI.
  // Throws std::invalid_argument for an empty list or a size out of range.
  explicit EspReplayAnalysis(std::vector<uint32_t> windows);

  // An outer packet reaching the gateway `receiver` ("home" or "work").
  void Observe(const std::string &receiver, const uint8_t *packet, size_t size);

  // Drops for window `window` over every SPI (0 for a size not analysed).
  uint64_t Drops(uint32_t window) const;
  uint64_t EspPackets() const { return espPackets_; }

  // {"windows": [...], "window_<W>_drops": n, ..., "esp_packets", "ike_packets",
  //  "nat_keepalives", "malformed_esp", "other_packets",
  //  "per_spi": [{"spi": "0x...", "receiver", "packets", "highest_sequence",
  //               "window_<W>": {"drops", "outside_window", "duplicates"}}, ...],
  //  "per_receiver": {"home"|"work": {"spis": [...], "packets", "window_<W>": {...}}}}
  nlohmann::json Json() const;

private:
  struct WindowState {
    explicit WindowState(uint32_t size) : window(size) {}
    ipsec::ReplayWindow window;
    uint64_t outsideWindow = 0; // left of the window (too old)
    uint64_t duplicates = 0;    // inside the window, already received
  };
  struct SpiState {
    std::string receiver;
    uint64_t packets = 0;
    uint32_t highest = 0;
    std::vector<WindowState> windows; // in the order of windows_
  };

  std::vector<uint32_t> windows_;
  std::map<uint32_t, SpiState> spis_;
  uint64_t espPackets_ = 0, ikePackets_ = 0, keepalives_ = 0, malformed_ = 0, other_ = 0;
};

} // namespace tunnelsim::emulate

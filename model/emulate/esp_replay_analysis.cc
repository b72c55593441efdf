#include "emulate/esp_replay_analysis.h"

#include "emulate/ipv4_header.h"

#include <cstdio>
#include <stdexcept>

namespace tunnelsim::emulate {
namespace {

uint32_t Read32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

uint16_t Read16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }

// SPI and sequence number from an ESP header at `esp` (RFC 4303 section 2). SPI 0 is reserved
// and never names an SA (RFC 4303 section 2.1; RFC 3948 uses it as the non-ESP marker).
EspHeaderFields EspFields(const uint8_t *esp, size_t size, OuterKind kind) {
  EspHeaderFields fields;
  if (size < 8) {
    fields.kind = OuterKind::kMalformedEsp;
    return fields;
  }
  fields.kind = kind;
  fields.spi = Read32(esp);
  fields.sequence = Read32(esp + 4);
  return fields;
}

std::string SpiText(uint32_t spi) {
  char text[11];
  std::snprintf(text, sizeof(text), "0x%08x", spi);
  return text;
}

} // namespace

EspHeaderFields ClassifyOuterPacket(const uint8_t *packet, size_t size) {
  EspHeaderFields fields;
  const auto ip = ParseIpv4(packet, size);
  if (!ip) return fields;
  const uint8_t *payload = packet + ip->headerSize;
  if (ip->protocol == kProtocolEsp) return EspFields(payload, ip->payloadSize, OuterKind::kEsp);
  if (ip->protocol != kProtocolUdp || ip->payloadSize < kUdpHeaderSize) return fields;
  if (Read16(payload) == kIkePort && Read16(payload + 2) == kIkePort) {
    fields.kind = OuterKind::kIke; // IKE before NAT detection moves it (the relay's gateways)
    return fields;
  }
  if (Read16(payload) != kNatTraversalPort && Read16(payload + 2) != kNatTraversalPort) {
    return fields;
  }
  // RFC 3948 section 2: what follows the UDP header on port 4500.
  const uint8_t *body = payload + kUdpHeaderSize;
  const size_t bodySize = ip->payloadSize - kUdpHeaderSize;
  if (bodySize == 1 && body[0] == 0xff) {
    fields.kind = OuterKind::kNatKeepalive;
    return fields;
  }
  if (bodySize >= 4 && Read32(body) == 0) {
    fields.kind = OuterKind::kIke;
    return fields;
  }
  return EspFields(body, bodySize, OuterKind::kEspInUdp);
}

EspReplayAnalysis::EspReplayAnalysis(std::vector<uint32_t> windows) : windows_(std::move(windows)) {
  if (windows_.empty()) throw std::invalid_argument("EspReplayAnalysis: no window size");
  for (uint32_t w : windows_) {
    if (w == 0 || w > ipsec::ReplayWindow::kMaxWindowSize) {
      throw std::invalid_argument("EspReplayAnalysis: window size out of range");
    }
  }
}

void EspReplayAnalysis::Observe(const std::string &receiver, const uint8_t *packet, size_t size) {
  const EspHeaderFields fields = ClassifyOuterPacket(packet, size);
  switch (fields.kind) {
  case OuterKind::kIke:
    ++ikePackets_;
    return;
  case OuterKind::kNatKeepalive:
    ++keepalives_;
    return;
  case OuterKind::kMalformedEsp:
    ++malformed_;
    return;
  case OuterKind::kOther:
    ++other_;
    return;
  case OuterKind::kEsp:
  case OuterKind::kEspInUdp:
    break;
  }
  ++espPackets_;
  auto found = spis_.find(fields.spi);
  if (found == spis_.end()) {
    SpiState state;
    state.receiver = receiver;
    for (uint32_t w : windows_)
      state.windows.emplace_back(w);
    found = spis_.emplace(fields.spi, std::move(state)).first;
  }
  SpiState &spi = found->second;
  ++spi.packets;
  if (fields.sequence > spi.highest) spi.highest = fields.sequence;
  for (WindowState &state : spi.windows) {
    // Check before, update after, as the receiver does (RFC 4303 section 3.4.3).
    switch (state.window.Check(fields.sequence)) {
    case ipsec::ReplayCheck::Ok:
      state.window.Update(fields.sequence);
      break;
    case ipsec::ReplayCheck::Replay:
      ++state.duplicates;
      break;
    case ipsec::ReplayCheck::OutsideWindow:
      ++state.outsideWindow;
      break;
    }
  }
}

uint64_t EspReplayAnalysis::Drops(uint32_t window) const {
  uint64_t drops = 0;
  for (size_t i = 0; i < windows_.size(); ++i) {
    if (windows_[i] != window) continue;
    for (const auto &[spi, state] : spis_)
      drops += state.windows[i].outsideWindow + state.windows[i].duplicates;
    break;
  }
  return drops;
}

nlohmann::json EspReplayAnalysis::Json() const {
  nlohmann::json out = {{"windows", windows_},         {"esp_packets", espPackets_},
                        {"ike_packets", ikePackets_},  {"nat_keepalives", keepalives_},
                        {"malformed_esp", malformed_}, {"other_packets", other_}};
  for (uint32_t w : windows_)
    out["window_" + std::to_string(w) + "_drops"] = Drops(w);
  // Per SPI as a list (an SA's SPI is random, so as object keys they would make new columns
  // in every sweep table), and per receiving gateway under stable keys.
  nlohmann::json perSpi = nlohmann::json::array();
  nlohmann::json perReceiver = nlohmann::json::object();
  const auto windowJson = [](uint64_t outside, uint64_t duplicates) {
    return nlohmann::json{
        {"drops", outside + duplicates}, {"outside_window", outside}, {"duplicates", duplicates}};
  };
  for (const auto &[spi, state] : spis_) {
    nlohmann::json entry = {{"spi", SpiText(spi)},
                            {"receiver", state.receiver},
                            {"packets", state.packets},
                            {"highest_sequence", state.highest}};
    nlohmann::json &receiver = perReceiver[state.receiver];
    receiver["spis"].push_back(SpiText(spi));
    receiver["packets"] = receiver.value("packets", uint64_t{0}) + state.packets;
    for (size_t i = 0; i < windows_.size(); ++i) {
      const WindowState &w = state.windows[i];
      const std::string key = "window_" + std::to_string(windows_[i]);
      entry[key] = windowJson(w.outsideWindow, w.duplicates);
      const nlohmann::json &sum = receiver.contains(key) ? receiver[key] : windowJson(0, 0);
      receiver[key] = windowJson(sum["outside_window"].get<uint64_t>() + w.outsideWindow,
                                 sum["duplicates"].get<uint64_t>() + w.duplicates);
    }
    perSpi.push_back(entry);
  }
  out["per_spi"] = perSpi;
  out["per_receiver"] = perReceiver;
  return out;
}

} // namespace tunnelsim::emulate

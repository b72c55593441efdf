// The Security Association Database of one IPsec end point (RFC 4301 section 4.4.2), reduced
// to what a gateway's data path needs: inbound SAs keyed by SPI, outbound SAs chosen by
// traffic selectors (the newest matching SA wins, so a rekeyed SA takes over as soon as it is
// installed), and the ESP processing of both directions with drop counters by reason.
#pragma once

#include "ipsec/esp_sa.h"

#include <map>
#include <memory>
#include <vector>

namespace tunnelsim::ipsec {

struct EspProtectResult {
  EspStatus status = EspStatus::Ok;
  crypto::Bytes packet; // the ESP payload of the outer IP packet (protocol 50)
  uint32_t spi = 0;
  IpAddress source; // the SA's outer addresses
  IpAddress destination;
  bool softLifetimeReached = false;
};

class EspSad {
public:
  // Adds (or replaces) the SA with that SPI. Throws std::invalid_argument on a bad config.
  void AddInbound(const EspSaConfig &config);
  void AddOutbound(const EspSaConfig &config);
  // False when no such SA. Counters of removed SAs stay in totals().
  bool RemoveInbound(uint32_t spi);
  bool RemoveOutbound(uint32_t spi);

  const EspSa *FindInbound(uint32_t spi) const;
  const EspSa *FindOutbound(uint32_t spi) const;
  // The most recently added outbound SA whose selectors contain source and destination
  // (an SA without selectors matches everything).
  EspSa *SelectOutbound(const IpAddress &source, const IpAddress &destination);

  // `buffer` (all three): storage for the result's packet or payload, whose contents are
  // replaced; a caller that hands back an earlier result's buffer processes a packet without
  // allocating.
  //
  // Tunnel mode: `innerPacket` is an IPv4/IPv6 packet; next header 4/41 and the selectors
  // come from it. Malformed inner packets are counted.
  EspProtectResult ProtectTunnel(crypto::ByteView innerPacket, crypto::RandomSource *rng = nullptr,
                                 crypto::Bytes buffer = {});
  // Transport mode (e.g. GRE over IPsec, next header 47): the caller names the selector
  // addresses (the outer addresses of the packet being protected).
  EspProtectResult Protect(crypto::ByteView payload, uint8_t nextHeader, const IpAddress &source,
                           const IpAddress &destination, crypto::RandomSource *rng = nullptr,
                           crypto::Bytes buffer = {});
  // Inbound: SPI lookup then EspSa::Open.
  EspOpenResult Process(crypto::ByteView espPacket, crypto::Bytes buffer = {});

  size_t inboundCount() const { return inbound_.size(); }
  size_t outboundCount() const { return outbound_.size(); }
  // Sums over every SA ever installed plus the SAD's own no-SA and malformed drops.
  EspCounters inboundTotals() const;
  EspCounters outboundTotals() const;

private:
  struct Outbound {
    uint64_t order;
    std::unique_ptr<EspSa> sa;
  };
  std::map<uint32_t, std::unique_ptr<EspSa>> inbound_;
  std::map<uint32_t, Outbound> outbound_;
  uint64_t nextOrder_ = 0;
  EspCounters removedInbound_, removedOutbound_;
  EspCounters sadInbound_, sadOutbound_;
};

} // namespace tunnelsim::ipsec

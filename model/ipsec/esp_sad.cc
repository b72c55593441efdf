#include "ipsec/esp_sad.h"

#include "common/ip_packet.h"

namespace tunnelsim::ipsec {

void EspSad::AddInbound(const EspSaConfig &config) {
  auto sa = std::make_unique<EspSa>(config);
  RemoveInbound(config.spi);
  inbound_[config.spi] = std::move(sa);
}

void EspSad::AddOutbound(const EspSaConfig &config) {
  auto sa = std::make_unique<EspSa>(config);
  RemoveOutbound(config.spi);
  outbound_[config.spi] = Outbound{nextOrder_++, std::move(sa)};
}

bool EspSad::RemoveInbound(uint32_t spi) {
  auto it = inbound_.find(spi);
  if (it == inbound_.end()) return false;
  removedInbound_ += it->second->counters();
  inbound_.erase(it);
  return true;
}

bool EspSad::RemoveOutbound(uint32_t spi) {
  auto it = outbound_.find(spi);
  if (it == outbound_.end()) return false;
  removedOutbound_ += it->second.sa->counters();
  outbound_.erase(it);
  return true;
}

const EspSa *EspSad::FindInbound(uint32_t spi) const {
  auto it = inbound_.find(spi);
  return it == inbound_.end() ? nullptr : it->second.get();
}

const EspSa *EspSad::FindOutbound(uint32_t spi) const {
  auto it = outbound_.find(spi);
  return it == outbound_.end() ? nullptr : it->second.sa.get();
}

EspSa *EspSad::SelectOutbound(const IpAddress &source, const IpAddress &destination) {
  EspSa *best = nullptr;
  uint64_t bestOrder = 0;
  for (auto &[spi, entry] : outbound_) {
    const EspSaConfig &c = entry.sa->config();
    if (c.localSelector && !c.localSelector->Contains(source)) continue;
    if (c.remoteSelector && !c.remoteSelector->Contains(destination)) continue;
    if (!best || entry.order > bestOrder) {
      best = entry.sa.get();
      bestOrder = entry.order;
    }
  }
  return best;
}

EspProtectResult EspSad::ProtectTunnel(crypto::ByteView innerPacket, crypto::RandomSource *rng,
                                       crypto::Bytes buffer) {
  auto info = ParseIpPacket(innerPacket.data(), innerPacket.size());
  if (!info) {
    EspProtectResult result;
    result.status = EspStatus::Malformed;
    sadOutbound_.Count(result.status);
    return result;
  }
  return Protect(innerPacket.subview(0, info->totalLength),
                 info->version == 4 ? kEspNextHeaderIpv4 : kEspNextHeaderIpv6, info->source,
                 info->destination, rng, std::move(buffer));
}

EspProtectResult EspSad::Protect(crypto::ByteView payload, uint8_t nextHeader,
                                 const IpAddress &source, const IpAddress &destination,
                                 crypto::RandomSource *rng, crypto::Bytes buffer) {
  EspProtectResult result;
  EspSa *sa = SelectOutbound(source, destination);
  if (!sa) {
    result.status = EspStatus::NoSa;
    sadOutbound_.Count(result.status);
    return result;
  }
  EspSealResult sealed = sa->Seal(payload, nextHeader, rng, std::move(buffer));
  result.status = sealed.status;
  result.packet = std::move(sealed.packet);
  result.spi = sa->spi();
  result.source = sa->config().source;
  result.destination = sa->config().destination;
  result.softLifetimeReached = sealed.softLifetimeReached;
  return result;
}

EspOpenResult EspSad::Process(crypto::ByteView espPacket, crypto::Bytes buffer) {
  auto spi = EspPacketSpi(espPacket);
  if (!spi) {
    EspOpenResult result;
    result.status = EspStatus::Malformed;
    sadInbound_.Count(result.status);
    return result;
  }
  auto it = inbound_.find(*spi);
  if (it == inbound_.end()) {
    EspOpenResult result;
    result.spi = *spi;
    result.status = EspStatus::NoSa;
    sadInbound_.Count(result.status);
    return result;
  }
  return it->second->Open(espPacket, std::move(buffer));
}

EspCounters EspSad::inboundTotals() const {
  EspCounters total = removedInbound_;
  total += sadInbound_;
  for (auto &[spi, sa] : inbound_)
    total += sa->counters();
  return total;
}

EspCounters EspSad::outboundTotals() const {
  EspCounters total = removedOutbound_;
  total += sadOutbound_;
  for (auto &[spi, entry] : outbound_)
    total += entry.sa->counters();
  return total;
}

} // namespace tunnelsim::ipsec

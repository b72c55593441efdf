// Proposal selection (RFC 7296 3.3: one proposal each, AEAD + PRF-HMAC-SHA2-256 + X25519 for
// IKE, AEAD + ESN for ESP), NAT detection (2.23) and traffic selectors (2.9) of an IkeSa.
#include "ipsec/ike_sa.h"

#include "ipsec/ike_sa_internal.h"
#include "ipsec/nat_detection.h"

namespace tunnelsim::ipsec {

using namespace ike_internal;

std::vector<IkeProposal> IkeSa::IkeProposals() const {
  IkeProposal p;
  p.protocolId = kProtocolIke;
  p.transforms = {EncrTransform(config_.ikeCipher),
                  {transform::kPrf, transform::kPrfHmacSha256, std::nullopt},
                  {transform::kDh, transform::kDhCurve25519, std::nullopt}};
  return {p};
}

std::vector<IkeProposal> IkeSa::EspProposals(uint32_t spi) const {
  IkeProposal p;
  p.protocolId = kProtocolEsp;
  p.spi = SpiBytes(spi);
  p.transforms = {EncrTransform(config_.espCipher),
                  {transform::kEsn, uint16_t(config_.esn ? 1 : 0), std::nullopt}};
  return {p};
}

std::optional<uint8_t> IkeSa::AcceptIkeProposal(const std::vector<IkeProposal> &offered) const {
  const IkeProposal ours = IkeProposals()[0];
  for (const IkeProposal &p : offered) {
    if (p.protocolId != kProtocolIke || !p.spi.empty()) continue;
    bool all = true;
    for (const IkeTransform &t : ours.transforms)
      all = all && Contains(p.transforms, t);
    if (all) return p.number;
  }
  return std::nullopt;
}

const IkeProposal *IkeSa::AcceptIkeRekeyProposal(const std::vector<IkeProposal> &offered) const {
  const IkeProposal ours = IkeProposals()[0];
  for (const IkeProposal &p : offered) {
    if (p.protocolId != kProtocolIke || p.spi.size() != 8) continue;
    bool all = true;
    for (const IkeTransform &t : ours.transforms)
      all = all && Contains(p.transforms, t);
    if (all) return &p;
  }
  return nullptr;
}

std::optional<IkeSa::AcceptedEsp>
IkeSa::AcceptEspProposal(const std::vector<IkeProposal> &offered) const {
  const IkeProposal ours = EspProposals(0)[0];
  for (const IkeProposal &p : offered) {
    if (p.protocolId != kProtocolEsp || p.spi.size() != 4) continue;
    bool all = true;
    for (const IkeTransform &t : ours.transforms)
      all = all && Contains(p.transforms, t);
    if (all) return AcceptedEsp{GetU32(p.spi.data()), p.number};
  }
  return std::nullopt;
}

void IkeSa::AddNatDetection(IkeMessage &m, uint64_t spiR) const {
  crypto::Bytes source = NatDetectionHash(spiI_, spiR, config_.localAddress, config_.localPort);
  // A hash of no address at all: the peer concludes we are behind a NAT.
  if (config_.forceEncapsulation) source = NatDetectionHash(spiI_, spiR, IpAddress(), 0);
  m.notifies.push_back(Notify(notify::kNatDetectionSourceIp, source));
  m.notifies.push_back(
      Notify(notify::kNatDetectionDestinationIp,
             NatDetectionHash(spiI_, spiR, config_.remoteAddress, config_.remotePort)));
}

void IkeSa::CheckNatDetection(const IkeMessage &m, uint64_t spiR) {
  bool sawSource = false, sawDestination = false, peerMatches = false, weMatch = false;
  const crypto::Bytes peerHash =
      NatDetectionHash(spiI_, spiR, config_.remoteAddress, config_.remotePort);
  const crypto::Bytes ourHash =
      NatDetectionHash(spiI_, spiR, config_.localAddress, config_.localPort);
  for (const IkeNotifyPayload &n : m.notifies) {
    // Several source hashes may come (one per address of a multihomed peer): any match counts.
    if (n.type == notify::kNatDetectionSourceIp) {
      sawSource = true;
      peerMatches = peerMatches || n.data == peerHash;
    } else if (n.type == notify::kNatDetectionDestinationIp) {
      sawDestination = true;
      weMatch = weMatch || n.data == ourHash;
    }
  }
  udpEncapsulation_ =
      sawSource && sawDestination && (config_.forceEncapsulation || !peerMatches || !weMatch);
}

bool IkeSa::TrafficSelectorsMatch(const IkeMessage &m, bool weAreExchangeResponder) const {
  if (!m.tsi || !m.tsr || m.tsi->empty() || m.tsr->empty()) return false;
  const IkeTrafficSelector local = IkeTrafficSelector::FromPrefix(config_.localTrafficSelector);
  const IkeTrafficSelector remote = IkeTrafficSelector::FromPrefix(config_.remoteTrafficSelector);
  // TSi always describes the exchange initiator's side (RFC 7296 2.9).
  const IkeTrafficSelector &wantI = weAreExchangeResponder ? remote : local;
  const IkeTrafficSelector &wantR = weAreExchangeResponder ? local : remote;
  return (*m.tsi)[0] == wantI && (*m.tsr)[0] == wantR;
}

void IkeSa::AddChildRequestPayloads(IkeMessage &m, uint32_t inboundSpi) const {
  m.sa = EspProposals(inboundSpi);
  m.tsi =
      std::vector<IkeTrafficSelector>{IkeTrafficSelector::FromPrefix(config_.localTrafficSelector)};
  m.tsr = std::vector<IkeTrafficSelector>{
      IkeTrafficSelector::FromPrefix(config_.remoteTrafficSelector)};
  if (config_.childMode == EspMode::Transport) {
    m.notifies.push_back(Notify(notify::kUseTransportMode));
  }
}

} // namespace tunnelsim::ipsec

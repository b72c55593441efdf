#include "ipsec_pmtu.h"

namespace tunnelsim::realnet {

uint32_t EspTunnelInnerMtu(uint32_t outerMtu, bool udpEncapsulation) {
  constexpr uint32_t kOuterIpv4 = 20, kUdp = 8, kSpiAndSequence = 8, kIv = 8, kIcv = 16;
  constexpr uint32_t kTrailer = 2; // pad length and next header
  const uint32_t fixed = kOuterIpv4 + (udpEncapsulation ? kUdp : 0) + kSpiAndSequence + kIv + kIcv;
  if (outerMtu < fixed + 4 + 68) return 68; // RFC 791's minimum every link carries
  return ((outerMtu - fixed) & ~3u) - kTrailer;
}

} // namespace tunnelsim::realnet

#include "ipsec_pmtu.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace tunnelsim::realnet {

uint32_t EspTunnelInnerMtu(uint32_t outerMtu, bool udpEncapsulation) {
  constexpr uint32_t kOuterIpv4 = 20, kUdp = 8, kSpiAndSequence = 8, kIv = 8, kIcv = 16;
  constexpr uint32_t kTrailer = 2; // pad length and next header
  const uint32_t fixed = kOuterIpv4 + (udpEncapsulation ? kUdp : 0) + kSpiAndSequence + kIv + kIcv;
  if (outerMtu < fixed + 4 + 68) return 68; // RFC 791's minimum every link carries
  return ((outerMtu - fixed) & ~3u) - kTrailer;
}

std::optional<uint32_t> RouteMtuTo(const IpAddress &peer) {
  if (!peer.IsV4()) return std::nullopt;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9); // discard: connect() only selects the route, nothing is sent
  std::memcpy(&to.sin_addr, peer.data(), 4);
  std::optional<uint32_t> mtu;
  int value = 0;
  socklen_t length = sizeof value;
  if (connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof to) == 0 &&
      getsockopt(fd, IPPROTO_IP, IP_MTU, &value, &length) == 0 && value > 0) {
    mtu = static_cast<uint32_t>(value);
  }
  close(fd);
  return mtu;
}

} // namespace tunnelsim::realnet

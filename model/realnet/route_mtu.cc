#include "route_mtu.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace tunnelsim::realnet {

std::optional<uint32_t> RouteMtuTo(const IpAddress &peer) {
  const bool v4 = peer.IsV4();
  const int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_storage to{};
  socklen_t toLength = 0;
  if (v4) {
    auto *in = reinterpret_cast<sockaddr_in *>(&to);
    in->sin_family = AF_INET;
    in->sin_port = htons(9); // discard: connect() only selects the route
    std::memcpy(&in->sin_addr, peer.data(), 4);
    toLength = sizeof(sockaddr_in);
  } else {
    auto *in6 = reinterpret_cast<sockaddr_in6 *>(&to);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(9);
    std::memcpy(&in6->sin6_addr, peer.data(), 16);
    toLength = sizeof(sockaddr_in6);
  }
  std::optional<uint32_t> mtu;
  int value = 0;
  socklen_t length = sizeof value;
  if (connect(fd, reinterpret_cast<const sockaddr *>(&to), toLength) == 0 &&
      getsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU, &value, &length) ==
          0 &&
      value > 0) {
    mtu = static_cast<uint32_t>(value);
  }
  close(fd);
  return mtu;
}

} // namespace tunnelsim::realnet

#include "udp_socket.h"

#include "log.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <unistd.h>

namespace tunnelsim::realnet {

namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
// Large buffers absorb bursts of a bulk transfer between two passes of the event loop.
constexpr int kSocketBufferBytes = 4 << 20;

void EnlargeBuffers(int fd) {
  int size = kSocketBufferBytes;
  // The *FORCE variants exceed net.core.[rw]mem_max when we have CAP_NET_ADMIN.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

} // namespace

socklen_t ToSockaddr(const Endpoint &endpoint, int socketFamily, sockaddr_storage &out) {
  std::memset(&out, 0, sizeof out);
  if (socketFamily == AF_INET) {
    if (!endpoint.address.IsV4()) return 0;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&out);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(endpoint.port);
    std::memcpy(&v4->sin_addr, endpoint.address.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto *v6 = reinterpret_cast<sockaddr_in6 *>(&out);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(endpoint.port);
  if (endpoint.address.IsV4()) {
    std::memcpy(v6->sin6_addr.s6_addr, kV4MappedPrefix, 12);
    std::memcpy(v6->sin6_addr.s6_addr + 12, endpoint.address.data(), 4);
  } else {
    std::memcpy(v6->sin6_addr.s6_addr, endpoint.address.data(), 16);
  }
  return sizeof(sockaddr_in6);
}

std::optional<Endpoint> FromSockaddr(const sockaddr *address, socklen_t length) {
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto *v4 = reinterpret_cast<const sockaddr_in *>(address);
    return Endpoint{IpAddress::V4(reinterpret_cast<const uint8_t *>(&v4->sin_addr)),
                    ntohs(v4->sin_port)};
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(address);
    const uint8_t *bytes = v6->sin6_addr.s6_addr;
    if (std::memcmp(bytes, kV4MappedPrefix, 12) == 0)
      return Endpoint{IpAddress::V4(bytes + 12), ntohs(v6->sin6_port)};
    return Endpoint{IpAddress::V6(bytes), ntohs(v6->sin6_port)};
  }
  return std::nullopt;
}

std::unique_ptr<UdpSocket> UdpSocket::Open(uint16_t port, std::string &error) {
  int family = AF_INET6;
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int off = 0;
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    any.sin6_port = htons(port);
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0 ||
        bind(fd, reinterpret_cast<sockaddr *>(&any), sizeof any) < 0) {
      error = ErrnoMessage("bind UDP [::]:" + std::to_string(port));
      close(fd);
      return nullptr;
    }
  } else if (errno == EAFNOSUPPORT) {
    family = AF_INET;
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = ErrnoMessage("create UDP socket");
      return nullptr;
    }
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr *>(&any), sizeof any) < 0) {
      error = ErrnoMessage("bind UDP 0.0.0.0:" + std::to_string(port));
      close(fd);
      return nullptr;
    }
  } else {
    error = ErrnoMessage("create UDP socket");
    return nullptr;
  }
  EnlargeBuffers(fd);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &length);
  auto local = FromSockaddr(reinterpret_cast<sockaddr *>(&bound), length);
  return std::unique_ptr<UdpSocket>(new UdpSocket(fd, family, local ? local->port : port));
}

UdpSocket::~UdpSocket() { close(fd_); }

bool UdpSocket::SendTo(const Endpoint &to, const uint8_t *data, size_t size) {
  sockaddr_storage address{};
  socklen_t length = ToSockaddr(to, family_, address);
  if (length == 0) {
    errno = EAFNOSUPPORT;
    return false;
  }
  ssize_t n = sendto(fd_, data, size, 0, reinterpret_cast<sockaddr *>(&address), length);
  return n == static_cast<ssize_t>(size);
}

ssize_t UdpSocket::ReceiveFrom(uint8_t *buffer, size_t capacity, std::optional<Endpoint> &from) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ssize_t n = recvfrom(fd_, buffer, capacity, 0, reinterpret_cast<sockaddr *>(&address), &length);
  if (n < 0) return -1;
  from = FromSockaddr(reinterpret_cast<sockaddr *>(&address), length);
  return n;
}

} // namespace tunnelsim::realnet

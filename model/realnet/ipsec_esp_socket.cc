#include "ipsec_esp_socket.h"

#include "log.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tunnelsim::realnet {

std::unique_ptr<EspSocket> EspSocket::Open(IpAddress::Family family, std::string &error) {
  const int domain = family == IpAddress::Family::V4 ? AF_INET : AF_INET6;
  int fd = socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (fd < 0) {
    error = ErrnoMessage("open raw ESP socket");
    return nullptr;
  }
  return std::unique_ptr<EspSocket>(new EspSocket(fd, family));
}

EspSocket::~EspSocket() { close(fd_); }

bool EspSocket::SendTo(const IpAddress &to, const uint8_t *data, size_t size) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (to.IsV4()) {
    auto *v4 = reinterpret_cast<sockaddr_in *>(&address);
    v4->sin_family = AF_INET;
    std::memcpy(&v4->sin_addr, to.data(), 4);
    length = sizeof *v4;
  } else {
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&address);
    v6->sin6_family = AF_INET6;
    std::memcpy(v6->sin6_addr.s6_addr, to.data(), 16);
    length = sizeof *v6;
  }
  ssize_t n = sendto(fd_, data, size, 0, reinterpret_cast<sockaddr *>(&address), length);
  return n == static_cast<ssize_t>(size);
}

ssize_t EspSocket::Receive(uint8_t *buffer, size_t capacity, size_t &payloadOffset,
                           std::optional<IpAddress> &from) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ssize_t n = recvfrom(fd_, buffer, capacity, 0, reinterpret_cast<sockaddr *>(&address), &length);
  if (n < 0) return -1;
  payloadOffset = 0;
  from.reset();
  if (family_ == IpAddress::Family::V4) {
    // Raw IPv4 sockets deliver the IP header too.
    if (n < 20) return 0;
    const size_t headerLength = size_t(buffer[0] & 0x0f) * 4;
    if (headerLength < 20 || static_cast<size_t>(n) < headerLength) return 0;
    from = IpAddress::V4(buffer + 12);
    payloadOffset = headerLength;
    return n - static_cast<ssize_t>(headerLength);
  }
  const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&address);
  if (address.ss_family == AF_INET6) from = IpAddress::V6(v6->sin6_addr.s6_addr);
  return n;
}

} // namespace tunnelsim::realnet

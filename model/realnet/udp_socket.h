// The daemon's UDP socket: one dual-stack IPv6 socket (IPv4 peers appear as v4-mapped
// addresses, converted to and from plain IPv4 endpoints here), or IPv4 only where the host
// has no IPv6.
#pragma once

#include "wireguard/endpoint.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/types.h>

namespace tunnelsim::realnet {

using wireguard::Endpoint;

// An endpoint as a sockaddr for a socket of `socketFamily` (AF_INET6 maps IPv4 endpoints to
// ::ffff:a.b.c.d). Returns the address length, 0 when the endpoint cannot be reached from
// such a socket (IPv6 endpoint on an IPv4 socket).
socklen_t ToSockaddr(const Endpoint &endpoint, int socketFamily, sockaddr_storage &out);
// A received source address as an endpoint; v4-mapped IPv6 addresses become IPv4.
std::optional<Endpoint> FromSockaddr(const sockaddr *address, socklen_t length);

class UdpSocket {
public:
  // Binds port `port` (0: the kernel picks one) on all addresses, IPv4 and IPv6.
  static std::unique_ptr<UdpSocket> Open(uint16_t port, std::string &error);
  ~UdpSocket();
  UdpSocket(const UdpSocket &) = delete;
  UdpSocket &operator=(const UdpSocket &) = delete;

  int fd() const { return fd_; }
  int family() const { return family_; }
  uint16_t port() const { return port_; }

  // False on error (errno set; EAGAIN when the send buffer is full).
  bool SendTo(const Endpoint &to, const uint8_t *data, size_t size);
  // One datagram into `buffer`: its size (possibly 0), or -1 with errno set (EAGAIN when
  // none is waiting).
  ssize_t ReceiveFrom(uint8_t *buffer, size_t capacity, std::optional<Endpoint> &from);

private:
  UdpSocket(int fd, int family, uint16_t port) : fd_(fd), family_(family), port_(port) {}
  int fd_;
  int family_;
  uint16_t port_;
};

} // namespace tunnelsim::realnet

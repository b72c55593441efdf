// The socket address of an IPv4 address and port in host byte order (the kernel flows' form).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>

namespace tunnelsim::emulate {

inline sockaddr_in Ipv4SocketAddress(uint32_t address, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(address);
  a.sin_port = htons(port);
  return a;
}

} // namespace tunnelsim::emulate

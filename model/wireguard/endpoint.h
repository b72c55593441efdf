// A UDP endpoint (address and port) as WireGuard peers are reached at.
#pragma once

#include "common/ip_address.h"

#include <cstdint>
#include <optional>
#include <string>

namespace tunnelsim::wireguard {

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  // "192.0.2.1:51820" or "[2001:db8::1]:51820". Empty on error (hostnames are not resolved:
  // a sans-IO core does no DNS).
  static std::optional<Endpoint> Parse(const std::string &text);
  std::string ToString() const;

  bool operator==(const Endpoint &o) const { return address == o.address && port == o.port; }
  bool operator!=(const Endpoint &o) const { return !(*this == o); }
  bool operator<(const Endpoint &o) const {
    return address != o.address ? address < o.address : port < o.port;
  }
};

} // namespace tunnelsim::wireguard

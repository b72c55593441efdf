#include "endpoint.h"

#include <cctype>

namespace tunnelsim::wireguard {

static std::optional<uint16_t> ParsePort(const std::string &text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

std::optional<Endpoint> Endpoint::Parse(const std::string &text) {
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto address = IpAddress::Parse(host);
    if (!address || address->IsV4()) return std::nullopt;
    auto p = ParsePort(port);
    if (!p) return std::nullopt;
    return Endpoint{*address, *p};
  }
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || text.find(':') != colon) return std::nullopt;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  auto address = IpAddress::Parse(host);
  if (!address || !address->IsV4()) return std::nullopt;
  auto p = ParsePort(port);
  if (!p) return std::nullopt;
  return Endpoint{*address, *p};
}

std::string Endpoint::ToString() const {
  if (address.IsV4()) return address.ToString() + ":" + std::to_string(port);
  return "[" + address.ToString() + "]:" + std::to_string(port);
}

} // namespace tunnelsim::wireguard

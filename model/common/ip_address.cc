#include "ip_address.h"

#include <arpa/inet.h>
#include <cstring>

namespace tunnelsim {

IpAddress IpAddress::V4(const uint8_t bytes[4]) {
  IpAddress a;
  a.family_ = Family::V4;
  std::memcpy(a.bytes_.data(), bytes, 4);
  return a;
}

IpAddress IpAddress::V4(uint32_t hostOrder) {
  const uint8_t b[4] = {uint8_t(hostOrder >> 24), uint8_t(hostOrder >> 16), uint8_t(hostOrder >> 8),
                        uint8_t(hostOrder)};
  return V4(b);
}

IpAddress IpAddress::V6(const uint8_t bytes[16]) {
  IpAddress a;
  a.family_ = Family::V6;
  std::memcpy(a.bytes_.data(), bytes, 16);
  return a;
}

std::optional<IpAddress> IpAddress::Parse(const std::string &text) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return V4(buf);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return V6(buf);
  return std::nullopt;
}

IpAddress IpAddress::Masked(unsigned length) const {
  IpAddress out = *this;
  for (unsigned i = 0; i < size(); ++i) {
    unsigned bitStart = i * 8;
    if (bitStart >= length) {
      out.bytes_[i] = 0;
    } else if (bitStart + 8 > length) {
      out.bytes_[i] &= uint8_t(0xff << (8 - (length - bitStart)));
    }
  }
  return out;
}

uint32_t IpAddress::ToV4HostOrder() const {
  return uint32_t(bytes_[0]) << 24 | uint32_t(bytes_[1]) << 16 | uint32_t(bytes_[2]) << 8 |
         bytes_[3];
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(IsV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpPrefix> IpPrefix::Parse(const std::string &text) {
  const auto slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  unsigned length = address->bits();
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + unsigned(c - '0');
    }
    if (length > address->bits()) return std::nullopt;
  }
  return IpPrefix{address->Masked(length), length};
}

bool IpPrefix::Contains(const IpAddress &a) const {
  return a.family() == address.family() && a.Masked(length) == address;
}

std::string IpPrefix::ToString() const { return address.ToString() + "/" + std::to_string(length); }

} // namespace tunnelsim

// IPv4/IPv6 addresses and prefixes, parsed and printed in their usual text forms.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace tunnelsim {

class IpAddress {
public:
  enum class Family : uint8_t { V4, V6 };

  IpAddress() = default;
  static IpAddress V4(const uint8_t bytes[4]);
  static IpAddress V4(uint32_t hostOrder);
  static IpAddress V6(const uint8_t bytes[16]);
  // Accepts dotted quads and RFC 4291/5952 IPv6 text (no zone); empty on error.
  static std::optional<IpAddress> Parse(const std::string &text);

  Family family() const { return family_; }
  bool IsV4() const { return family_ == Family::V4; }
  // Address length in bytes (4 or 16) and bits (32 or 128).
  size_t size() const { return IsV4() ? 4 : 16; }
  unsigned bits() const { return IsV4() ? 32 : 128; }
  const uint8_t *data() const { return bytes_.data(); }
  // Bit i counted from the most significant bit of the first byte.
  bool Bit(unsigned i) const { return (bytes_[i / 8] >> (7 - i % 8)) & 1; }
  // The address with all bits from `length` on cleared.
  IpAddress Masked(unsigned length) const;
  uint32_t ToV4HostOrder() const;
  std::string ToString() const;

  bool operator==(const IpAddress &o) const { return family_ == o.family_ && bytes_ == o.bytes_; }
  bool operator!=(const IpAddress &o) const { return !(*this == o); }
  bool operator<(const IpAddress &o) const {
    return family_ != o.family_ ? family_ < o.family_ : bytes_ < o.bytes_;
  }

private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{}; // IPv4 uses the first 4 bytes
};

struct IpPrefix {
  IpAddress address; // always stored masked
  unsigned length = 0;

  // "10.0.0.0/8", "fd00::/64"; a bare address means a host prefix. Host bits set in the
  // address are cleared (as wg(8) does). Empty on error.
  static std::optional<IpPrefix> Parse(const std::string &text);
  bool Contains(const IpAddress &a) const;
  std::string ToString() const;
  bool operator==(const IpPrefix &o) const { return address == o.address && length == o.length; }
};

} // namespace tunnelsim

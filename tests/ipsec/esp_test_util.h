// Packet builders shared by the IPsec tests.
#pragma once

#include "../common/test_packets.h"

#include "crypto/bytes.h"
#include "ipsec/esp_sa.h"

#include <ostream>

#include <cstring>

namespace tunnelsim::ipsec {
inline std::ostream &operator<<(std::ostream &os, EspStatus status) {
  return os << EspStatusName(status);
}
} // namespace tunnelsim::ipsec

namespace tunnelsim::ipsec::test {

using tunnelsim::test_packets::Ipv4Packet;
using tunnelsim::test_packets::Ipv6Packet;

} // namespace tunnelsim::ipsec::test

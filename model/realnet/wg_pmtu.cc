#include "wg_pmtu.h"

#include <algorithm>

namespace tunnelsim::realnet {

uint32_t WireGuardInnerMtu(uint32_t outerMtu, bool ipv6Outer, uint32_t interfaceMtu) {
  const uint32_t overhead = (ipv6Outer ? 40u : 20u) + 8u + 16u + 16u;
  if (outerMtu < overhead + 16u + 68u) return std::min(interfaceMtu, 68u);
  // Padding never takes the plaintext beyond the interface MTU, so when the interface MTU
  // itself fits, every packet fits.
  if (interfaceMtu <= outerMtu - overhead) return interfaceMtu;
  return (outerMtu - overhead) & ~15u;
}

} // namespace tunnelsim::realnet

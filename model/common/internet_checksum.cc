#include "internet_checksum.h"

namespace tunnelsim {

uint16_t InternetChecksum(const uint8_t *data, size_t size) {
  // 64 bits: no carry is lost however long the buffer (a 32-bit sum of 16-bit words overflows
  // past 128 KiB).
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < size; i += 2)
    sum += uint32_t(data[i]) << 8 | data[i + 1];
  if (i < size) sum += uint32_t(data[i]) << 8;
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

} // namespace tunnelsim

#include "ipsec/key_export.h"

#include <cstdio>

namespace tunnelsim::ipsec {

namespace {
std::string Quote(const std::string &s) { return "\"" + s + "\""; }
std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
} // namespace

std::optional<std::string> WiresharkEspSaLine(const EspSaConfig &config) {
  if (config.cipher != EspCipher::Aes256Gcm16 || config.keymat.size() != kEspKeymatSize) {
    return std::nullopt;
  }
  char spi[11];
  std::snprintf(spi, sizeof spi, "0x%08x", config.spi);
  const bool v4 = config.source.IsV4();
  return Quote(v4 ? "IPv4" : "IPv6") + "," + Quote(config.source.ToString()) + "," +
         Quote(config.destination.ToString()) + "," + Quote(spi) + "," +
         Quote("AES-GCM with 16 octet ICV [RFC4106]") + "," +
         Quote("0x" + crypto::ToHex(config.keymat)) + "," + Quote("NULL") + "," + Quote("");
}

std::optional<std::string> WiresharkIkev2Line(uint64_t spiI, uint64_t spiR, const IkeSaKeys &keys,
                                              EspCipher cipher) {
  if (cipher != EspCipher::Aes256Gcm16) return std::nullopt;
  // Hex-bytes fields of a UAT are written bare; only the algorithm names are quoted strings.
  return Hex64(spiI) + "," + Hex64(spiR) + "," + crypto::ToHex(keys.skEi) + "," +
         crypto::ToHex(keys.skEr) + "," + Quote("AES-GCM-256 with 16 octet ICV [RFC5282]") + ",,," +
         Quote("NONE [RFC4306]");
}

} // namespace tunnelsim::ipsec

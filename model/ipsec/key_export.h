// Key material in the formats Wireshark (4.0) reads, so a pcap of a run can be decrypted:
// - ESP SAs: the `esp_sa` UAT file, one line per SA:
//     "IPv4","<src>","<dst>","0x<SPI>","AES-GCM with 16 octet ICV
//     [RFC4106]","0x<key||salt>","NULL",""
// - IKEv2 SAs: the `ikev2_decryption_table` UAT file, one line per IKE SA:
//     <SPIi>,<SPIr>,<SK_ei>,<SK_er>,"AES-GCM-256 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"
//   (hex-bytes fields are bare hex; SK_ai/SK_ar are empty with an AEAD). Both formats were
//   checked by decrypting a capture with tshark 4.0 (tests/ipsec/test_wireshark.cc).
// Wireshark 4.0 has no ChaCha20-Poly1305 entry in either table, so those SAs have no line.
#pragma once

#include "ipsec/esp_sa.h"
#include "ipsec/ike_keys.h"

#include <optional>
#include <string>

namespace tunnelsim::ipsec {

// `config.keymat` must still hold the keys (as in IkeSaInstall, before EspSa consumes it).
std::optional<std::string> WiresharkEspSaLine(const EspSaConfig &config);

std::optional<std::string> WiresharkIkev2Line(uint64_t spiI, uint64_t spiR, const IkeSaKeys &keys,
                                              EspCipher cipher);

} // namespace tunnelsim::ipsec

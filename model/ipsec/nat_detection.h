// NAT detection for IKEv2 (RFC 7296 section 2.23): the NAT_DETECTION_SOURCE_IP and
// NAT_DETECTION_DESTINATION_IP notification data, SHA-1(SPIi | SPIr | IP address | port).
// SHA-1 is used here only because the RFC fixes it for these hashes; it protects nothing.
#pragma once

#include "common/ip_address.h"
#include "crypto/bytes.h"

#include <array>
#include <cstdint>

namespace tunnelsim::ipsec {

constexpr size_t kSha1Size = 20;

// FIPS 180-4 SHA-1 of `data`.
std::array<uint8_t, kSha1Size> Sha1(crypto::ByteView data);

// The hash one end sends (or expects) for an address and UDP port, with the SPIs of the IKE
// header of the message carrying it (SPIr is 0 in the IKE_SA_INIT request).
crypto::Bytes NatDetectionHash(uint64_t spiI, uint64_t spiR, const IpAddress &address,
                               uint16_t port);

} // namespace tunnelsim::ipsec

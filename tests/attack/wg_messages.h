// WireGuard messages an attacker can build: handshake initiations from identities the
// responder does not know (a non-peer holding the responder's public key, so MAC1 is valid),
// made by sans-IO devices of their own.
#pragma once

#include "wireguard/device.h"
#include "wireguard/messages.h"

#include <boost/test/unit_test.hpp>

#include <vector>

namespace attack_test {

// `count` initiations to `responder` (listening at `responderEndpoint`), each from a fresh
// identity drawn from a DeterministicRandom(seed).
inline std::vector<std::vector<uint8_t>>
NonPeerInitiations(const tunnelsim::crypto::X25519PublicKey &responder,
                   const std::string &responderEndpoint, size_t count, uint64_t seed) {
  namespace wg = tunnelsim::wireguard;
  namespace crypto = tunnelsim::crypto;
  std::vector<std::vector<uint8_t>> messages;
  crypto::DeterministicRandom rng(seed);
  for (size_t i = 0; i < count; ++i) {
    wg::DeviceConfig config;
    config.privateKey = crypto::GenerateX25519KeyPair(rng).privateKey;
    wg::PeerConfig peer;
    peer.publicKey = responder;
    peer.allowedIps.push_back(*tunnelsim::IpPrefix::Parse("0.0.0.0/0"));
    peer.endpoint = wg::Endpoint::Parse(responderEndpoint);
    config.peers.push_back(peer);
    wg::Device device(config, rng);
    // A minimal IPv4 header 10.0.0.1 -> 10.0.0.2: any tunnel packet starts a handshake.
    crypto::Bytes packet(20, 0);
    packet[0] = 0x45;
    packet[3] = 20;
    packet[8] = 64;
    packet[12] = 10, packet[15] = 1;
    packet[16] = 10, packet[19] = 2;
    wg::Actions actions = device.OnTunnelPacket(packet, tunnelsim::Time(0));
    BOOST_REQUIRE_EQUAL(actions.toNetwork.size(), 1u);
    const crypto::Bytes &message = actions.toNetwork.front().data;
    BOOST_REQUIRE_EQUAL(message.size(), wg::initiation::kSize);
    messages.emplace_back(message.begin(), message.end());
  }
  return messages;
}

} // namespace attack_test

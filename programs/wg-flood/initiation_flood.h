// An attacker that floods a WireGuard responder with handshake initiations that look valid:
// the right type and length, a random sender index and ephemeral key, junk where the
// encrypted static key and timestamp go, and a correct MAC1 for the victim's public key (MAC1
// needs only the public key), so every one passes the victim's MAC1 check and reaches its
// under-load logic. MAC2 stays zero: the attacker ignores cookie replies (as one sending
// from spoofed addresses would have to). Sources rotate over the given local addresses.
#pragma once

#include "crypto/random.h"
#include "crypto/x25519.h"
#include "wireguard/cookie.h"

#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/ipv4-address.h"
#include "ns3/ipv4.h"
#include "ns3/nstime.h"
#include "ns3/packet.h"

#include <memory>
#include <vector>

namespace tunnelsim::flood {

// One initiation (148 bytes) addressed to `victim`: junk Noise payload, correct MAC1, zero
// MAC2. `macs` must have been made for the victim's public key.
crypto::Bytes MakeJunkInitiation(wireguard::CookieGenerator &macs, crypto::RandomSource &rng,
                                 Time now);

class InitiationFloodApplication : public ns3::Application {
public:
  InitiationFloodApplication(const crypto::X25519PublicKey &victimPublic,
                             ns3::Ipv4Address victimAddress, uint16_t victimPort,
                             std::vector<ns3::Ipv4Address> sources, double initiationsPerSecond,
                             uint64_t seed);

  uint64_t sent() const { return m_sent; }
  uint64_t cookieRepliesReceived() const { return m_cookieReplies; }
  uint64_t otherReceived() const { return m_otherReceived; }

private:
  void StartApplication() override;
  void StopApplication() override;
  void SendNext();
  void OnIpv4Rx(ns3::Ptr<const ns3::Packet> packet, ns3::Ptr<ns3::Ipv4> ipv4, uint32_t interface);

  wireguard::CookieGenerator m_macs;
  ns3::Ipv4Address m_victimAddress;
  uint16_t m_victimPort;
  std::vector<ns3::Ipv4Address> m_sources;
  double m_rate;
  crypto::DeterministicRandom m_rng;
  ns3::Ptr<ns3::Ipv4> m_ipv4;
  ns3::EventId m_next;
  ns3::Time m_start;
  uint64_t m_sent = 0, m_cookieReplies = 0, m_otherReceived = 0;
};

} // namespace tunnelsim::flood

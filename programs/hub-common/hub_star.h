// The topology and traffic of a hub with many spokes (programs/wg-hub, programs/ipsec-hub):
//
//   spoke i --outer link-- hub --p2p 10.200.0.0/24-- host (UDP echo server 10.200.0.2)
//
// Outer links: one point-to-point link per spoke (10.128.0.0/10 in /30s), or with
// segmentSize = S shared CSMA LANs of S spokes with the hub (10.128.k.0/24, the hub .1).
// Queue discs are removed, so each device queue is the only queue (as the scenario engine's
// topology does). The tunnel in between is the program's: spoke i's inner address is
// SpokeTunnelAddress(i), and every spoke sends UDP echo requests from it to the host, which
// echoes them back; EchoTally counts both directions per spoke.
#pragma once

#include "ns3/ipv4-address.h"
#include "ns3/node-container.h"
#include "ns3/nstime.h"
#include "ns3/ptr.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tunnelsim::hub {

// Spoke i's tunnel address is 10.99.0.0 + 2 + i; the hub's is 10.99.0.1 (a /16 for all).
constexpr uint32_t kMaxPeers = 60000; // fits 10.99.0.0/16 and 10.128.0.0/10 in /30s
ns3::Ipv4Address SpokeTunnelAddress(uint32_t index);
std::string SpokeTunnelAddressText(uint32_t index);
// Which spoke a tunnel address belongs to; peers (out of range) if none.
uint32_t SpokeIndexOf(ns3::Ipv4Address address, uint32_t peers);

struct Star {
  ns3::NodeContainer spokes;
  ns3::Ptr<ns3::Node> hub, host;
  std::vector<ns3::Ipv4Address> spokeOuterAddress; // spoke i's address on its outer link
  std::vector<ns3::Ipv4Address> hubOuterAddress;   // the hub's address on spoke i's link
  ns3::Ipv4Address hubHostSideAddress, hostAddress;
};

// Checks the size arguments; an error message, or "" when they are fine.
std::string CheckStarArguments(uint32_t peers, uint32_t segmentSize);
// Nodes with IPv4 stacks, outer links and addresses; the host's default route to the hub.
Star BuildStar(uint32_t peers, uint32_t segmentSize);

// UDP echo requests (64 bytes, `rate` per second) from each spoke's tunnel address to the host,
// echoed back, counted per spoke.
class EchoTally {
public:
  EchoTally(const Star &star, double rate, ns3::Time stop);
  // Spoke i's echo client, sending from `start` to the stop time.
  void InstallClient(uint32_t index, ns3::Time start);

  const std::vector<uint64_t> &Delivered() const { return m_delivered; }
  const std::vector<uint64_t> &Echoed() const { return m_echoed; }
  uint64_t UnknownSources() const { return m_unknownSources; }
  // An echo reply reached spoke `index` (the client's Rx trace, bound to the index).
  void CountEcho(uint32_t index) { ++m_echoed[index]; }

private:
  void OnHostRx(ns3::Ptr<const ns3::Packet>, const ns3::Address &from, const ns3::Address &);

  const Star &m_star;
  double m_rate;
  ns3::Time m_stop;
  std::vector<uint64_t> m_delivered; // echo requests the host received, by spoke
  std::vector<uint64_t> m_echoed;    // echo replies the spoke received
  uint64_t m_unknownSources = 0;
};

} // namespace tunnelsim::hub

#include "initiation_flood.h"

#include "wireguard/constants.h"
#include "wireguard/messages.h"

#include "ns3/ipv4-header.h"
#include "ns3/node.h"
#include "ns3/simulator.h"
#include "ns3/udp-header.h"
#include "ns3/udp-l4-protocol.h"

#include <cmath>

namespace tunnelsim::flood {

namespace initiation = wireguard::initiation;

crypto::Bytes MakeJunkInitiation(wireguard::CookieGenerator &macs, crypto::RandomSource &rng,
                                 Time now) {
  crypto::Bytes message(initiation::kSize, 0);
  wireguard::WriteMessageType(message.data(), wireguard::MessageType::HandshakeInitiation);
  // Sender index, ephemeral key, "encrypted" static key and timestamp: all random. Any 32
  // bytes are an X25519 public key, so the victim gets as far as its first DH with each.
  rng.Fill(message.data() + initiation::kSender, initiation::kMac1 - initiation::kSender);
  macs.AddMacs(message.data(), initiation::kMac1, now);
  return message;
}

InitiationFloodApplication::InitiationFloodApplication(const crypto::X25519PublicKey &victimPublic,
                                                       ns3::Ipv4Address victimAddress,
                                                       uint16_t victimPort,
                                                       std::vector<ns3::Ipv4Address> sources,
                                                       double initiationsPerSecond, uint64_t seed)
    : m_macs(victimPublic, wireguard::Constants{}.cookieSecretMaxAge),
      m_victimAddress(victimAddress), m_victimPort(victimPort), m_sources(std::move(sources)),
      m_rate(initiationsPerSecond), m_rng(seed) {}

void InitiationFloodApplication::StartApplication() {
  m_ipv4 = GetNode()->GetObject<ns3::Ipv4>();
  if (!m_ipv4) NS_FATAL_ERROR("wg-flood: the attacker node has no IPv4 stack");
  m_ipv4->TraceConnectWithoutContext(
      "Rx", ns3::MakeCallback(&InitiationFloodApplication::OnIpv4Rx, this));
  m_start = ns3::Simulator::Now();
  SendNext();
}

void InitiationFloodApplication::StopApplication() { ns3::Simulator::Cancel(m_next); }

void InitiationFloodApplication::SendNext() {
  constexpr uint16_t kSourcePort = 40000;
  const Time now(ns3::Simulator::Now().GetNanoSeconds());
  crypto::Bytes message = MakeJunkInitiation(m_macs, m_rng, now);
  ns3::Ptr<ns3::Packet> packet = ns3::Create<ns3::Packet>(message.data(), message.size());
  ns3::UdpHeader udp;
  udp.SetSourcePort(kSourcePort);
  udp.SetDestinationPort(m_victimPort);
  packet->AddHeader(udp);
  // No route given: the IPv4 layer looks one up for the destination and keeps our source.
  m_ipv4->Send(packet, m_sources[m_sent % m_sources.size()], m_victimAddress,
               ns3::UdpL4Protocol::PROT_NUMBER, nullptr);
  ++m_sent;
  // The n-th initiation goes at start + n / rate, so rounding never drifts the rate.
  const ns3::Time at =
      m_start + ns3::NanoSeconds(static_cast<int64_t>(std::llround(m_sent * 1e9 / m_rate)));
  m_next = ns3::Simulator::Schedule(at - ns3::Simulator::Now(),
                                    &InitiationFloodApplication::SendNext, this);
}

void InitiationFloodApplication::OnIpv4Rx(ns3::Ptr<const ns3::Packet> packet, ns3::Ptr<ns3::Ipv4>,
                                          uint32_t) {
  ns3::Ptr<ns3::Packet> copy = packet->Copy();
  ns3::Ipv4Header ip;
  ns3::UdpHeader udp;
  if (copy->RemoveHeader(ip) == 0 || ip.GetProtocol() != ns3::UdpL4Protocol::PROT_NUMBER ||
      copy->RemoveHeader(udp) == 0) {
    ++m_otherReceived;
    return;
  }
  uint8_t type = 0;
  if (copy->GetSize() == wireguard::cookie_reply::kSize) copy->CopyData(&type, 1);
  if (type == static_cast<uint8_t>(wireguard::MessageType::CookieReply))
    ++m_cookieReplies;
  else
    ++m_otherReceived;
}

} // namespace tunnelsim::flood

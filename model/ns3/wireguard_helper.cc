#include "wireguard_helper.h"

#include "tunnel_address.h"

#include "ns3/abort.h"
#include "ns3/ipv4-static-routing-helper.h"
#include "ns3/ipv4.h"
#include "ns3/ipv6-static-routing-helper.h"
#include "ns3/ipv6.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/pointer.h"
#include "ns3/rng-seed-manager.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("WireGuardHelper");

namespace wg = tunnelsim::wireguard;
namespace crypto = tunnelsim::crypto;

namespace {

tunnelsim::IpPrefix ParsePrefixOrAbort(const std::string &text) {
  const std::optional<tunnelsim::IpPrefix> prefix = tunnelsim::IpPrefix::Parse(text);
  NS_ABORT_MSG_IF(!prefix, "WireGuardHelper: not an IP prefix: \"" << text << "\"");
  return *prefix;
}

uint32_t CountWireGuardApps(Ptr<Node> node) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < node->GetNApplications(); ++i)
    if (DynamicCast<WireGuardApplication>(node->GetApplication(i))) ++count;
  return count;
}

int32_t Ipv4InterfaceOf(Ptr<WireGuardApplication> app) {
  return EnsureIpv4Interface(app->GetTunnelDevice(), "WireGuardHelper");
}

int32_t Ipv6InterfaceOf(Ptr<WireGuardApplication> app) {
  return EnsureIpv6Interface(app->GetTunnelDevice(), "WireGuardHelper");
}

} // namespace

WireGuardHelper::WireGuardHelper()
    : TunnelHelperBase(WireGuardApplication::GetTypeId(), "WireGuardHelper") {}

crypto::X25519PrivateKey WireGuardHelper::DeterministicPrivateKey(uint32_t nodeId, uint32_t index) {
  uint64_t seed = RngSeedManager::GetSeed();
  seed = seed * 0x100000001b3ULL ^ RngSeedManager::GetRun();
  seed = seed * 0x100000001b3ULL ^ nodeId;
  seed = seed * 0x100000001b3ULL ^ index;
  // A domain constant keeps these keys apart from the applications' own random streams.
  crypto::DeterministicRandom rng(seed ^ 0x77672d6b65797321ULL);
  return crypto::GenerateX25519KeyPair(rng).privateKey;
}

Ptr<WireGuardApplication> WireGuardHelper::Install(Ptr<Node> node) {
  return Install(node, DeterministicPrivateKey(node->GetId(), CountWireGuardApps(node)));
}

ApplicationContainer WireGuardHelper::Install(const NodeContainer &nodes) {
  ApplicationContainer apps;
  for (auto it = nodes.Begin(); it != nodes.End(); ++it)
    apps.Add(Install(*it));
  return apps;
}

Ptr<WireGuardApplication> WireGuardHelper::Install(Ptr<Node> node,
                                                   const crypto::X25519PrivateKey &privateKey) {
  Ptr<WireGuardApplication> app = m_gatewayFactory.Create<WireGuardApplication>();
  if (m_spec) app->ApplySpec(*m_spec);
  app->SetPrivateKey(privateKey);
  Ptr<TunnelNetDevice> device = m_deviceFactory.Create<TunnelNetDevice>();
  node->AddDevice(device);
  app->SetTunnelDevice(device);
  if (Ptr<CryptoCpuModel> cpu = NewCpuModel()) app->SetAttribute("CpuModel", PointerValue(cpu));
  node->AddApplication(app);
  Ipv4InterfaceOf(app);
  if (node->GetObject<Ipv6>()) Ipv6InterfaceOf(app);
  return app;
}

Ptr<WireGuardApplication> WireGuardHelper::Install(Ptr<Node> node, const wg::DeviceConfig &config) {
  Ptr<WireGuardApplication> app = Install(node, config.privateKey);
  wg::DeviceConfig withoutPeers = config;
  withoutPeers.peers.clear();
  app->SetConfig(withoutPeers);
  app->GetTunnelDevice()->SetMtu(static_cast<uint16_t>(config.mtu));
  for (const tunnelsim::IpPrefix &address : config.addresses)
    AssignAddress(app, address.address.ToString() + "/" + std::to_string(address.length));
  for (const wg::PeerConfig &peer : config.peers) {
    app->AddPeer(peer);
    for (const tunnelsim::IpPrefix &prefix : peer.allowedIps)
      if (prefix.length > 0) AddRoute(app, prefix);
  }
  return app;
}

Ptr<WireGuardApplication> WireGuardHelper::InstallFromFile(Ptr<Node> node,
                                                           const std::string &path) {
  return Install(node, wg::LoadWgQuickConfig(path));
}

void WireGuardHelper::AssignAddress(Ptr<WireGuardApplication> app, const std::string &text) {
  // The host part matters here, so the prefix is not parsed with IpPrefix (which masks it).
  const size_t slash = text.find('/');
  const std::optional<tunnelsim::IpAddress> address =
      tunnelsim::IpAddress::Parse(text.substr(0, slash));
  NS_ABORT_MSG_IF(!address, "WireGuardHelper: not an interface address: \"" << text << "\"");
  unsigned length = address->bits();
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    NS_ABORT_MSG_IF(digits.empty() || digits.size() > 3 ||
                        digits.find_first_not_of("0123456789") != std::string::npos ||
                        std::stoul(digits) > address->bits(),
                    "WireGuardHelper: bad prefix length in \"" << text << "\"");
    length = static_cast<unsigned>(std::stoul(digits));
  }
  if (address->IsV4()) {
    Ptr<Ipv4> ipv4 = app->GetNode()->GetObject<Ipv4>();
    const int32_t interface = Ipv4InterfaceOf(app);
    ipv4->AddAddress(interface,
                     Ipv4InterfaceAddress(ToNs3Ipv4(*address),
                                          Ipv4Mask(length == 0 ? 0 : ~0u << (32 - length))));
  } else {
    Ptr<Ipv6> ipv6 = app->GetNode()->GetObject<Ipv6>();
    const int32_t interface = Ipv6InterfaceOf(app);
    ipv6->AddAddress(interface, Ipv6InterfaceAddress(ToNs3Ipv6(*address),
                                                     Ipv6Prefix(static_cast<uint8_t>(length))));
  }
}

void WireGuardHelper::AddPeer(Ptr<WireGuardApplication> app, const crypto::X25519PublicKey &peer,
                              const std::vector<std::string> &allowedIps, const Address &endpoint,
                              const WireGuardPeerOptions &options) {
  wg::PeerConfig config;
  config.publicKey = peer;
  config.presharedKey = options.presharedKey;
  config.persistentKeepalive = tunnelsim::Duration(options.persistentKeepalive.GetNanoSeconds());
  for (const std::string &text : allowedIps)
    config.allowedIps.push_back(ParsePrefixOrAbort(text));
  if (!endpoint.IsInvalid()) {
    const auto socketAddress = FromSocketAddress(endpoint);
    NS_ABORT_MSG_IF(!socketAddress,
                    "WireGuardHelper: an endpoint is an InetSocketAddress or Inet6SocketAddress");
    config.endpoint = wg::Endpoint{socketAddress->first, socketAddress->second};
  }
  app->AddPeer(config);
  if (options.addRoutes) {
    for (const tunnelsim::IpPrefix &prefix : config.allowedIps)
      if (prefix.length > 0) AddRoute(app, prefix);
  }
}

void WireGuardHelper::AddPeer(Ptr<WireGuardApplication> app, Ptr<WireGuardApplication> peer,
                              const std::vector<std::string> &allowedIps, const Address &endpoint,
                              const WireGuardPeerOptions &options) {
  AddPeer(app, peer->GetPublicKey(), allowedIps, endpoint, options);
}

void WireGuardHelper::AddRoute(Ptr<WireGuardApplication> app, const tunnelsim::IpPrefix &prefix) {
  NS_ABORT_MSG_IF(prefix.length == 0,
                  "WireGuardHelper: a default route through the tunnel would carry the tunnel's "
                  "own datagrams; route narrower prefixes");
  if (prefix.address.IsV4()) {
    Ptr<Ipv4> ipv4 = app->GetNode()->GetObject<Ipv4>();
    const int32_t interface = Ipv4InterfaceOf(app);
    Ipv4StaticRoutingHelper helper;
    Ptr<Ipv4StaticRouting> routing = helper.GetStaticRouting(ipv4);
    NS_ABORT_MSG_IF(!routing, "WireGuardHelper: the node has no IPv4 static routing");
    routing->AddNetworkRouteTo(ToNs3Ipv4(prefix.address), Ipv4Mask(~0u << (32 - prefix.length)),
                               interface);
  } else {
    Ptr<Ipv6> ipv6 = app->GetNode()->GetObject<Ipv6>();
    if (!ipv6) {
      NS_LOG_WARN("node " << app->GetNode()->GetId() << " has no IPv6: route " << prefix.ToString()
                          << " skipped");
      return;
    }
    const int32_t interface = Ipv6InterfaceOf(app);
    Ipv6StaticRoutingHelper helper;
    Ptr<Ipv6StaticRouting> routing = helper.GetStaticRouting(ipv6);
    NS_ABORT_MSG_IF(!routing, "WireGuardHelper: the node has no IPv6 static routing");
    routing->AddNetworkRouteTo(ToNs3Ipv6(prefix.address),
                               Ipv6Prefix(static_cast<uint8_t>(prefix.length)), interface);
  }
}

} // namespace ns3

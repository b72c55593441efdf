#include "gre_ipsec_helper.h"

#include "ns3/tunnel_address.h"

#include "common/ip_address.h"

#include "ns3/abort.h"
#include "ns3/boolean.h"
#include "ns3/enum.h"
#include "ns3/ipv4-static-routing-helper.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/pointer.h"
#include "ns3/string.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("GreIpsecHelper");

namespace {

tunnelsim::IpPrefix ParseIpv4PrefixOrAbort(const std::string &text) {
  const std::optional<tunnelsim::IpPrefix> prefix = tunnelsim::IpPrefix::Parse(text);
  NS_ABORT_MSG_IF(!prefix || !prefix->address.IsV4(),
                  "GreIpsecHelper: not an IPv4 prefix: \"" << text << "\"");
  return *prefix;
}

Ipv4Mask MaskOf(unsigned length) { return Ipv4Mask(length == 0 ? 0u : ~0u << (32 - length)); }

int32_t TunnelInterface(Ptr<GreIpsecGateway> gateway) {
  return EnsureIpv4Interface(gateway->GetTunnelDevice(), "GreIpsecHelper");
}

} // namespace

GreIpsecHelper::GreIpsecHelper()
    : TunnelHelperBase(GreIpsecGateway::GetTypeId(), "GreIpsecHelper") {}

void GreIpsecHelper::EnableKeyExport(const std::string &espSaPath, const std::string &ikev2Path) {
  m_espSaPath = espSaPath;
  m_ikev2Path = ikev2Path;
}

Ptr<GreIpsecGateway> GreIpsecHelper::InstallOne(Ptr<Node> node, Ipv4Address local,
                                                Ipv4Address remote, bool initiator) {
  Ptr<GreIpsecGateway> gateway = m_gatewayFactory.Create<GreIpsecGateway>();
  if (m_spec) gateway->ApplySpec(*m_spec);
  gateway->SetAttribute("LocalAddress", Ipv4AddressValue(local));
  gateway->SetAttribute("RemoteAddress", Ipv4AddressValue(remote));
  gateway->SetAttribute("Initiator", BooleanValue(initiator));
  gateway->SetAttribute("LocalId", StringValue(initiator ? "gw-a.tunnelsim" : "gw-b.tunnelsim"));
  gateway->SetAttribute("RemoteId", StringValue(initiator ? "gw-b.tunnelsim" : "gw-a.tunnelsim"));
  if (initiator) {
    gateway->SetAttribute("EspKeyFile", StringValue(m_espSaPath));
    gateway->SetAttribute("IkeKeyFile", StringValue(m_ikev2Path));
  }
  if (Ptr<CryptoCpuModel> cpu = NewCpuModel()) gateway->SetAttribute("CpuModel", PointerValue(cpu));
  Ptr<TunnelNetDevice> device = m_deviceFactory.Create<TunnelNetDevice>();
  node->AddDevice(device);
  gateway->SetTunnelDevice(device);
  node->AddApplication(gateway);
  TunnelInterface(gateway);
  return gateway;
}

GreIpsecTunnel GreIpsecHelper::Install(Ptr<Node> gatewayA, Ipv4Address wanA, Ptr<Node> gatewayB,
                                       Ipv4Address wanB, const GreIpsecSites &sites) {
  GreIpsecTunnel tunnel;
  tunnel.a = InstallOne(gatewayA, wanA, wanB, true);
  tunnel.b = InstallOne(gatewayB, wanB, wanA, false);
  if (tunnel.a->GetMode() == GreIpsecGateway::IPSEC_TUNNEL) {
    NS_ABORT_MSG_IF(sites.siteA.size() != 1 || sites.siteB.size() != 1,
                    "GreIpsecHelper: IPsec tunnel mode takes one prefix per site");
    const std::string a = ParseIpv4PrefixOrAbort(sites.siteA[0]).ToString();
    const std::string b = ParseIpv4PrefixOrAbort(sites.siteB[0]).ToString();
    tunnel.a->SetAttribute("LocalSubnet", StringValue(a));
    tunnel.a->SetAttribute("RemoteSubnet", StringValue(b));
    tunnel.b->SetAttribute("LocalSubnet", StringValue(b));
    tunnel.b->SetAttribute("RemoteSubnet", StringValue(a));
  }
  if (!sites.tunnelAddressA.empty()) AssignAddress(tunnel.a, sites.tunnelAddressA);
  if (!sites.tunnelAddressB.empty()) AssignAddress(tunnel.b, sites.tunnelAddressB);
  for (const std::string &prefix : sites.siteB)
    AddRoute(tunnel.a, prefix);
  for (const std::string &prefix : sites.siteA)
    AddRoute(tunnel.b, prefix);
  return tunnel;
}

void GreIpsecHelper::AddRoute(Ptr<GreIpsecGateway> gateway, const std::string &text) {
  const tunnelsim::IpPrefix prefix = ParseIpv4PrefixOrAbort(text);
  NS_ABORT_MSG_IF(prefix.length == 0,
                  "GreIpsecHelper: a default route through the tunnel would carry the tunnel's "
                  "own outer packets; route narrower prefixes");
  Ptr<Ipv4> ipv4 = gateway->GetNode()->GetObject<Ipv4>();
  Ipv4StaticRoutingHelper helper;
  Ptr<Ipv4StaticRouting> routing = helper.GetStaticRouting(ipv4);
  NS_ABORT_MSG_IF(!routing, "GreIpsecHelper: the gateway has no IPv4 static routing");
  routing->AddNetworkRouteTo(ToNs3Ipv4(prefix.address), MaskOf(prefix.length),
                             TunnelInterface(gateway));
}

void GreIpsecHelper::AssignAddress(Ptr<GreIpsecGateway> gateway, const std::string &text) {
  const size_t slash = text.find('/');
  const std::optional<tunnelsim::IpAddress> address =
      tunnelsim::IpAddress::Parse(text.substr(0, slash));
  const std::optional<tunnelsim::IpPrefix> prefix = tunnelsim::IpPrefix::Parse(text);
  NS_ABORT_MSG_IF(!address || !prefix || !address->IsV4(),
                  "GreIpsecHelper: not an IPv4 interface address: \"" << text << "\"");
  Ptr<Ipv4> ipv4 = gateway->GetNode()->GetObject<Ipv4>();
  ipv4->AddAddress(TunnelInterface(gateway),
                   Ipv4InterfaceAddress(ToNs3Ipv4(*address), MaskOf(prefix->length)));
}

} // namespace ns3

// Sets up a site-to-site tunnel between two gateway nodes the way an operator would with
// `ip link add gre1 type gre local A remote B key K seq` plus strongSwan (or `ip xfrm` tunnel
// mode): a GreIpsecGateway and a gre1-like TunnelNetDevice on each gateway, an address on each
// tunnel interface, and static routes for the far site through it. Gateway A initiates IKE.
//
//   GreIpsecHelper helper;
//   helper.SetAttribute("Mode", EnumValue(GreIpsecGateway::GRE_OVER_IPSEC));
//   helper.SetAttribute("GreKey", IntegerValue(42));
//   helper.SetAttribute("ReplayWindow", UintegerValue(32));
//   helper.SetCpuModelAttribute("Workers", UintegerValue(4));   // optional crypto CPU model
//   helper.EnableKeyExport("esp_sa", "ikev2_decryption_table");  // Wireshark UAT files
//   GreIpsecTunnel t = helper.Install(gwA, wanA, gwB, wanB, {{"10.1.0.0/24"}, {"10.2.0.0/24"}});
//   helper.EnablePcap("gre1", t.a->GetTunnelDevice());          // inner packets, raw IP
#pragma once

#include "gre_ipsec_gateway.h"

#include "ns3/tunnel_helper_base.h"

#include "ns3/ipv4-address.h"
#include "ns3/node.h"
#include "ns3/object-factory.h"
#include "ns3/trace-helper.h"

#include <optional>
#include <string>
#include <vector>

namespace ns3 {

struct GreIpsecSites {
  std::vector<std::string> siteA; // prefixes behind gateway A, e.g. "10.1.0.0/24"
  std::vector<std::string> siteB; // prefixes behind gateway B
  // Addresses of the tunnel interfaces ("" for none).
  std::string tunnelAddressA = "10.255.255.1/30";
  std::string tunnelAddressB = "10.255.255.2/30";
};

struct GreIpsecTunnel {
  Ptr<GreIpsecGateway> a; // IKE initiator
  Ptr<GreIpsecGateway> b; // IKE responder
};

class GreIpsecHelper : public TunnelHelperBase {
public:
  GreIpsecHelper();

  // Both gateways installed from now on take this scenario spec (GreIpsecGateway::ApplySpec:
  // mode, GRE and IPsec settings, MTU), over the attributes of the same meaning.
  void SetSpec(const tunnelsim::tunnel::TunnelSpec &spec) { m_spec = spec; }
  // Writes the keys in Wireshark's UAT formats: every ESP SA (both directions) to `espSaPath`
  // and the IKE SA to `ikev2Path` (either may be empty). Gateway A writes them: as the IKE
  // initiator it installs every SA of the pair, so each key appears exactly once.
  void EnableKeyExport(const std::string &espSaPath, const std::string &ikev2Path);

  // Installs the pair. `wanA`/`wanB` are addresses of the gateways' WAN interfaces, which must
  // reach each other. In IPsec tunnel mode each site is exactly one prefix (one traffic
  // selector per side). Aborts on bad prefixes.
  GreIpsecTunnel Install(Ptr<Node> gatewayA, Ipv4Address wanA, Ptr<Node> gatewayB, Ipv4Address wanB,
                         const GreIpsecSites &sites);

  // `ip route add <prefix> dev gre1` on the gateway's node.
  static void AddRoute(Ptr<GreIpsecGateway> gateway, const std::string &prefix);
  // `ip address add <address/len> dev gre1`.
  static void AssignAddress(Ptr<GreIpsecGateway> gateway, const std::string &addressAndLength);

private:
  Ptr<GreIpsecGateway> InstallOne(Ptr<Node> node, Ipv4Address local, Ipv4Address remote,
                                  bool initiator);
  std::optional<tunnelsim::tunnel::TunnelSpec> m_spec;
  std::string m_espSaPath, m_ikev2Path;
};

} // namespace ns3

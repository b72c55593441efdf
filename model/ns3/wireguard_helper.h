// Installs WireGuard on nodes the way wg-quick sets up a host: a wg0-like TunnelNetDevice
// added to the node's IPv4 (and IPv6) stack, a WireGuardApplication driving it, the tunnel
// address on the interface and routes for every peer's allowed IPs through it.
//
//   WireGuardHelper wg;
//   wg.SetAttribute("KeyLogFile", StringValue("keys.log"));
//   Ptr<WireGuardApplication> a = wg.Install(gatewayA), b = wg.Install(gatewayB);
//   WireGuardHelper::AssignAddress(a, "10.99.0.1/24");
//   WireGuardHelper::AssignAddress(b, "10.99.0.2/24");
//   wg.AddPeer(a, b, {"10.99.0.2/32", "10.2.0.0/24"}, InetSocketAddress(bOuterIp, 51820));
//   wg.AddPeer(b, a, {"10.99.0.1/32", "10.1.0.0/24"});   // no endpoint: learnt by roaming
//   wg.EnablePcap("wg", a->GetTunnelDevice());
#pragma once

#include "tunnel_helper_base.h"
#include "wireguard_app.h"

#include "wireguard/config.h"

#include "ns3/application-container.h"
#include "ns3/node-container.h"
#include "ns3/object-factory.h"
#include "ns3/trace-helper.h"

#include <optional>
#include <string>
#include <vector>

namespace ns3 {

struct WireGuardPeerOptions {
  std::optional<tunnelsim::wireguard::PresharedKey> presharedKey;
  Time persistentKeepalive = Seconds(0); // zero: off
  bool addRoutes = true;                 // routes for the allowed IPs through the interface
};

class WireGuardHelper : public TunnelHelperBase {
public:
  WireGuardHelper();

  // Every application installed from now on takes this scenario spec
  // (WireGuardApplication::ApplySpec), over the attributes of the same meaning.
  void SetSpec(const tunnelsim::tunnel::WireGuardSpec &spec) { m_spec = spec; }

  // A private key derived from the simulation's seed and run (RngSeedManager), the node and
  // an index: the same scenario with the same seed always gets the same keys.
  static tunnelsim::crypto::X25519PrivateKey DeterministicPrivateKey(uint32_t nodeId,
                                                                     uint32_t index = 0);

  // Installs with a deterministic key (DeterministicPrivateKey(node id, n)) for the node's
  // n-th WireGuard interface.
  Ptr<WireGuardApplication> Install(Ptr<Node> node);
  ApplicationContainer Install(const NodeContainer &nodes);
  Ptr<WireGuardApplication> Install(Ptr<Node> node,
                                    const tunnelsim::crypto::X25519PrivateKey &privateKey);
  // From a wg-quick configuration: key, ListenPort, MTU and peers, the Address entries put
  // on the interface and routes for the peers' allowed IPs (wg-quick's Table = auto).
  Ptr<WireGuardApplication> Install(Ptr<Node> node,
                                    const tunnelsim::wireguard::DeviceConfig &config);
  // Reads a wg-quick INI file; throws tunnelsim::wireguard::ConfigError on a bad file.
  Ptr<WireGuardApplication> InstallFromFile(Ptr<Node> node, const std::string &path);

  // `ip address add <prefix> dev wg0`: "10.99.0.1/24" or "fd00::1/64". Aborts on bad text.
  static void AssignAddress(Ptr<WireGuardApplication> app, const std::string &prefix);

  // Adds `peer` to `app` with allowed IPs ("10.2.0.0/24", ...) and an optional endpoint
  // (an InetSocketAddress / Inet6SocketAddress; an empty Address means none). Aborts on bad
  // prefixes.
  static void AddPeer(Ptr<WireGuardApplication> app, const tunnelsim::crypto::X25519PublicKey &peer,
                      const std::vector<std::string> &allowedIps,
                      const Address &endpoint = Address(),
                      const WireGuardPeerOptions &options = {});
  static void AddPeer(Ptr<WireGuardApplication> app, Ptr<WireGuardApplication> peer,
                      const std::vector<std::string> &allowedIps,
                      const Address &endpoint = Address(),
                      const WireGuardPeerOptions &options = {});

  // Routes `prefix` through the app's tunnel interface (the default route, /0, is refused:
  // it would capture the tunnel's own datagrams, which wg-quick avoids with policy routing).
  static void AddRoute(Ptr<WireGuardApplication> app, const tunnelsim::IpPrefix &prefix);

private:
  std::optional<tunnelsim::tunnel::WireGuardSpec> m_spec;
};

} // namespace ns3

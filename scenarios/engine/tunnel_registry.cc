#include "tunnel_registry.h"

namespace tunnelsim::scenario {

// One line per tunnel type: the name scenario files use and the factory in tunnels/<name>.cc.
#define TUNNELSIM_TUNNELS(X)                                                                       \
  X("none", MakeNoneTunnel)                                                                        \
  X("wireguard", MakeWireGuardTunnel)                                                              \
  X("gre", MakeGreTunnel)                                                                          \
  X("ipsec", MakeIpsecTunnel)                                                                      \
  X("gre-over-ipsec", MakeGreOverIpsecTunnel)

#define TUNNELSIM_DECLARE_FACTORY(name, factory) std::unique_ptr<Tunnel> factory();
TUNNELSIM_TUNNELS(TUNNELSIM_DECLARE_FACTORY)
#undef TUNNELSIM_DECLARE_FACTORY

namespace {

struct Registration {
  const char *name;
  std::unique_ptr<Tunnel> (*factory)();
};

const std::vector<Registration> &Registry() {
#define TUNNELSIM_REGISTER(name, factory) Registration{name, &factory},
  static const std::vector<Registration> registry = {TUNNELSIM_TUNNELS(TUNNELSIM_REGISTER)};
#undef TUNNELSIM_REGISTER
  return registry;
}

} // namespace

std::vector<std::string> AvailableTunnels() {
  std::vector<std::string> names;
  for (const Registration &registration : Registry())
    names.push_back(registration.name);
  return names;
}

std::unique_ptr<Tunnel> MakeTunnel(const std::string &name) {
  for (const Registration &registration : Registry()) {
    if (name == registration.name) return registration.factory();
  }
  if (name == "strongswan") {
    throw TunnelNotAvailable("tunnel.type \"strongswan\" (strongSwan's charon as the gateways) "
                             "runs in `tunnelsim emulate` only, not in the ns-3 engine");
  }
  std::string available;
  for (const std::string &known : AvailableTunnels()) {
    available += (available.empty() ? "" : ", ") + known;
  }
  throw TunnelNotAvailable("tunnel.type \"" + name +
                           "\" is not available in this build (available: " + available + ")");
}

} // namespace tunnelsim::scenario

#include "emulate/gateway.h"

#include <stdexcept>

namespace tunnelsim::emulate {
namespace {

// tunnel.type = "none": the gateways route the LANs over the plain path.
class PlainGateway : public Gateway {
public:
  explicit PlainGateway(size_t mtu) : mtu_(mtu) {}
  void FromLan(Bytes inner, Time, GatewayOutput &out) override {
    if (inner.size() > mtu_) {
      ++counters_.tooBig;
      return;
    }
    out.toWan.push_back(std::move(inner));
  }
  void FromWan(Bytes outer, Time, GatewayOutput &out) override {
    out.toLan.push_back(std::move(outer));
  }
  GatewayCounters Counters() const override { return counters_; }

private:
  size_t mtu_;
  GatewayCounters counters_;
};

} // namespace

std::unique_ptr<Gateway> MakePlainGateway(const TunnelSettings &settings) {
  return std::make_unique<PlainGateway>(settings.innerMtu);
}

GatewayPair MakeGateways(const TunnelSettings &settings, Time now) {
  // strongswan: charon is the gateway, inside each host's namespace; the relay carries its
  // outer packets over the plain path (scenarios/emulate/strongswan_gateways.h).
  if (!settings.spec.IsTunnel() || settings.spec.StrongSwan()) {
    return {MakePlainGateway(settings), MakePlainGateway(settings)};
  }
  if (settings.spec.WireGuard()) return MakeWireGuardGateways(settings, now);
  if (settings.spec.Gre() || settings.spec.Ipsec()) return MakeGreIpsecGateways(settings, now);
  throw std::invalid_argument("the relay has no gateway for tunnel.type \"" +
                              std::string(settings.spec.TypeName()) + "\"");
}

} // namespace tunnelsim::emulate

#include "relay_from_scenario.h"

#include "emulate_limits.h"
#include "impairment_settings.h"
#include "tunnel_spec_json.h"
#include "units.h"

#include <algorithm>

namespace tunnelsim::emulate {
namespace {

using nlohmann::json;

int64_t DurationNs(const json &table, const char *key) {
  return *scenario::ParseDurationNs(table.at(key).get<std::string>());
}

uint64_t RateBps(const json &table, const char *key) {
  return *scenario::ParseDataRateBps(table.at(key).get<std::string>());
}

void RefuseFinerThanTimer(bool enforce, const std::string &name, const char *what, Duration value) {
  if (enforce && value.count() > 0 && value.count() < kMinImpairmentDelayNs) {
    throw EmulateUnsupported(
        "impairment." + name + ": " + what + " " + std::to_string(value.count() / 1000) +
        " us is finer than the relay's timing allows (at least " +
        std::to_string(kMinImpairmentDelayNs / 1000) + " us; docs/tcp-fidelity.md)");
  }
}

// The smallest MTU on the way: the links' and every tunnel interface's of this type.
size_t InnerMtu(const tunnel::TunnelSpec &spec, size_t linkMtu) {
  size_t mtu = linkMtu;
  if (const auto *wg = spec.WireGuard()) mtu = std::min<size_t>(mtu, wg->mtu);
  if (const auto *gre = spec.Gre()) mtu = std::min<size_t>(mtu, gre->mtu);
  if (const auto *ipsec = spec.Ipsec()) mtu = std::min<size_t>(mtu, ipsec->mtu);
  return mtu;
}

void CheckSupported(const json &resolved, const tunnel::TunnelSpec &spec) {
  if (spec.IsTunnel() && spec.cpu.enabled) {
    throw EmulateUnsupported("tunnel.cpu.enabled: emulate uses no CPU model (the relay's own "
                             "CPU is real); set tunnel.cpu.enabled = false");
  }
  // The kernel hosts and charon would need iptables TCPMSS and ICMP from the relay's gateways;
  // neither is modelled here, and running without them would report a path the user did not ask
  // for.
  if (spec.gateway.clampMss != tunnel::GatewaySpec::ClampMss::kOff) {
    throw EmulateUnsupported("tunnel.clamp_mss: emulate's gateways do not clamp the MSS; set "
                             "tunnel.clamp_mss = \"off\"");
  }
  if (spec.gateway.pmtuDiscovery) {
    throw EmulateUnsupported("tunnel.pmtu_discovery: emulate's gateways send no ICMP "
                             "fragmentation-needed; set tunnel.pmtu_discovery = false");
  }
  if (resolved.at("topology").contains("roam_at")) {
    throw EmulateUnsupported("topology.roam_at: emulate does not support roaming");
  }
  const json &traffic = resolved.at("traffic");
  if (traffic.contains("udp")) {
    for (const json &flow : traffic.at("udp")) {
      // A flood at the far gateway's tunnel port hits the relay's core or charon's socket,
      // neither of which is a host with a sink; only host-to-host flows are carried.
      if (flow.at("target").get<std::string>() != "host") {
        throw EmulateUnsupported("traffic.udp.target = \"" + flow.at("target").get<std::string>() +
                                 "\": emulate sends UDP flows to the far host only");
      }
    }
  }
  const json &output = resolved.at("output");
  if (output.at("pcap").get<bool>() || output.at("key_log").get<bool>()) {
    throw EmulateUnsupported("output.pcap / output.key_log: not written by emulate");
  }
}

LinkHopSettings Hop(const json &resolved, const std::string &link, const std::string &direction,
                    uint64_t rate, int64_t delayNs, bool enforce) {
  LinkHopSettings hop;
  hop.name = link + "." + direction;
  hop.rateBitsPerSecond = rate;
  hop.delay = Duration(delayNs);
  hop.queuePackets = resolved.at("topology").at("queue_packets").get<uint32_t>();
  const json &impairments = resolved.contains("impairment") ? resolved.at("impairment") : json();
  if (!impairments.is_object() || !impairments.contains(link) ||
      !impairments.at(link).contains(direction)) {
    return hop;
  }
  scenario::LinkImpairmentSettings settings;
  try {
    settings = scenario::ImpairmentSettingsFrom(
        impairments.at(link).at(direction),
        scenario::ImpairmentSeed(resolved.at("seed").get<uint64_t>(), link, direction));
  } catch (const std::invalid_argument &error) {
    throw std::invalid_argument("impairment." + hop.name + ": " + error.what());
  }
  if (settings.hasTrace) {
    throw EmulateUnsupported("impairment." + hop.name +
                             ".trace: trace replay runs in the ns-3 simulation only; the emulate "
                             "relay has no trace stage (use `tunnelsim run`)");
  }
  if (settings.hasNetem) {
    RefuseFinerThanTimer(enforce, hop.name, "delay", settings.netem.latency);
    RefuseFinerThanTimer(enforce, hop.name, "jitter", settings.netem.jitter);
    hop.netem = settings.netem;
  }
  if (settings.hasAck) {
    RefuseFinerThanTimer(enforce, hop.name, "ack_delay", settings.ack.delay);
    RefuseFinerThanTimer(enforce, hop.name, "ack_delay_jitter", settings.ack.delayJitter);
    RefuseFinerThanTimer(enforce, hop.name, "ack_compress_interval", settings.ack.compressInterval);
    hop.ack = settings.ack;
  }
  return hop;
}

TunnelSettings TunnelFrom(const json &resolved, tunnel::TunnelSpec spec) {
  TunnelSettings s;
  s.innerMtu = InnerMtu(spec, resolved.at("topology").at("mtu").get<size_t>());
  s.spec = std::move(spec);
  s.seed = resolved.at("seed").get<uint64_t>();
  s.homeWan = kHomeGatewayWan;
  s.workWan = kWorkGatewayWan;
  s.homeLan = kHomeLanNetwork;
  s.workLan = kWorkLanNetwork;
  return s;
}

} // namespace

size_t HostMtu(const json &resolved) {
  return InnerMtu(scenario::TunnelSpecFrom(resolved),
                  resolved.at("topology").at("mtu").get<size_t>());
}

RelaySettings RelaySettingsFrom(const json &resolved, bool enforceLimits) {
  // The [tunnel] table, decoded once (the engine's decoder, as `tunnelsim run` uses).
  tunnel::TunnelSpec spec = scenario::TunnelSpecFrom(resolved);
  CheckSupported(resolved, spec);
  const json &topology = resolved.at("topology");
  const uint64_t lan = RateBps(topology, "lan_rate");
  const uint64_t wan = RateBps(topology, "wan_rate");
  const uint64_t up = RateBps(topology, "access_up_rate");
  const uint64_t down = RateBps(topology, "access_down_rate");
  const int64_t lanDelay = DurationNs(topology, "lan_delay");
  const int64_t accessDelay = DurationNs(topology, "access_delay");
  const int64_t wanDelay = DurationNs(topology, "wan_delay");
  const uint64_t bottleneck = std::max(std::min({lan, wan, up}), std::min({lan, wan, down}));
  if (enforceLimits && bottleneck > kMaxBottleneckRateBps) {
    throw EmulateUnsupported(
        "topology: the path's bottleneck rate (" + std::to_string(bottleneck / 1000000) +
        " Mbit/s) is above what the relay carries faithfully (" +
        std::to_string(kMaxBottleneckRateBps / 1000000) + " Mbit/s; docs/tcp-fidelity.md)");
  }
  RelaySettings settings;
  settings.tunnel = TunnelFrom(resolved, std::move(spec));
  settings.hops[kHomeLanUp] = Hop(resolved, "home_lan", "up", lan, lanDelay, enforceLimits);
  settings.hops[kAccessUp] = Hop(resolved, "access", "up", up, accessDelay, enforceLimits);
  settings.hops[kWanUp] = Hop(resolved, "wan", "up", wan, wanDelay, enforceLimits);
  settings.hops[kWorkLanUp] = Hop(resolved, "work_lan", "up", lan, lanDelay, enforceLimits);
  settings.hops[kWorkLanDown] = Hop(resolved, "work_lan", "down", lan, lanDelay, enforceLimits);
  settings.hops[kWanDown] = Hop(resolved, "wan", "down", wan, wanDelay, enforceLimits);
  settings.hops[kAccessDown] = Hop(resolved, "access", "down", down, accessDelay, enforceLimits);
  settings.hops[kHomeLanDown] = Hop(resolved, "home_lan", "down", lan, lanDelay, enforceLimits);
  return settings;
}

} // namespace tunnelsim::emulate

#include "tunnel_spec_json.h"

#include "units.h"

#include <stdexcept>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;
using namespace tunnelsim::tunnel;

Duration DurationKey(const json &table, const char *key) {
  return Duration(*ParseDurationNs(table.at(key).get<std::string>()));
}

template <typename Enum, size_t N>
Enum EnumKey(const json &table, const char *key, const std::array<std::string_view, N> &names) {
  const std::string text = table.at(key).get<std::string>();
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  throw std::invalid_argument(std::string(key) + ": unknown value \"" + text + "\"");
}

CpuSpec CpuFrom(const json &cpu) {
  CpuSpec spec;
  spec.enabled = cpu.at("enabled").get<bool>();
  spec.fixedCost = DurationKey(cpu, "fixed_cost");
  spec.perByteNs = cpu.at("per_byte_ns").get<double>();
  spec.workers = cpu.at("workers").get<uint32_t>();
  spec.reserialise = cpu.at("reserialise").get<bool>();
  return spec;
}

WireGuardSpec WireGuardFrom(const json &wg) {
  WireGuardSpec spec;
  spec.listenPort = wg.at("listen_port").get<uint16_t>();
  spec.mtu = wg.at("mtu").get<uint32_t>();
  spec.persistentKeepalive = DurationKey(wg, "persistent_keepalive");
  spec.rekeyAfterTime = DurationKey(wg, "rekey_after_time");
  spec.rejectAfterTime = DurationKey(wg, "reject_after_time");
  spec.rekeyAttemptTime = DurationKey(wg, "rekey_attempt_time");
  spec.rekeyTimeout = DurationKey(wg, "rekey_timeout");
  spec.keepaliveTimeout = DurationKey(wg, "keepalive_timeout");
  spec.rekeyAfterMessages = wg.at("rekey_after_messages").get<uint64_t>();
  spec.underLoadHandshakesPerSecond = wg.at("under_load_handshakes_per_second").get<uint32_t>();
  return spec;
}

GreSpec GreFrom(const json &gre) {
  GreSpec spec;
  if (gre.contains("key") && !gre.at("key").is_null()) spec.key = gre.at("key").get<uint32_t>();
  spec.checksum = gre.at("checksum").get<bool>();
  spec.sequence = gre.at("sequence").get<bool>();
  spec.mtu = gre.at("mtu").get<uint32_t>();
  return spec;
}

IpsecSpec IpsecFrom(const json &ipsec) {
  IpsecSpec spec;
  spec.replayWindow = ipsec.at("replay_window").get<uint32_t>();
  spec.esn = ipsec.at("esn").get<bool>();
  spec.encryption = EnumKey<Aead>(ipsec, "encryption", kAeadNames);
  spec.ikeEncryption = EnumKey<Aead>(ipsec, "ike_encryption", kAeadNames);
  spec.childLifetime = DurationKey(ipsec, "child_lifetime");
  spec.childLifetimeBytes = ipsec.at("child_lifetime_bytes").get<uint64_t>();
  spec.ikeLifetime = DurationKey(ipsec, "ike_lifetime");
  spec.rekeyMargin = DurationKey(ipsec, "rekey_margin");
  spec.rekeyMode = EnumKey<RekeyMode>(ipsec, "rekey_mode", kRekeyModeNames);
  spec.retransmitTimeout = DurationKey(ipsec, "retransmit_timeout");
  spec.retransmitTries = ipsec.at("retransmit_tries").get<uint32_t>();
  spec.dpdDelay = DurationKey(ipsec, "dpd_delay");
  spec.mtu = ipsec.at("mtu").get<uint32_t>();
  return spec;
}

// tunnel.clamp_mss ("off" | "pmtu" | a number, checked by scenario_checks.cc) and
// tunnel.pmtu_discovery.
GatewaySpec GatewayFrom(const json &tunnel) {
  GatewaySpec spec;
  const std::string clamp = tunnel.at("clamp_mss").get<std::string>();
  if (!spec.ParseClampMss(clamp))
    throw std::invalid_argument("tunnel.clamp_mss: unknown value \"" + clamp + "\"");
  spec.pmtuDiscovery = tunnel.at("pmtu_discovery").get<bool>();
  return spec;
}

} // namespace

TunnelSpec TunnelSpecFrom(const json &resolved) {
  const json &table = resolved.at("tunnel");
  const std::string type = table.at("type").get<std::string>();
  TunnelSpec spec;
  if (type == "none") return spec;
  spec.cpu = CpuFrom(table.at("cpu"));
  spec.gateway = GatewayFrom(table);
  if (type == "wireguard") {
    spec.options = WireGuardFrom(table.at("wireguard"));
  } else if (type == "gre") {
    spec.options = GreFrom(table.at("gre"));
  } else if (type == "ipsec") {
    spec.options = IpsecFrom(table.at("ipsec"));
  } else if (type == "gre-over-ipsec") {
    spec.options = GreOverIpsecSpec{GreFrom(table.at("gre")), IpsecFrom(table.at("ipsec"))};
  } else if (type == "strongswan") {
    const json &strongswan = table.at("strongswan");
    StrongSwanSpec options;
    options.encryption = EnumKey<Aead>(strongswan, "encryption", kAeadNames);
    options.mtu = strongswan.at("mtu").get<uint32_t>();
    spec.options = options;
  } else {
    throw std::invalid_argument("tunnel.type: unknown type \"" + type + "\"");
  }
  return spec;
}

} // namespace tunnelsim::scenario

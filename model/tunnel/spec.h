// What a scenario's [tunnel] table says, typed: one spec per tunnel type, each field with its
// default (the member initialiser) and, where the scenario language bounds it, its range (the
// k...Range constant beside it). This header is the one home of those defaults and ranges:
//   - the scenario schema (scenarios/engine/schema.cc) takes each tunnel key's default and range
//     from here, so `tunnelsim keys` and `validate --print` show these values;
//   - the engine decodes a resolved scenario into a TunnelSpec once
//     (scenarios/engine/tunnel_spec_json.cc), and every host is given that spec: the ns-3
//     WireGuard application and GRE/IPsec gateway (model/ns3/) and the emulate relay's
//     gateways (model/emulate/);
//   - the ns-3 attributes that mirror a field take their default from here.
// Pure C++: no ns-3, no JSON, no I/O.
#pragma once

#include "common/time.h"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

namespace tunnelsim::tunnel {

// The inclusive range the scenario language allows for an integer or number key.
template <typename T> struct Range {
  T min;
  T max;
  constexpr bool Contains(T value) const { return value >= min && value <= max; }
};

// The largest integer a scenario may write (JSON numbers above it lose precision in doubles).
inline constexpr uint64_t kMaxScenarioInteger = 9000000000000000000ULL;
// Every tunnel interface's MTU is bounded alike.
inline constexpr Range<uint32_t> kMtuRange{576, 9000};

// tunnel.cpu: the crypto CPU cost model at each gateway (every tunnel type).
struct CpuSpec {
  bool enabled = false;
  Duration fixedCost = std::chrono::microseconds(2);
  double perByteNs = 0.5;
  static constexpr Range<double> kPerByteNsRange{0, 1000};
  uint32_t workers = 1;
  static constexpr Range<uint32_t> kWorkersRange{1, 256};
  bool reserialise = true; // restore per-flow order after parallel workers
};

// tunnel.clamp_mss and tunnel.pmtu_discovery: what both gateways do, for every tunnel type,
// to TCP SYNs and to packets too big for the tunnel (docs/gre-ipsec.md#mss-clamping-and-pmtu-
// discovery). Both off by default, so a scenario without them runs as before.
struct GatewaySpec {
  enum class ClampMss { kOff, kPmtu, kFixed };
  ClampMss clampMss = ClampMss::kOff;
  uint32_t clampMssValue = 0; // kFixed: the MSS written into SYNs (iptables --set-mss)
  // Linux's TCP_MIN_MSS up to the largest 16-bit MSS.
  static constexpr Range<uint32_t> kClampMssRange{88, 65535};
  // A packet larger than the tunnel's MTU with DF set is dropped and answered with ICMP
  // "fragmentation needed" (RFC 1191), and the hosts' TCP sets DF and honours the answer.
  bool pmtuDiscovery = false;
  // The MSS the gateways clamp SYNs to for a tunnel of `innerMtu`; nullopt when off.
  // "pmtu" is --clamp-mss-to-pmtu: the MTU less the IPv4 and TCP headers.
  std::optional<uint16_t> ClampMssFor(uint32_t innerMtu) const {
    switch (clampMss) {
    case ClampMss::kOff:
      return std::nullopt;
    case ClampMss::kPmtu:
      return static_cast<uint16_t>(innerMtu > 40 + kClampMssRange.min ? innerMtu - 40
                                                                      : kClampMssRange.min);
    case ClampMss::kFixed:
      return static_cast<uint16_t>(clampMssValue);
    }
    return std::nullopt;
  }
  // Takes a tunnel.clamp_mss value: "off", "pmtu" or a decimal MSS within kClampMssRange.
  // Returns false (and changes nothing) for anything else.
  bool ParseClampMss(std::string_view text) {
    if (text == "off" || text == "pmtu") {
      clampMss = text == "off" ? ClampMss::kOff : ClampMss::kPmtu;
      return true;
    }
    if (text.empty() || text.size() > 5) return false;
    uint32_t value = 0;
    for (const char digit : text) {
      if (digit < '0' || digit > '9') return false;
      value = value * 10 + static_cast<uint32_t>(digit - '0');
    }
    if (!kClampMssRange.Contains(value)) return false;
    clampMss = ClampMss::kFixed;
    clampMssValue = value;
    return true;
  }
  // Whether the hosts' TCP must advertise and honour the MSS option (Linux always does; the
  // ns-3 hosts do only when a gateway feature depends on it, so results stay as they were).
  bool HostsUseMssOption() const { return clampMss != ClampMss::kOff || pmtuDiscovery; }
};

// tunnel.wireguard: the interface and the protocol's timer constants (WireGuard paper §6).
struct WireGuardSpec {
  uint16_t listenPort = 51820;
  static constexpr Range<uint32_t> kListenPortRange{1, 65535};
  uint32_t mtu = 1420; // wg-quick's default
  Duration persistentKeepalive{0};
  Duration rekeyAfterTime = std::chrono::seconds(120);
  Duration rejectAfterTime = std::chrono::seconds(180);
  Duration rekeyAttemptTime = std::chrono::seconds(90);
  Duration rekeyTimeout = std::chrono::seconds(5);
  Duration keepaliveTimeout = std::chrono::seconds(10);
  uint64_t rekeyAfterMessages = uint64_t{1} << 60;
  static constexpr Range<uint64_t> kRekeyAfterMessagesRange{1, kMaxScenarioInteger};
  uint32_t underLoadHandshakesPerSecond = 128;
  static constexpr Range<uint32_t> kUnderLoadHandshakesPerSecondRange{0, 1000000};
};

// tunnel.gre: RFC 2784/2890 options.
struct GreSpec {
  std::optional<uint32_t> key; // absent: no key field
  static constexpr Range<uint64_t> kKeyRange{0, std::numeric_limits<uint32_t>::max()};
  bool checksum = false;
  bool sequence = false; // sent and checked (ip link ... seq)
  uint32_t mtu = 1476;
};

enum class Aead { kAes256Gcm, kChacha20Poly1305 };
inline constexpr std::array<std::string_view, 2> kAeadNames = {"aes-256-gcm", "chacha20-poly1305"};

enum class RekeyMode { kMakeBeforeBreak, kBreakBeforeMake };
inline constexpr std::array<std::string_view, 2> kRekeyModeNames = {"make-before-break",
                                                                    "break-before-make"};

// tunnel.ipsec: ESP and the IKEv2 SA that keys it.
struct IpsecSpec {
  uint32_t replayWindow = 64; // packets; 0 turns anti-replay off
  static constexpr Range<uint32_t> kReplayWindowRange{0, 65536};
  bool esn = false;
  Aead encryption = Aead::kAes256Gcm;
  Aead ikeEncryption = Aead::kAes256Gcm;
  // The only IKE PRF and DH group implemented; named so the scenario can state them.
  static constexpr std::string_view kIkePrf = "hmac-sha256";
  static constexpr std::string_view kDhGroup = "curve25519";
  Duration childLifetime = std::chrono::seconds(3600);
  uint64_t childLifetimeBytes = 0; // 0: no byte limit
  static constexpr Range<uint64_t> kChildLifetimeBytesRange{0, kMaxScenarioInteger};
  Duration ikeLifetime = std::chrono::seconds(28800);
  Duration rekeyMargin = std::chrono::seconds(540); // rekey this long before a lifetime ends
  RekeyMode rekeyMode = RekeyMode::kMakeBeforeBreak;
  Duration retransmitTimeout = std::chrono::seconds(4);
  uint32_t retransmitTries = 5;
  static constexpr Range<uint32_t> kRetransmitTriesRange{0, 100};
  Duration dpdDelay = std::chrono::seconds(30);
  uint32_t mtu = 1400;
};

struct NoTunnel {};
// ESP transport mode carrying GRE: both option tables apply; the interface MTU is IPsec's.
struct GreOverIpsecSpec {
  GreSpec gre;
  IpsecSpec ipsec;
};

// tunnel.type = "strongswan": strongSwan's charon with its userspace ESP (kernel-libipsec) as
// both gateways, run by `tunnelsim emulate` only (scenarios/emulate/strongswan_gateways.h).
struct StrongSwanSpec {
  Aead encryption = Aead::kAes256Gcm; // the IKE and ESP proposal
  uint32_t mtu = 1400;                // ipsec0's MTU (kernel-libipsec's own default)
  // kernel-libipsec's anti-replay window is fixed (esp_context.c) and it offers no ESN.
  static constexpr uint32_t kReplayWindow = 128;
};

// The alternatives in the order of kTunnelTypeNames.
using TunnelOptions =
    std::variant<NoTunnel, WireGuardSpec, GreSpec, IpsecSpec, GreOverIpsecSpec, StrongSwanSpec>;
inline constexpr std::array<std::string_view, 6> kTunnelTypeNames = {
    "none", "wireguard", "gre", "ipsec", "gre-over-ipsec", "strongswan"};

struct TunnelSpec {
  TunnelOptions options;
  CpuSpec cpu;
  GatewaySpec gateway;

  std::string_view TypeName() const { return kTunnelTypeNames[options.index()]; }
  bool IsTunnel() const { return !std::holds_alternative<NoTunnel>(options); }
  // The GRE and IPsec tables, when this type has them.
  const GreSpec *Gre() const {
    if (const auto *gre = std::get_if<GreSpec>(&options)) return gre;
    if (const auto *both = std::get_if<GreOverIpsecSpec>(&options)) return &both->gre;
    return nullptr;
  }
  const IpsecSpec *Ipsec() const {
    if (const auto *ipsec = std::get_if<IpsecSpec>(&options)) return ipsec;
    if (const auto *both = std::get_if<GreOverIpsecSpec>(&options)) return &both->ipsec;
    return nullptr;
  }
  const WireGuardSpec *WireGuard() const { return std::get_if<WireGuardSpec>(&options); }
  const StrongSwanSpec *StrongSwan() const { return std::get_if<StrongSwanSpec>(&options); }
  GreSpec *Gre() { return const_cast<GreSpec *>(std::as_const(*this).Gre()); }
  IpsecSpec *Ipsec() { return const_cast<IpsecSpec *>(std::as_const(*this).Ipsec()); }
  WireGuardSpec *WireGuard() { return std::get_if<WireGuardSpec>(&options); }
  // The tunnel interface's MTU (IPsec's when ESP is involved); nullopt without a tunnel.
  std::optional<uint32_t> InterfaceMtu() const {
    if (const auto *wg = WireGuard()) return wg->mtu;
    if (const auto *ipsec = Ipsec()) return ipsec->mtu;
    if (const auto *gre = Gre()) return gre->mtu;
    if (const auto *strongswan = StrongSwan()) return strongswan->mtu;
    return std::nullopt;
  }
};

// The spec of a tunnel type with every option at its default; nullopt for an unknown name.
inline std::optional<TunnelSpec> DefaultSpecFor(std::string_view type) {
  TunnelSpec spec;
  if (type == kTunnelTypeNames[0])
    spec.options = NoTunnel{};
  else if (type == kTunnelTypeNames[1])
    spec.options = WireGuardSpec{};
  else if (type == kTunnelTypeNames[2])
    spec.options = GreSpec{};
  else if (type == kTunnelTypeNames[3])
    spec.options = IpsecSpec{};
  else if (type == kTunnelTypeNames[4])
    spec.options = GreOverIpsecSpec{};
  else if (type == kTunnelTypeNames[5])
    spec.options = StrongSwanSpec{};
  else
    return std::nullopt;
  return spec;
}

} // namespace tunnelsim::tunnel

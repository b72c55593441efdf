// The one tunnel spec (model/tunnel/spec.h) against the scenario language: every tunnel key's
// default, as the loader fills it in, decodes to the spec's default; every bounded key's range
// is the spec's; and the one decoder reads every key (changing any key changes the spec).
#include "scenario_loader.h"
#include "schema.h"
#include "tunnel_spec_json.h"
#include "units.h"

#include <boost/test/unit_test.hpp>

#include <map>
#include <sstream>

using namespace tunnelsim::scenario;
namespace spec = tunnelsim::tunnel;
using nlohmann::json;

namespace {

json Resolve(const std::vector<Override> &overrides) {
  return LoadScenarioText("", "case.toml", overrides).resolved;
}

// Every field of a spec, as text, so two specs compare field by field in one BOOST_TEST.
std::string Describe(const spec::TunnelSpec &s) {
  std::ostringstream out;
  out << "type=" << s.TypeName();
  const auto ns = [](tunnelsim::Duration d) { return std::to_string(d.count()) + "ns"; };
  if (s.IsTunnel()) {
    out << " cpu{" << s.cpu.enabled << ' ' << ns(s.cpu.fixedCost) << ' ' << s.cpu.perByteNs << ' '
        << s.cpu.workers << ' ' << s.cpu.reserialise << '}';
  }
  if (const auto *wg = s.WireGuard()) {
    out << " wg{" << wg->listenPort << ' ' << wg->mtu << ' ' << ns(wg->persistentKeepalive) << ' '
        << ns(wg->rekeyAfterTime) << ' ' << ns(wg->rejectAfterTime) << ' '
        << ns(wg->rekeyAttemptTime) << ' ' << ns(wg->rekeyTimeout) << ' '
        << ns(wg->keepaliveTimeout) << ' ' << wg->rekeyAfterMessages << ' '
        << wg->underLoadHandshakesPerSecond << '}';
  }
  if (const auto *gre = s.Gre()) {
    out << " gre{" << (gre->key ? std::to_string(*gre->key) : "none") << ' ' << gre->checksum << ' '
        << gre->sequence << ' ' << gre->mtu << '}';
  }
  if (const auto *ipsec = s.Ipsec()) {
    out << " ipsec{" << ipsec->replayWindow << ' ' << ipsec->esn << ' '
        << static_cast<int>(ipsec->encryption) << ' ' << static_cast<int>(ipsec->ikeEncryption)
        << ' ' << ns(ipsec->childLifetime) << ' ' << ipsec->childLifetimeBytes << ' '
        << ns(ipsec->ikeLifetime) << ' ' << ns(ipsec->rekeyMargin) << ' '
        << static_cast<int>(ipsec->rekeyMode) << ' ' << ns(ipsec->retransmitTimeout) << ' '
        << ipsec->retransmitTries << ' ' << ns(ipsec->dpdDelay) << ' ' << ipsec->mtu << '}';
  }
  return out.str();
}

// The tunnel table a key belongs to, and a type that has it.
std::string TypeFor(const std::string &path) {
  if (path.rfind("tunnel.wireguard.", 0) == 0) return "wireguard";
  if (path.rfind("tunnel.ipsec.", 0) == 0 || path.rfind("tunnel.gre.", 0) == 0 ||
      path.rfind("tunnel.cpu.", 0) == 0) {
    return "gre-over-ipsec";
  }
  return "";
}

// A valid value for `key` other than its default, or null when the key has only one value.
json OtherValue(const KeySpec &key) {
  switch (key.kind) {
  case ValueKind::kBoolean:
    return !key.defaultValue.get<bool>();
  case ValueKind::kInteger:
  case ValueKind::kNumber:
    if (key.defaultValue.is_null()) return 7;
    return key.defaultValue.get<double>() == key.min ? json(static_cast<uint64_t>(key.max))
                                                     : json(static_cast<uint64_t>(key.min));
  case ValueKind::kDuration:
    return std::to_string(*ParseDurationNs(key.defaultValue.get<std::string>()) / 1000000 + 1000) +
           "ms";
  case ValueKind::kEnum:
    for (const std::string &value : key.allowed) {
      if (value != key.defaultValue.get<std::string>()) return value;
    }
    return nullptr;
  default:
    return nullptr;
  }
}

std::vector<const KeySpec *> TunnelOptionKeys() {
  std::vector<const KeySpec *> keys;
  for (const KeySpec &key : Schema()) {
    if (!TypeFor(key.path).empty()) keys.push_back(&key);
  }
  return keys;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tunnel_spec)

BOOST_AUTO_TEST_CASE(every_tunnel_default_is_the_specs) {
  for (std::string_view type : spec::kTunnelTypeNames) {
    BOOST_TEST_CONTEXT("tunnel.type = " << type) {
      const json resolved = Resolve({ParseOverride("tunnel.type=\"" + std::string(type) + "\"")});
      BOOST_TEST(Describe(TunnelSpecFrom(resolved)) ==
                 Describe(spec::DefaultSpecFor(type).value()));
    }
  }
  BOOST_TEST(!spec::DefaultSpecFor("vxlan").has_value());
}

BOOST_AUTO_TEST_CASE(every_tunnel_range_is_the_specs) {
  using spec::CpuSpec, spec::WireGuardSpec, spec::GreSpec, spec::IpsecSpec;
  const std::map<std::string, std::pair<double, double>> ranges = {
      {"tunnel.cpu.per_byte_ns", {CpuSpec::kPerByteNsRange.min, CpuSpec::kPerByteNsRange.max}},
      {"tunnel.cpu.workers", {CpuSpec::kWorkersRange.min, CpuSpec::kWorkersRange.max}},
      {"tunnel.wireguard.listen_port",
       {WireGuardSpec::kListenPortRange.min, WireGuardSpec::kListenPortRange.max}},
      {"tunnel.wireguard.mtu", {spec::kMtuRange.min, spec::kMtuRange.max}},
      {"tunnel.wireguard.rekey_after_messages",
       {static_cast<double>(WireGuardSpec::kRekeyAfterMessagesRange.min),
        static_cast<double>(WireGuardSpec::kRekeyAfterMessagesRange.max)}},
      {"tunnel.wireguard.under_load_handshakes_per_second",
       {WireGuardSpec::kUnderLoadHandshakesPerSecondRange.min,
        WireGuardSpec::kUnderLoadHandshakesPerSecondRange.max}},
      {"tunnel.gre.key",
       {static_cast<double>(GreSpec::kKeyRange.min), static_cast<double>(GreSpec::kKeyRange.max)}},
      {"tunnel.gre.mtu", {spec::kMtuRange.min, spec::kMtuRange.max}},
      {"tunnel.ipsec.replay_window",
       {IpsecSpec::kReplayWindowRange.min, IpsecSpec::kReplayWindowRange.max}},
      {"tunnel.ipsec.child_lifetime_bytes",
       {static_cast<double>(IpsecSpec::kChildLifetimeBytesRange.min),
        static_cast<double>(IpsecSpec::kChildLifetimeBytesRange.max)}},
      {"tunnel.ipsec.retransmit_tries",
       {IpsecSpec::kRetransmitTriesRange.min, IpsecSpec::kRetransmitTriesRange.max}},
      {"tunnel.ipsec.mtu", {spec::kMtuRange.min, spec::kMtuRange.max}},
  };
  size_t bounded = 0;
  for (const KeySpec *key : TunnelOptionKeys()) {
    if (key->kind != ValueKind::kInteger && key->kind != ValueKind::kNumber) continue;
    ++bounded;
    BOOST_TEST_CONTEXT(key->path) {
      const auto found = ranges.find(key->path);
      BOOST_TEST_REQUIRE((found != ranges.end()), "a bounded tunnel key without a spec range");
      BOOST_TEST(key->min == found->second.first);
      BOOST_TEST(key->max == found->second.second);
    }
  }
  BOOST_TEST(bounded == ranges.size());
  // The replay window the walk in docs/architecture.md follows: one default, one range.
  const KeySpec *window = FindKeySpec("tunnel.ipsec.replay_window");
  BOOST_TEST_REQUIRE(window != nullptr);
  BOOST_TEST(window->defaultValue.get<uint32_t>() == IpsecSpec{}.replayWindow);
  BOOST_TEST(window->max == IpsecSpec::kReplayWindowRange.max);
}

BOOST_AUTO_TEST_CASE(the_decoder_reads_every_tunnel_key) {
  size_t checked = 0;
  for (const KeySpec *key : TunnelOptionKeys()) {
    const json other = OtherValue(*key);
    if (other.is_null()) continue; // a key with a single allowed value (ike_prf, dh_group)
    BOOST_TEST_CONTEXT(key->path << " = " << other.dump()) {
      const std::string type = TypeFor(key->path);
      const std::vector<Override> base = {ParseOverride("tunnel.type=\"" + type + "\"")};
      std::vector<Override> changed = base;
      changed.push_back(ParseOverride(key->path + "=" + other.dump()));
      BOOST_TEST(Describe(TunnelSpecFrom(Resolve(changed))) !=
                 Describe(TunnelSpecFrom(Resolve(base))));
      ++checked;
    }
  }
  BOOST_TEST(checked == 32u); // 34 option keys less ike_prf and dh_group
}

BOOST_AUTO_TEST_CASE(durations_are_written_in_the_largest_exact_unit) {
  using std::chrono::microseconds, std::chrono::milliseconds, std::chrono::seconds;
  BOOST_TEST(DurationText(seconds(3600)) == "3600s");
  BOOST_TEST(DurationText(microseconds(2)) == "2us");
  BOOST_TEST(DurationText(milliseconds(1500)) == "1500ms");
  BOOST_TEST(DurationText(tunnelsim::Duration(7)) == "7ns");
  BOOST_TEST(DurationText(tunnelsim::Duration(0)) == "0s");
}

BOOST_AUTO_TEST_SUITE_END()

// Emulate's tunnel comes from the scenario through the engine's one decoder (TunnelSpecFrom):
// the relay's gateways get the scenario's values and defaults, not defaults of their own (the
// relay once carried an unused replay window of 1024 where scenarios default to 64).
#include "relay_from_scenario.h"
#include "scenario_loader.h"

#include <boost/test/unit_test.hpp>

namespace tunnelsim::emulate {
namespace {

RelaySettings From(std::vector<std::string> sets) {
  std::vector<scenario::Override> overrides;
  for (const std::string &set : sets)
    overrides.push_back(scenario::ParseOverride(set));
  return RelaySettingsFrom(scenario::LoadScenarioText("", "spec.toml", overrides).resolved);
}

BOOST_AUTO_TEST_CASE(the_relay_takes_the_scenarios_ipsec_settings_and_defaults) {
  const RelaySettings defaults = From({"tunnel.type=gre-over-ipsec"});
  BOOST_TEST_REQUIRE(defaults.tunnel.spec.Ipsec() != nullptr);
  BOOST_TEST_REQUIRE(defaults.tunnel.spec.Gre() != nullptr);
  BOOST_TEST(defaults.tunnel.spec.Ipsec()->replayWindow == tunnel::IpsecSpec{}.replayWindow);
  BOOST_TEST(defaults.tunnel.spec.Ipsec()->replayWindow == 64u);
  BOOST_TEST(defaults.tunnel.innerMtu == 1400u); // the smallest of link, GRE and IPsec MTUs

  const RelaySettings set =
      From({"tunnel.type=ipsec", "tunnel.ipsec.replay_window=1024",
            "tunnel.ipsec.encryption=\"chacha20-poly1305\"", "tunnel.ipsec.mtu=1300"});
  BOOST_TEST(set.tunnel.spec.Gre() == nullptr);
  BOOST_TEST(set.tunnel.spec.Ipsec()->replayWindow == 1024u);
  BOOST_TEST((set.tunnel.spec.Ipsec()->encryption == tunnel::Aead::kChacha20Poly1305));
  BOOST_TEST(set.tunnel.innerMtu == 1300u);
}

BOOST_AUTO_TEST_CASE(gateway_features_the_relay_does_not_model_are_refused) {
  for (const char *tunnel : {"tunnel.type=wireguard", "tunnel.type=gre-over-ipsec"}) {
    BOOST_CHECK_NO_THROW(From({tunnel, "tunnel.clamp_mss=\"off\""}));
    BOOST_CHECK_THROW(From({tunnel, "tunnel.clamp_mss=\"pmtu\"", "tunnel.pmtu_discovery=false"}),
                      EmulateUnsupported);
    BOOST_CHECK_THROW(From({tunnel, "tunnel.clamp_mss=\"pmtu\""}), EmulateUnsupported);
    BOOST_CHECK_THROW(From({tunnel, "tunnel.clamp_mss=\"1300\""}), EmulateUnsupported);
    BOOST_CHECK_THROW(From({tunnel, "tunnel.pmtu_discovery=true"}), EmulateUnsupported);
  }
}

BOOST_AUTO_TEST_CASE(the_relay_takes_the_scenarios_wireguard_settings) {
  const RelaySettings wg = From({"tunnel.type=wireguard", "tunnel.wireguard.listen_port=4000",
                                 "tunnel.wireguard.rekey_after_time=\"30s\""});
  BOOST_TEST_REQUIRE(wg.tunnel.spec.WireGuard() != nullptr);
  BOOST_TEST(wg.tunnel.spec.WireGuard()->listenPort == 4000u);
  BOOST_TEST(wg.tunnel.spec.WireGuard()->rekeyAfterTime.count() == 30000000000LL);
  BOOST_TEST(wg.tunnel.innerMtu == 1420u);
  const RelaySettings none = From({});
  BOOST_TEST(!none.tunnel.spec.IsTunnel());
  BOOST_TEST(none.tunnel.innerMtu == 1500u);
}

} // namespace
} // namespace tunnelsim::emulate

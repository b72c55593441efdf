// provenance.h: the scenario hash and the readers behind results.json's "provenance".
#include <boost/test/unit_test.hpp>

#include "provenance.h"
#include "scenario_loader.h"

#include <fstream>

using namespace tunnelsim::scenario;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(provenance)

BOOST_AUTO_TEST_CASE(sha256_matches_the_fips_180_2_abc_example) {
  BOOST_TEST(Sha256Hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(scenario_hash_is_equal_for_equal_resolved_scenarios) {
  const json a =
      LoadScenarioText("name = \"x\"\nseed = 3\n[tcp]\nsack = true\n", "a.toml", {}).resolved;
  // Same values, other order, a default spelled out in one and filled in the other.
  const json b =
      LoadScenarioText("[tcp]\nsack = true\n[tunnel]\n", "b.toml", {{"seed", "3"}, {"name", "x"}})
          .resolved;
  BOOST_TEST(a == b);
  BOOST_TEST(ScenarioSha256(a) == ScenarioSha256(b));
  BOOST_TEST(ScenarioSha256(a) == Sha256Hex(a.dump()));
  json changed = a;
  changed["tcp"]["sack"] = false;
  BOOST_TEST(ScenarioSha256(changed) != ScenarioSha256(a));
}

BOOST_AUTO_TEST_CASE(kernel_tcp_settings_are_read_as_numbers_or_text_and_null_if_missing) {
  const auto dir = std::filesystem::temp_directory_path() / "tunnelsim-provenance-sysctl";
  std::filesystem::create_directories(dir / "ipv4");
  std::ofstream(dir / "ipv4" / "tcp_sack") << "1\n";
  std::ofstream(dir / "ipv4" / "tcp_congestion_control") << "cubic\n";
  const json settings = KernelTcpSettingsJson(dir);
  std::filesystem::remove_all(dir);
  BOOST_TEST(settings.at("tcp_sack") == 1);
  BOOST_TEST(settings.at("tcp_congestion_control") == "cubic");
  BOOST_TEST(settings.at("tcp_reordering").is_null());
  BOOST_TEST(settings.size() == 7u);
}

BOOST_AUTO_TEST_CASE(timestamps_are_utc_iso_8601) {
  BOOST_TEST(UtcTimestamp(std::chrono::system_clock::from_time_t(0)) == "1970-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_missing_repository_gives_nulls_not_an_error) {
  const json source = TunnelsimSourceJson("/nonexistent-tunnelsim-source");
  BOOST_TEST(source.at("dirty").is_null());
  BOOST_TEST(!source.contains("runtime_commit"));
}

BOOST_AUTO_TEST_SUITE_END()

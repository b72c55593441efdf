// Inputs found by fuzz_scenario (tests/fuzz), kept as regression tests.
#include "scenario_loader.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace tunnelsim::scenario;

namespace {

ScenarioError OnlyErrorOf(const std::string &text) {
  try {
    LoadScenarioText(text, "fuzz.toml", {});
  } catch (const ScenarioErrors &errors) {
    BOOST_TEST_REQUIRE(errors.errors().size() == 1u);
    return errors.errors().front();
  }
  BOOST_FAIL("expected an error");
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(fuzz_regressions)

// "a = '\xC3'": toml11 3.7.1 read out of bounds (ASan heap-buffer-overflow in
// toml::detail::location::reset) on invalid UTF-8 inside a literal string. The loader now
// refuses text that is not UTF-8 before parsing, naming the line.
BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_literal_string_is_a_clear_error) {
  const ScenarioError error = OnlyErrorOf("# scenario\n\na = '\xC3'\n");
  BOOST_TEST(error.line == 3);
  BOOST_TEST(error.message.find("UTF-8") != std::string::npos);
  BOOST_TEST(OnlyErrorOf("'\xC3' = 1\n").message.find("UTF-8") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(utf8_checks_follow_rfc_3629) {
  for (const char *bad : {"a = 1 # \xC0\xAF\n", "a = 1 # \xED\xA0\x80\n",
                          "a = 1 # \xF4\x90\x80\x80\n", "a = 1 # \xE2\x82\n", "a = 1 # \xFF\n"})
    BOOST_TEST(OnlyErrorOf(bad).message.find("UTF-8") != std::string::npos, bad);
  // Well-formed multi-byte text passes the check and reaches the schema (which then names the
  // unknown key, not the encoding).
  BOOST_TEST(
      OnlyErrorOf("a = 'caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80'\n").message.find("UTF-8") ==
      std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

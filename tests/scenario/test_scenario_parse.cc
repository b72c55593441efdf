#define BOOST_TEST_MODULE scenario_parse
#include <boost/test/unit_test.hpp>

#include "scenario_loader.h"
#include "schema.h"
#include "units.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace tunnelsim::scenario;
using nlohmann::json;

namespace {

// Loads `text` and returns the one error it must produce (fails the test otherwise).
ScenarioError OnlyError(const std::string &text, const std::vector<Override> &overrides = {}) {
  try {
    LoadScenarioText(text, "case.toml", overrides);
  } catch (const ScenarioErrors &errors) {
    BOOST_TEST_REQUIRE(errors.errors().size() == 1u, errors.what());
    return errors.errors().front();
  }
  BOOST_FAIL("expected a validation error for:\n" + text);
  return {};
}

std::vector<ScenarioError> AllErrors(const std::string &text) {
  try {
    LoadScenarioText(text, "case.toml", {});
  } catch (const ScenarioErrors &errors) {
    return errors.errors();
  }
  return {};
}

json Resolve(const std::string &text, const std::vector<Override> &overrides = {}) {
  return LoadScenarioText(text, "case.toml", overrides).resolved;
}

// `trace` names a file that must load: a two-packet tunnelsim-trace 1 file in the temp dir.
std::string ValidTraceFile() {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "scenario_parse_valid.trace";
  std::ofstream(path) << "tunnelsim-trace 1\npass\nafter 1\n";
  return path.string();
}

// A valid TOML value for a key, chosen so that every cross-key rule can be met.
std::string ValidValue(const KeySpec &spec) {
  static const std::map<std::string, std::string> special = {
      {"tunnel.wireguard.reject_after_time", "\"200s\""},
      {"tunnel.ipsec.child_lifetime", "\"1000s\""},
      {"tunnel.ipsec.ike_lifetime", "\"1000s\""},
      {"impairment.access.up.netem", "\"delay 10ms loss 1%\""},
      {"impairment.access.up.ack_thin_drop", "1"},
      {"impairment.access.up.ack_thin_every", "2"},
      {"name", "\"custom\""},
      {"tunnel.clamp_mss", "\"1360\""}, // "off", "pmtu" or a number (scenario_checks.cc)
  };
  if (auto it = special.find(spec.path); it != special.end()) return it->second;
  if (spec.path == "impairment.access.up.trace") return "\"" + ValidTraceFile() + "\"";
  switch (spec.kind) {
  case ValueKind::kString:
    return "\"text\"";
  case ValueKind::kEnum:
    return "\"" + spec.allowed.back() + "\"";
  case ValueKind::kInteger:
    return std::to_string(static_cast<int64_t>(spec.min) + 1);
  case ValueKind::kNumber:
    return "2.5";
  case ValueKind::kPercent:
    return "12.5";
  case ValueKind::kBoolean:
    return "true";
  case ValueKind::kDuration:
    return "\"1s\"";
  case ValueKind::kDataRate:
    return "\"3Mbps\"";
  }
  return "";
}

// A value of the wrong type for a key.
std::string WrongValue(const KeySpec &spec) {
  switch (spec.kind) {
  case ValueKind::kString:
  case ValueKind::kEnum:
  case ValueKind::kDuration:
  case ValueKind::kDataRate:
    return "5";
  case ValueKind::kBoolean:
    return "1";
  default:
    return "\"many\"";
  }
}

// Keys that must be present for `key` (in the same impairment table) to be valid.
std::map<std::string, std::string> Prerequisites(const std::string &key) {
  static const std::map<std::string, std::map<std::string, std::string>> needs = {
      {"jitter", {{"delay", "\"5ms\""}}},
      {"distribution", {{"delay", "\"5ms\""}, {"jitter", "\"1ms\""}}},
      {"delay_correlation", {{"delay", "\"5ms\""}, {"jitter", "\"1ms\""}}},
      {"keep_order", {{"delay", "\"5ms\""}, {"jitter", "\"1ms\""}}},
      {"reorder", {{"delay", "\"5ms\""}}},
      {"reorder_correlation", {{"delay", "\"5ms\""}, {"reorder", "10"}}},
      {"gap", {{"delay", "\"5ms\""}, {"reorder", "10"}}},
      {"loss_correlation", {{"loss", "1"}}},
      {"loss_model", {{"gemodel_p", "1"}}},
      {"duplicate_correlation", {{"duplicate", "1"}}},
      {"corrupt_correlation", {{"corrupt", "1"}}},
      {"corrupt_region", {{"corrupt", "1"}}},
      {"ack_delay_jitter", {{"ack_delay", "\"5ms\""}}},
      {"ack_thin_drop", {{"ack_thin_every", "2"}}},
      {"ack_thin_every", {{"ack_thin_drop", "1"}}},
  };
  if (key.rfind("state_", 0) == 0) {
    std::map<std::string, std::string> state = {{"loss_model", "\"state\""}};
    if (key != "state_p13") state["state_p13"] = "1";
    if (key == "state_p32") state["state_p31"] = "1";
    return state;
  }
  if (key.rfind("gemodel_", 0) == 0) {
    std::map<std::string, std::string> ge = {{"loss_model", "\"gemodel\""}};
    if (key != "gemodel_p") ge["gemodel_p"] = "1";
    return ge;
  }
  auto it = needs.find(key);
  return it == needs.end() ? std::map<std::string, std::string>{} : it->second;
}

// A scenario file that sets `spec` (on access.up for impairments, on a tunnel type that
// uses it, in the first array element) to `value`.
std::string ScenarioSetting(const KeySpec &spec, const std::string &value) {
  std::string path = spec.path;
  std::string tunnelLine;
  if (spec.presence == Presence::kIfTunnel) {
    tunnelLine = "[tunnel]\ntype = \"" + spec.tunnelTypes.back() + "\"\n";
  }
  const size_t lastDot = path.rfind('.');
  std::string table = lastDot == std::string::npos ? "" : path.substr(0, lastDot);
  const std::string key = path.substr(lastDot + 1);
  std::string text = "duration = \"20s\"\n";
  if (spec.path == "duration") text.clear();
  if (table.empty()) return text + key + " = " + value + "\n" + tunnelLine;
  std::string header;
  const size_t arrayMark = table.find("[]");
  if (arrayMark != std::string::npos) {
    header = "[[" + table.substr(0, arrayMark) + "]]";
  } else {
    header = "[" + table + "]";
  }
  // A key of [tunnel] itself (clamp_mss, pmtu_discovery) goes under the type's own header.
  if (!tunnelLine.empty() && table == "tunnel")
    return text + tunnelLine + key + " = " + value + "\n";
  text += tunnelLine + header + "\n";
  if (table.rfind("impairment.", 0) == 0) {
    for (const auto &[needKey, needValue] : Prerequisites(key)) {
      text += needKey + " = " + needValue + "\n";
    }
  }
  if (tunnelLine.size() && table == "tunnel") return text + key + " = " + value + "\n";
  return text + key + " = " + value + "\n";
}

const json &At(const json &resolved, const std::string &path) {
  const json *node = &resolved;
  std::string segment;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '.') {
      const size_t mark = segment.find("[]");
      if (mark != std::string::npos) {
        node = &node->at(segment.substr(0, mark)).at(0);
      } else {
        node = &node->at(segment);
      }
      segment.clear();
    } else {
      segment += path[i];
    }
  }
  return *node;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_key_accepts_a_valid_value_and_keeps_it) {
  for (const KeySpec &spec : Schema()) {
    if (spec.path.rfind("impairment.", 0) == 0 && spec.path.rfind("impairment.access.up.", 0)) {
      continue; // the same keys on every link and direction; access.up stands for all
    }
    const std::string value = ValidValue(spec);
    const std::string text = ScenarioSetting(spec, value);
    json resolved;
    try {
      resolved = Resolve(text);
    } catch (const ScenarioErrors &errors) {
      BOOST_FAIL(spec.path + " rejected " + value + ":\n" + errors.what() + "\n" + text);
    }
    BOOST_TEST(At(resolved, spec.path) == json::parse(value), spec.path);
  }
}

BOOST_AUTO_TEST_CASE(every_key_rejects_a_wrong_type_naming_file_line_key_and_what_is_allowed) {
  for (const KeySpec &spec : Schema()) {
    if (spec.path.rfind("impairment.", 0) == 0 && spec.path.rfind("impairment.access.up.", 0)) {
      continue;
    }
    const std::string text = ScenarioSetting(spec, WrongValue(spec));
    const std::vector<ScenarioError> errors = AllErrors(text);
    BOOST_TEST_REQUIRE(!errors.empty(), spec.path + " accepted " + WrongValue(spec));
    const ScenarioError &error = errors.front();
    BOOST_TEST(error.origin == "case.toml");
    BOOST_TEST(error.line > 0, spec.path);
    BOOST_TEST(PatternOf(error.key) == spec.path);
    BOOST_TEST(error.message.find("expected " + DescribeAllowed(spec)) != std::string::npos,
               error.Format());
  }
}

// tcp.congestion's default follows the stack (docs/tcp-fidelity.md): the Linux-like stack runs
// the model of Linux's CUBIC, stock ns-3 keeps its own TcpCubic, the kernel its cubic; a value
// the scenario sets is kept whatever the stack.
BOOST_AUTO_TEST_CASE(congestion_default_follows_the_stack) {
  BOOST_TEST(Resolve("").at("tcp").at("congestion") == "cubic-linux");
  BOOST_TEST(Resolve("[tcp]\nstack = \"linux\"\n").at("tcp").at("congestion") == "cubic-linux");
  BOOST_TEST(Resolve("[tcp]\nstack = \"ns3\"\n").at("tcp").at("congestion") == "cubic");
  BOOST_TEST(Resolve("[tcp]\nstack = \"kernel\"\n").at("tcp").at("congestion") == "cubic");
  BOOST_TEST(
      Resolve("[tcp]\nstack = \"linux\"\ncongestion = \"cubic\"\n").at("tcp").at("congestion") ==
      "cubic");
  BOOST_TEST(
      Resolve("[tcp]\nstack = \"ns3\"\ncongestion = \"newreno\"\n").at("tcp").at("congestion") ==
      "newreno");
  BOOST_TEST(Resolve("[tcp]\ncongestion = \"bbr\"\n").at("tcp").at("congestion") == "bbr");
}

BOOST_AUTO_TEST_CASE(defaults_are_filled_for_the_chosen_tunnel_only) {
  const json resolved = Resolve("[tunnel]\ntype = \"wireguard\"\n");
  BOOST_TEST(resolved.at("name") == "case");
  BOOST_TEST(resolved.at("duration") == "20s");
  BOOST_TEST(resolved.at("seed") == 1);
  BOOST_TEST(resolved.at("topology").at("access_down_rate") == "100Mbps");
  BOOST_TEST(resolved.at("tcp").at("stack") == "linux");
  BOOST_TEST(resolved.at("tcp").at("congestion") == "cubic-linux");
  BOOST_TEST(resolved.at("tunnel").at("wireguard").at("rekey_after_time") == "120s");
  BOOST_TEST(resolved.at("tunnel").at("cpu").at("enabled") == false);
  BOOST_TEST(!resolved.at("tunnel").contains("ipsec"));
  BOOST_TEST(!resolved.at("topology").contains("roam_at"));
  // No [traffic] at all: one bulk download, as the baseline.
  BOOST_TEST(resolved.at("traffic").at("bulk").size() == 1u);
  BOOST_TEST(resolved.at("traffic").at("bulk").at(0).at("direction") == "download");

  const json both = Resolve("[tunnel]\ntype = \"gre-over-ipsec\"\n");
  BOOST_TEST(both.at("tunnel").at("ipsec").at("replay_window") == 64);
  BOOST_TEST(both.at("tunnel").at("gre").at("checksum") == false);
  BOOST_TEST(!both.at("tunnel").at("gre").contains("key"));
  BOOST_TEST(!Resolve("").at("tunnel").contains("cpu"));
}

BOOST_AUTO_TEST_CASE(array_elements_get_their_own_defaults) {
  const json resolved = Resolve("[[traffic.ping]]\ninterval = \"1s\"\n[[traffic.udp]]\n"
                                "[[traffic.udp]]\nrate = \"5Mbps\"\n");
  BOOST_TEST(!resolved.at("traffic").contains("bulk"));
  BOOST_TEST(resolved.at("traffic").at("ping").at(0).at("size") == 56);
  BOOST_TEST(resolved.at("traffic").at("udp").at(0).at("rate") == "1Mbps");
  BOOST_TEST(resolved.at("traffic").at("udp").at(1).at("rate") == "5Mbps");
  BOOST_TEST(resolved.at("traffic").at("udp").at(1).at("packet_size") == 1200);
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_errors_with_what_is_allowed) {
  ScenarioError error = OnlyError("seed = 2\nsede = 3\n");
  BOOST_TEST(error.key == "sede");
  BOOST_TEST(error.line == 2);
  BOOST_TEST(error.message.find("unknown key") != std::string::npos);
  BOOST_TEST(error.message.find("seed") != std::string::npos);

  error = OnlyError("[tunnel.ipsec]\nreplay_windw = 64\n");
  BOOST_TEST(error.key == "tunnel.ipsec.replay_windw");
  BOOST_TEST(error.message.find("replay_window") != std::string::npos);
  BOOST_TEST(error.Format().find("case.toml:2: tunnel.ipsec.replay_windw: unknown key") == 0u,
             error.Format());

  error = OnlyError("[[traffic.bulk]]\nrate = \"1Mbps\"\n");
  BOOST_TEST(error.key == "traffic.bulk[0].rate");
  error = OnlyError("[impairment.access.sideways]\ndelay = \"1ms\"\n");
  BOOST_TEST(error.key == "impairment.access.sideways");
  error = OnlyError("[impairment.dsl.up]\ndelay = \"1ms\"\n");
  BOOST_TEST(error.key == "impairment.dsl");
}

BOOST_AUTO_TEST_CASE(shape_errors) {
  BOOST_TEST(OnlyError("topology = 3\n").message.find("expected a table") != std::string::npos);
  BOOST_TEST(OnlyError("[seed]\nx = 1\n").message.find("expected a value") != std::string::npos);
  BOOST_TEST(
      OnlyError("[traffic.bulk]\ndirection = \"upload\"\n").message.find("array of tables") !=
      std::string::npos);
  BOOST_TEST(AllErrors("[traffic]\nbulk = [1, 2]\n").at(1).key == "traffic.bulk[1]");
  BOOST_TEST(OnlyError("seed = 1979-05-27\n").message.find("dates") != std::string::npos);
  BOOST_TEST(OnlyError("seed = [1]\n").message.find("an array") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ranges_enums_and_units) {
  BOOST_TEST(OnlyError("seed = 0\n").message.find("from 1 to") != std::string::npos);
  BOOST_TEST(OnlyError("[tcp]\ncongestion = \"vegas\"\n").message.find("\"bbr\"") !=
             std::string::npos);
  BOOST_TEST(OnlyError("duration = \"10 fortnights\"\n").message.find("units ns, us") !=
             std::string::npos);
  BOOST_TEST(OnlyError("[topology]\nwan_rate = \"fast\"\n").message.find("Mbps") !=
             std::string::npos);
  BOOST_TEST(OnlyError("[impairment.wan.down]\nloss = 101\n").key == "impairment.wan.down.loss");
  BOOST_TEST(OnlyError("[tunnel.ipsec]\nreplay_window = -1\n").key == "tunnel.ipsec.replay_window");
  BOOST_TEST(*ParseDurationNs("1.5ms") == 1500000);
  BOOST_TEST(*ParseDurationNs("2min") == 120000000000);
  BOOST_TEST(*ParseDataRateBps("100mbit") == 100000000u);
  BOOST_TEST(*ParseDataRateBps("1.5 Gbps") == 1500000000u);
  BOOST_TEST(!ParseDurationNs("ms"));
  BOOST_TEST(!ParseDataRateBps("0bps"));
}

BOOST_AUTO_TEST_CASE(syntax_errors_carry_the_line) {
  const ScenarioError error = OnlyError("seed = 1\n[tcp\n");
  BOOST_TEST(error.origin == "case.toml");
  BOOST_TEST(error.line == 2);
  BOOST_TEST(error.message.find("syntax") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_not_just_the_first) {
  const std::vector<ScenarioError> errors = AllErrors("seed = \"x\"\nbogus = 1\n[tcp]\nsack = 2\n");
  std::set<std::string> keys;
  for (const auto &error : errors)
    keys.insert(error.key);
  BOOST_TEST(keys == (std::set<std::string>{"seed", "bogus", "tcp.sack"}));
}

BOOST_AUTO_TEST_CASE(combination_rules) {
  const std::string table = "[impairment.access.down]\n";
  BOOST_TEST(
      OnlyError(table + "jitter = \"1ms\"\n").message.find("needs impairment.access.down.delay") !=
      std::string::npos);
  BOOST_TEST(OnlyError(table + "delay = \"5ms\"\ngap = 5\n").key == "impairment.access.down.gap");
  BOOST_TEST(
      OnlyError(table + "netem = \"delay 5ms\"\nloss = 1\n").message.find("cannot be combined") !=
      std::string::npos);
  BOOST_TEST(OnlyError(table + "loss = 1\nstate_p13 = 1\n").message.find("belongs to loss_model") !=
             std::string::npos);
  BOOST_TEST(OnlyError(table + "loss_model = \"state\"\n").message.find("state_p13") !=
             std::string::npos);
  BOOST_TEST(OnlyError(table + "loss_model = \"random\"\n").key ==
             "impairment.access.down.loss_model");
  // The impairment model's own parser judges pasted netem strings.
  const ScenarioError netem = OnlyError(table + "netem = \"delay 5ms reorder banana\"\n");
  BOOST_TEST(netem.key == "impairment.access.down.netem");
  BOOST_TEST(netem.line == 2);
  BOOST_TEST(netem.message.find("banana") != std::string::npos, netem.message);
  BOOST_TEST(OnlyError(table + "ack_delay_jitter = \"1ms\"\n").key ==
             "impairment.access.down.ack_delay_jitter");

  BOOST_TEST(OnlyError("duration = \"5s\"\n[[traffic.bulk]]\nstart = \"6s\"\n").key ==
             "traffic.bulk[0].start");
  BOOST_TEST(OnlyError("[[traffic.udp]]\nstart = \"2s\"\nstop = \"1s\"\n").key ==
             "traffic.udp[0].stop");
  BOOST_TEST(OnlyError("[[traffic.ping]]\ninterval = \"0s\"\n").key == "traffic.ping[0].interval");
  BOOST_TEST(OnlyError("duration = \"0s\"\n[traffic]\n").key == "duration");
  BOOST_TEST(OnlyError("[topology]\nroam_at = \"30s\"\n").key == "topology.roam_at");
  BOOST_TEST(
      OnlyError("[tunnel]\ntype = \"wireguard\"\n[tunnel.wireguard]\nrekey_after_time = \"200s\"\n")
          .key == "tunnel.wireguard.reject_after_time");
  BOOST_TEST(
      OnlyError("[tunnel]\ntype = \"ipsec\"\n[tunnel.ipsec]\nchild_lifetime = \"100s\"\n").key ==
      "tunnel.ipsec.rekey_margin");
}

BOOST_AUTO_TEST_CASE(overrides_are_type_checked_against_the_schema) {
  const json resolved = Resolve(
      "", {ParseOverride("tunnel.type=gre-over-ipsec"),
           ParseOverride("tunnel.ipsec.replay_window=1024"), ParseOverride("seed=3"),
           ParseOverride("tcp.sack=false"), ParseOverride("impairment.access.down.loss=2.5"),
           ParseOverride("traffic.bulk[0].direction=upload"),
           ParseOverride("traffic.bulk.1.bytes=1000"), ParseOverride("name=\"quoted\"")});
  BOOST_TEST(resolved.at("tunnel").at("ipsec").at("replay_window") == 1024);
  BOOST_TEST(resolved.at("seed") == 3);
  BOOST_TEST(resolved.at("tcp").at("sack") == false);
  BOOST_TEST(resolved.at("impairment").at("access").at("down").at("loss") == 2.5);
  BOOST_TEST(resolved.at("traffic").at("bulk").size() == 2u);
  BOOST_TEST(resolved.at("traffic").at("bulk").at(0).at("direction") == "upload");
  BOOST_TEST(resolved.at("traffic").at("bulk").at(1).at("bytes") == 1000);
  BOOST_TEST(resolved.at("name") == "quoted");

  // An override replaces the file's value.
  BOOST_TEST(Resolve("seed = 7\n", {ParseOverride("seed=8")}).at("seed") == 8);

  ScenarioError error = OnlyError("", {ParseOverride("seed=three")});
  BOOST_TEST(error.origin == "--set");
  BOOST_TEST(error.key == "seed");
  BOOST_TEST(error.message.find("integer") != std::string::npos);
  BOOST_TEST(error.Format().find("--set: seed: expected") == 0u, error.Format());
  BOOST_TEST(
      OnlyError("", {ParseOverride("tunnel.replay_window=64")}).message.find("unknown key") !=
      std::string::npos);
  BOOST_TEST(
      OnlyError("", {ParseOverride("traffic.bulk.5.bytes=1")}).message.find("past the end") !=
      std::string::npos);
  BOOST_TEST(OnlyError("", {ParseOverride("bogus.table.key=1")}).message.find("unknown") !=
             std::string::npos);
  BOOST_CHECK_THROW(ParseOverride("seed"), ScenarioErrors);
  BOOST_CHECK_THROW(ParseOverride("=3"), ScenarioErrors);
}

BOOST_AUTO_TEST_CASE(header_comment_is_the_description) {
  BOOST_TEST(HeaderDescription("# What does X do?\n# more\nseed = 1\n") == "What does X do?");
  BOOST_TEST(HeaderDescription("#\n#   Indented question\n") == "Indented question");
  BOOST_TEST(HeaderDescription("seed = 1\n# late comment\n") == "");
  BOOST_TEST(LoadScenarioText("# Q?\nseed = 2\n", "x.toml", {}).description == "Q?");
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error_naming_it) {
  try {
    LoadScenarioFile("/nonexistent/s.toml", {});
    BOOST_FAIL("no error");
  } catch (const ScenarioErrors &errors) {
    BOOST_TEST(errors.errors().front().origin == "/nonexistent/s.toml");
  }
}

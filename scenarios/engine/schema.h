// The scenario language: every key a scenario file may set, its type, allowed values, default
// and one line of documentation. The loader validates against this table, `--set` uses it for
// type checking, and `tunnelsim keys` prints it (docs/scenarios.md is checked against it).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tunnelsim::scenario {

enum class ValueKind {
  kString,
  kEnum,    // one of KeySpec::allowed
  kInteger, // within [min, max]
  kNumber,  // integer or float within [min, max]
  kPercent, // integer or float within [0, 100]
  kBoolean,
  kDuration, // string such as "15ms" (ns, us, ms, s, min)
  kDataRate, // string such as "100Mbps" (bps, kbps, Mbps, Gbps or netem's kbit, mbit, gbit)
};

// When the loader fills in a key's default.
enum class Presence {
  kAlways,   // always (the key's table is implied)
  kInTable,  // only when the key's table (or array element) is present in the file
  kIfTunnel, // only when tunnel.type is one of KeySpec::tunnelTypes
};

struct KeySpec {
  // Dotted path; "[]" marks an array of tables: "traffic.bulk[].direction".
  std::string path;
  ValueKind kind;
  nlohmann::json defaultValue; // null: optional, absent means "off"/"not set"
  std::string doc;
  Presence presence = Presence::kAlways;
  std::vector<std::string> allowed; // kEnum
  double min = 0;                   // kInteger, kNumber
  double max = 0;
  std::vector<std::string> tunnelTypes; // kIfTunnel
};

// Every tunnel type the scenario language knows, whether or not this build provides it.
const std::vector<std::string> &TunnelTypes();
// Links that carry impairments, and the two directions of each.
const std::vector<std::string> &ImpairmentLinks();
const std::vector<std::string> &ImpairmentDirections();

const std::vector<KeySpec> &Schema();

// The spec for a concrete path ("traffic.bulk[2].start"), or nullptr for an unknown key.
const KeySpec *FindKeySpec(std::string_view concretePath);
// True if `concretePath` names a table that some key lives under ("impairment.access").
bool IsKnownTable(std::string_view concretePath);
// True if `concretePath` names an array of tables ("traffic.bulk").
bool IsArrayOfTables(std::string_view concretePath);
// Keys and sub-tables directly under a table, for "allowed here" messages.
std::vector<std::string> ChildrenOf(std::string_view concretePath);

// "traffic.bulk[2].start" -> "traffic.bulk[].start".
std::string PatternOf(std::string_view concretePath);
// Human description of what a kind accepts ("a duration such as \"15ms\" ...").
std::string DescribeAllowed(const KeySpec &spec);
std::string KindName(ValueKind kind);

} // namespace tunnelsim::scenario

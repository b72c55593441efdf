#include "scenario_loader.h"

#include "buffer_check.h"
#include "impairment_settings.h"
#include "scenario_checks.h"
#include "schema.h"
#include "units.h"

#include <toml.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace tunnelsim::scenario {
namespace {

using nlohmann::json;
using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

// Parsing state: the raw tree, where each key came from, and the errors so far.
struct LoadState {
  std::string file;
  json raw = json::object();
  std::map<std::string, KeyOrigin> origins;
  std::vector<ScenarioError> errors;

  KeyOrigin OriginOf(const std::string &path) const {
    auto it = origins.find(path);
    return it != origins.end() ? it->second : KeyOrigin{file, 0};
  }
  void Fail(const std::string &path, std::string message) {
    const KeyOrigin origin = OriginOf(path);
    errors.push_back({origin.origin, origin.line, path, std::move(message)});
  }
};

std::string Child(const std::string &parent, const std::string &key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string Indexed(const std::string &path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

json ConvertToml(const TomlValue &value, const std::string &path, LoadState &state) {
  state.origins[path] = {state.file, static_cast<int>(value.location().line())};
  if (value.is_table()) {
    json object = json::object();
    for (const auto &[key, child] : value.as_table()) {
      object[key] = ConvertToml(child, Child(path, key), state);
    }
    return object;
  }
  if (value.is_array()) {
    json array = json::array();
    size_t index = 0;
    for (const TomlValue &element : value.as_array()) {
      array.push_back(ConvertToml(element, Indexed(path, index++), state));
    }
    return array;
  }
  if (value.is_integer()) return static_cast<int64_t>(value.as_integer());
  if (value.is_floating()) return static_cast<double>(value.as_floating());
  if (value.is_boolean()) return value.as_boolean();
  if (value.is_string()) return value.as_string().str;
  state.Fail(path, "dates and times are not scenario values");
  return nullptr;
}

std::string Describe(const json &value) {
  if (value.is_string()) return "\"" + value.get<std::string>() + "\"";
  if (value.is_object()) return "a table";
  if (value.is_array()) return "an array";
  // dump() writes NaN and the infinities as null, which names the wrong value.
  if (value.is_number_float() && std::isnan(value.get<double>())) return "nan";
  if (value.is_number_float() && std::isinf(value.get<double>())) {
    return value.get<double>() > 0 ? "inf" : "-inf";
  }
  return value.dump();
}

std::string JoinNames(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

// Returns an empty string when `value` is acceptable for `spec`, else what is wrong.
std::string CheckValue(const KeySpec &spec, const json &value) {
  const std::string wrong = "expected " + DescribeAllowed(spec) + ", got " + Describe(value);
  switch (spec.kind) {
  case ValueKind::kString:
    return value.is_string() ? "" : wrong;
  case ValueKind::kEnum:
    if (!value.is_string()) return wrong;
    for (const std::string &allowed : spec.allowed) {
      if (value.get<std::string>() == allowed) return "";
    }
    return wrong;
  case ValueKind::kInteger: {
    if (!value.is_number_integer()) return wrong;
    const double number = static_cast<double>(value.get<int64_t>());
    return number >= spec.min && number <= spec.max ? "" : wrong;
  }
  case ValueKind::kNumber:
  case ValueKind::kPercent: {
    if (!value.is_number()) return wrong;
    const double number = value.get<double>();
    return std::isfinite(number) && number >= spec.min && number <= spec.max ? "" : wrong;
  }
  case ValueKind::kBoolean:
    return value.is_boolean() ? "" : wrong;
  case ValueKind::kDuration:
    return value.is_string() && ParseDurationNs(value.get<std::string>()) ? "" : wrong;
  case ValueKind::kDataRate:
    return value.is_string() && ParseDataRateBps(value.get<std::string>()) ? "" : wrong;
  }
  return wrong;
}

void ValidateTree(const json &node, const std::string &path, LoadState &state) {
  for (const auto &[key, value] : node.items()) {
    const std::string childPath = Child(path, key);
    if (value.is_object()) {
      if (IsKnownTable(childPath) && !IsArrayOfTables(childPath)) {
        ValidateTree(value, childPath, state);
        continue;
      }
    } else if (value.is_array() && IsArrayOfTables(childPath)) {
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string elementPath = Indexed(childPath, i);
        if (!value[i].is_object()) {
          state.Fail(elementPath,
                     "expected a table ([[" + childPath + "]]), got " + Describe(value[i]));
          continue;
        }
        ValidateTree(value[i], elementPath, state);
      }
      continue;
    } else if (const KeySpec *spec = FindKeySpec(childPath)) {
      const std::string problem = CheckValue(*spec, value);
      if (!problem.empty()) state.Fail(childPath, problem);
      continue;
    }

    if (IsArrayOfTables(childPath)) {
      state.Fail(childPath,
                 "expected an array of tables ([[" + childPath + "]]), got " + Describe(value));
    } else if (IsKnownTable(childPath)) {
      state.Fail(childPath, "expected a table with keys " + JoinNames(ChildrenOf(childPath)) +
                                ", got " + Describe(value));
    } else if (FindKeySpec(childPath)) {
      state.Fail(childPath, "expected a value (" + DescribeAllowed(*FindKeySpec(childPath)) +
                                "), got " + Describe(value));
    } else {
      const std::string where = path.empty() ? "at the top level" : "in [" + path + "]";
      state.Fail(childPath, "unknown key; allowed " + where + ": " + JoinNames(ChildrenOf(path)));
    }
  }
}

// Converts a command-line value to the JSON type the key's kind expects; strings stay strings.
json ConvertOverrideValue(const KeySpec &spec, const std::string &text) {
  std::string unquoted = text;
  if (unquoted.size() >= 2 && (unquoted.front() == '"' || unquoted.front() == '\'') &&
      unquoted.back() == unquoted.front()) {
    unquoted = unquoted.substr(1, unquoted.size() - 2);
  }
  switch (spec.kind) {
  case ValueKind::kInteger: {
    char *end = nullptr;
    errno = 0;
    const long long number = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && *end == '\0' && errno == 0) return static_cast<int64_t>(number);
    return text;
  }
  case ValueKind::kNumber:
  case ValueKind::kPercent: {
    char *end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (!text.empty() && *end == '\0') return number;
    return text;
  }
  case ValueKind::kBoolean:
    if (text == "true") return true;
    if (text == "false") return false;
    return text;
  default:
    return unquoted;
  }
}

// "traffic.bulk.0.start" and "traffic.bulk[0].start" -> segments {traffic, bulk, 0, start}.
std::vector<std::string> SplitKey(const std::string &key) {
  std::vector<std::string> segments;
  std::string current;
  for (char c : key) {
    if (c == '.' || c == '[' || c == ']') {
      if (!current.empty()) segments.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) segments.push_back(current);
  return segments;
}

bool IsIndex(const std::string &segment) {
  return !segment.empty() && segment.find_first_not_of("0123456789") == std::string::npos;
}

void ApplyOverride(const Override &override, LoadState &state) {
  const std::vector<std::string> segments = SplitKey(override.key);
  std::string path;
  json *node = &state.raw;
  auto fail = [&](const std::string &message) {
    state.errors.push_back({"--set", 0, override.key, message});
  };
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string &segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (IsIndex(segment)) {
      if (!node->is_array()) {
        fail("'" + path + "' is not an array of tables");
        return;
      }
      const size_t index = std::stoul(segment);
      if (index > node->size()) {
        fail("index " + segment + " is past the end of " + path + " (it has " +
             std::to_string(node->size()) + " elements; use " + std::to_string(node->size()) +
             " to add one)");
        return;
      }
      if (index == node->size()) node->push_back(json::object());
      path = Indexed(path, index);
      node = &(*node)[index];
      if (last) {
        fail("expected a key after the index");
        return;
      }
      continue;
    }
    path = Child(path, segment);
    if (last) {
      const KeySpec *spec = FindKeySpec(path);
      if (!spec) {
        const std::string parent = path.substr(0, path.size() - segment.size());
        const std::string parentPath = parent.empty() ? "" : parent.substr(0, parent.size() - 1);
        fail("unknown key; allowed in [" + parentPath + "]: " + JoinNames(ChildrenOf(parentPath)));
        return;
      }
      if (!node->is_object()) {
        fail("'" + path + "' is not inside a table");
        return;
      }
      (*node)[segment] = ConvertOverrideValue(*spec, override.value);
      state.origins[path] = {"--set", 0};
      return;
    }
    if (!IsKnownTable(path) && !IsArrayOfTables(path)) {
      fail("unknown table '" + path + "'");
      return;
    }
    if (!node->contains(segment)) {
      (*node)[segment] = IsArrayOfTables(path) ? json::array() : json::object();
    }
    node = &(*node)[segment];
  }
  fail("empty key");
}

json *Lookup(json &root, const std::vector<std::string> &segments) {
  json *node = &root;
  for (const std::string &segment : segments) {
    if (!node->is_object() || !node->contains(segment)) return nullptr;
    node = &(*node)[segment];
  }
  return node;
}

void SetDefault(json &table, const std::string &key, const json &value) {
  if (table.is_object() && !table.contains(key)) table[key] = value;
}

// Creates `segments` as nested tables when absent and returns the innermost one.
json &Ensure(json &root, const std::vector<std::string> &segments) {
  json *node = &root;
  for (const std::string &segment : segments) {
    if (!node->contains(segment)) (*node)[segment] = json::object();
    node = &(*node)[segment];
  }
  return *node;
}

void FillDefaults(json &resolved, const std::string &file) {
  if (!resolved.contains("name")) {
    resolved["name"] = std::filesystem::path(file).stem().string();
  }
  if (!resolved.contains("traffic")) {
    resolved["traffic"] = {{"bulk", json::array({json::object()})}};
  }
  const json *typeValue = Lookup(resolved, {"tunnel", "type"});
  const std::string tunnelType =
      typeValue && typeValue->is_string() ? typeValue->get<std::string>() : "none";
  for (const KeySpec &spec : Schema()) {
    if (spec.defaultValue.is_null()) continue;
    std::vector<std::string> segments = SplitKey(spec.path);
    const std::string key = segments.back();
    segments.pop_back();
    const size_t arrayMark = spec.path.find("[]");
    if (arrayMark != std::string::npos) {
      json *array = Lookup(resolved, SplitKey(spec.path.substr(0, arrayMark)));
      if (!array || !array->is_array()) continue;
      for (json &element : *array)
        SetDefault(element, key, spec.defaultValue);
      continue;
    }
    switch (spec.presence) {
    case Presence::kAlways:
      SetDefault(Ensure(resolved, segments), key, spec.defaultValue);
      break;
    case Presence::kInTable:
      if (json *table = Lookup(resolved, segments)) SetDefault(*table, key, spec.defaultValue);
      break;
    case Presence::kIfTunnel:
      for (const std::string &type : spec.tunnelTypes) {
        if (type == tunnelType) SetDefault(Ensure(resolved, segments), key, spec.defaultValue);
      }
      break;
    }
  }
  // tcp.congestion's default follows the stack: the Linux-like stack gets the model of Linux's
  // CUBIC (closer to the real kernel on the study's path, docs/tcp-fidelity.md), while stock
  // ns-3 keeps its own TcpCubic so the baseline stays stock, and the kernel runs its cubic.
  json &tcp = Ensure(resolved, {"tcp"});
  if (!tcp.contains("congestion")) {
    const json *stack = Lookup(tcp, {"stack"});
    const bool linuxStack = stack && stack->is_string() && stack->get<std::string>() == "linux";
    tcp["congestion"] = linuxStack ? "cubic-linux" : "cubic";
  }
}

} // namespace

Override ParseOverride(std::string_view text) {
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw ScenarioErrors({{"--set", 0, "",
                           "expected key=value (e.g. --set tunnel.ipsec.replay_window=64), got '" +
                               std::string(text) + "'"}});
  }
  return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

std::string HeaderDescription(const std::string &text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '#') break;
    const size_t start = line.find_first_not_of("# \t");
    if (start != std::string::npos) return line.substr(start);
  }
  return "";
}

namespace {

// The 1-based line of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 when the whole text is.
int FirstInvalidUtf8Line(const std::string &text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') ++line;
    size_t length = 1;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
    if (byte < 0x80) {
      length = 1;
    } else if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) low = 0xA0;
      if (byte == 0xED) high = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) low = 0x90;
      if (byte == 0xF4) high = 0x8F;
    } else {
      return line;
    }
    if (i + length > text.size()) return line;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) return line;
    }
    i += length;
  }
  return 0;
}

} // namespace

LoadedScenario LoadScenarioText(const std::string &text, const std::string &fileName,
                                const std::vector<Override> &overrides) {
  LoadState state;
  state.file = fileName;
  // TOML files are UTF-8. Checked here, before toml11 sees the text: toml11 3.7.1 (Debian 12)
  // reads out of bounds on invalid UTF-8 inside a literal string (toml11 issue #199, fixed
  // upstream by pull request #208), which fuzz_scenario found.
  if (const int line = FirstInvalidUtf8Line(text)) {
    throw ScenarioErrors({{fileName, line, "", "the file is not valid UTF-8 text"}});
  }
  try {
    std::istringstream stream(text);
    const TomlValue document =
        toml::parse<toml::discard_comments, std::map, std::vector>(stream, fileName);
    state.raw = ConvertToml(document, "", state);
    if (!state.errors.empty()) throw ScenarioErrors(state.errors);
  } catch (const ScenarioErrors &) {
    throw;
  } catch (const toml::exception &error) {
    throw ScenarioErrors({{fileName, static_cast<int>(error.location().line()), "",
                           "TOML syntax error:\n" + std::string(error.what())}});
  } catch (const std::exception &error) {
    throw ScenarioErrors({{fileName, 0, "", std::string("cannot parse: ") + error.what()}});
  }
  for (const Override &override : overrides)
    ApplyOverride(override, state);
  ValidateTree(state.raw, "", state);
  if (!state.errors.empty()) throw ScenarioErrors(state.errors);
  ResolveTracePaths(state.raw, fileName);

  LoadedScenario loaded;
  loaded.file = fileName;
  loaded.description = HeaderDescription(text);
  loaded.resolved = state.raw;
  if (state.raw.empty() && overrides.empty()) {
    loaded.warnings.push_back(fileName + ": the scenario sets no keys: running the defaults");
  }
  FillDefaults(loaded.resolved, fileName);
  std::vector<ScenarioError> problems = CheckCombinations(
      loaded.resolved, [&](const std::string &path) { return state.OriginOf(path); });
  if (!problems.empty()) throw ScenarioErrors(problems);
  for (const BufferBelowBdp &buffer : BuffersBelowPathBdp(loaded.resolved))
    loaded.warnings.push_back(fileName + ": " + buffer.Message());
  return loaded;
}

LoadedScenario LoadScenarioFile(const std::string &path, const std::vector<Override> &overrides) {
  // A directory opens as an empty stream and would run the defaults.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw ScenarioErrors({{path, 0, "", "is a directory, not a scenario file"}});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioErrors({{path, 0, "", "cannot open the scenario file"}});
  std::ostringstream text;
  text << in.rdbuf();
  return LoadScenarioText(text.str(), path, overrides);
}

} // namespace tunnelsim::scenario

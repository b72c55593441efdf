// Reads a scenario file (TOML), applies `--set key=value` overrides, validates every key
// against the schema and fills in defaults. The result is the scenario "as parsed with
// defaults filled", a JSON tree that results.json embeds and BuildScenario() turns into types.
#pragma once

#include "scenario_error.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tunnelsim::scenario {

struct Override {
  std::string key; // dotted, array elements as "traffic.bulk[0].start" or "traffic.bulk.0.start"
  std::string value;
};

// Splits "key=value"; throws ScenarioErrors when there is no '=' or no key.
Override ParseOverride(std::string_view text);

struct LoadedScenario {
  std::string file;
  std::string description; // first line of the file's header comment
  nlohmann::json resolved;
  std::vector<std::string> warnings; // not errors: the CLI prints them on stderr and runs
};

// Throws ScenarioErrors listing every problem (syntax, unknown keys, types, ranges,
// combinations) with file, line and key.
LoadedScenario LoadScenarioFile(const std::string &path, const std::vector<Override> &overrides);
LoadedScenario LoadScenarioText(const std::string &text, const std::string &fileName,
                                const std::vector<Override> &overrides);

// The header comment's first line ("# reorder-collapse: ..." -> "reorder-collapse: ...").
std::string HeaderDescription(const std::string &text);

} // namespace tunnelsim::scenario

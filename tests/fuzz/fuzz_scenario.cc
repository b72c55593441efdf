// The scenario-file loader (LoadScenarioText: TOML parsing, --set overrides, schema
// validation and defaults) on arbitrary text.
//
// Input: the TOML text; if it contains a NUL byte, the lines after it are `--set` overrides
// ("key=value"). Checked besides memory safety: the loader and ParseOverride throw nothing
// but ScenarioErrors (a toml11 exception or a JSON type error escaping would abort), and
// loading the same input twice gives the same resolved scenario.
#include "scenario_loader.h"

#include <cstdlib>
#include <sstream>
#include <string>

using namespace tunnelsim::scenario;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return -1;
  const std::string input(reinterpret_cast<const char *>(data), size);
  const size_t split = input.find('\0');
  const std::string text = input.substr(0, split);
  std::vector<Override> overrides;
  if (split != std::string::npos) {
    std::istringstream lines(input.substr(split + 1));
    std::string line;
    while (std::getline(lines, line) && overrides.size() < 8) {
      try {
        overrides.push_back(ParseOverride(line));
      } catch (const ScenarioErrors &) {
      }
    }
  }
  try {
    const LoadedScenario first = LoadScenarioText(text, "fuzz.toml", overrides);
    const LoadedScenario second = LoadScenarioText(text, "fuzz.toml", overrides);
    if (first.resolved != second.resolved) abort();
  } catch (const ScenarioErrors &) {
  }
  return 0;
}

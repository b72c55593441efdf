// Validation errors that name the file (or the --set option), the line, the key and what is
// allowed, so a user can fix a scenario without reading the engine.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tunnelsim::scenario {

struct ScenarioError {
  std::string origin; // file name, or "--set" for a command-line override
  int line = 0;       // 1-based; 0 when unknown
  std::string key;    // dotted key, empty for whole-file errors
  std::string message;

  // "file.toml:12: tunnel.ipsec.replay_window: expected ..., got -1"
  std::string Format() const;
};

// Thrown by the loader with every problem it found, not just the first.
class ScenarioErrors : public std::runtime_error {
public:
  explicit ScenarioErrors(std::vector<ScenarioError> errors);
  const std::vector<ScenarioError> &errors() const { return errors_; }

private:
  std::vector<ScenarioError> errors_;
};

} // namespace tunnelsim::scenario

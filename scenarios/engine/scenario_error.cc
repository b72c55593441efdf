#include "scenario_error.h"

namespace tunnelsim::scenario {
namespace {

std::string Join(const std::vector<ScenarioError> &errors) {
  std::string text;
  for (const ScenarioError &error : errors) {
    if (!text.empty()) text += "\n";
    text += error.Format();
  }
  return text;
}

} // namespace

std::string ScenarioError::Format() const {
  std::string text = origin;
  if (line > 0) text += ":" + std::to_string(line);
  text += ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

ScenarioErrors::ScenarioErrors(std::vector<ScenarioError> errors)
    : std::runtime_error(Join(errors)), errors_(std::move(errors)) {}

} // namespace tunnelsim::scenario

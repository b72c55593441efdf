#include "fairness.h"

#include <algorithm>

namespace tunnelsim::scenario {

std::optional<double> JainIndex(const std::vector<double> &values) {
  double sum = 0, sumOfSquares = 0;
  for (double x : values) {
    sum += x;
    sumOfSquares += x * x;
  }
  if (values.empty() || sumOfSquares <= 0) return std::nullopt;
  return sum * sum / (static_cast<double>(values.size()) * sumOfSquares);
}

std::optional<nlohmann::json> BulkFairnessJson(const nlohmann::json &flows) {
  std::vector<double> goodputs;
  for (const nlohmann::json &flow : flows)
    if (flow.value("kind", "") == "bulk" && flow.contains("goodput_mbps"))
      goodputs.push_back(flow.at("goodput_mbps").get<double>());
  if (goodputs.size() < 2) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(goodputs.begin(), goodputs.end());
  const std::optional<double> jain = JainIndex(goodputs);
  return nlohmann::json{{"flows", goodputs.size()},
                        {"jain", jain ? nlohmann::json(*jain) : nlohmann::json(nullptr)},
                        {"min_goodput_mbps", *lo},
                        {"max_goodput_mbps", *hi}};
}

} // namespace tunnelsim::scenario

#include "percentiles.h"

#include <algorithm>
#include <cmath>

namespace tunnelsim::scenario {

double Percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(samples.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return samples[std::min(index, samples.size() - 1)];
}

nlohmann::json SummariseSamples(const std::vector<double> &samples) {
  nlohmann::json summary = {{"samples", samples.size()}};
  if (samples.empty()) return summary;
  summary["p50"] = Percentile(samples, 50);
  summary["p90"] = Percentile(samples, 90);
  summary["p99"] = Percentile(samples, 99);
  summary["min"] = *std::min_element(samples.begin(), samples.end());
  summary["max"] = *std::max_element(samples.begin(), samples.end());
  return summary;
}

} // namespace tunnelsim::scenario

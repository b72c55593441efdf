// Nearest-rank percentiles of a sample set, for RTT summaries.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

namespace tunnelsim::scenario {

// The smallest sample with at least p% of samples at or below it (nearest rank);
// `samples` need not be sorted. Precondition: samples non-empty, 0 < p <= 100.
double Percentile(std::vector<double> samples, double p);

// {"samples": n, "p50": .., "p90": .., "p99": .., "min": .., "max": ..}; only "samples" when
// there are none.
nlohmann::json SummariseSamples(const std::vector<double> &samples);

} // namespace tunnelsim::scenario

#include "impairment/delay_distribution.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace tunnelsim::impairment {
namespace {

constexpr int kTableSize = 4096;
// iproute2 builds its tables on a 16384-point grid and keeps every fourth point.
constexpr int kGridSize = 16384;

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  double lo = -12.0, hi = 12.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

int ClipToInt16(double value) {
  return static_cast<int>(
      std::clamp(value, static_cast<double>(SHRT_MIN), static_cast<double>(SHRT_MAX)));
}

// normal.c stores, for grid point i, the largest x whose CDF rounds to i/16384, which is the
// quantile at (i + 0.5) / 16384.
int NormalEntry(int index) {
  const double x = NormalQuantile((4.0 * index + 0.5) / kGridSize);
  return ClipToInt16(std::rint(x * kNetemDistScale));
}

// pareto.c: shape 3, shifted by its mean 1.5 and scaled by 4/3, from u = 1 down to 1/4096.
int ParetoEntry(int index) {
  const double u = 1.0 - static_cast<double>(index) / kTableSize;
  const double value = (1.0 / std::pow(u, 1.0 / 3.0) - 1.5) * (4.0 / 3.0) * kNetemDistScale;
  return static_cast<int>(std::rint(std::min(value, static_cast<double>(SHRT_MAX))));
}

std::vector<int16_t> BuildTable(DelayDistribution distribution) {
  std::vector<int16_t> table;
  if (distribution == DelayDistribution::kUniform) return table;
  table.reserve(kTableSize);
  for (int i = 0; i < kTableSize; ++i) {
    int value = 0;
    switch (distribution) {
    case DelayDistribution::kNormal:
      value = NormalEntry(i);
      break;
    case DelayDistribution::kPareto:
      value = ParetoEntry(i);
      break;
    case DelayDistribution::kParetoNormal:
      // paretonormal.c: a quarter normal, three quarters pareto, at the same quantile
      // (integer division, as in C).
      value = (NormalEntry(i) + 3 * ParetoEntry(i)) / 4;
      break;
    case DelayDistribution::kUniform:
      break;
    }
    table.push_back(static_cast<int16_t>(std::clamp(value, SHRT_MIN, SHRT_MAX)));
  }
  return table;
}

} // namespace

const char *ToString(DelayDistribution distribution) {
  switch (distribution) {
  case DelayDistribution::kUniform:
    return "uniform";
  case DelayDistribution::kNormal:
    return "normal";
  case DelayDistribution::kPareto:
    return "pareto";
  case DelayDistribution::kParetoNormal:
    return "paretonormal";
  }
  return "?";
}

std::optional<DelayDistribution> DelayDistributionFromString(const std::string &name) {
  for (auto d : {DelayDistribution::kUniform, DelayDistribution::kNormal,
                 DelayDistribution::kPareto, DelayDistribution::kParetoNormal}) {
    if (name == ToString(d)) return d;
  }
  return std::nullopt;
}

const std::vector<int16_t> &DistributionTable(DelayDistribution distribution) {
  static const std::vector<int16_t> kUniformTable;
  static const std::vector<int16_t> kNormalTable = BuildTable(DelayDistribution::kNormal);
  static const std::vector<int16_t> kParetoTable = BuildTable(DelayDistribution::kPareto);
  static const std::vector<int16_t> kParetoNormalTable =
      BuildTable(DelayDistribution::kParetoNormal);
  switch (distribution) {
  case DelayDistribution::kNormal:
    return kNormalTable;
  case DelayDistribution::kPareto:
    return kParetoTable;
  case DelayDistribution::kParetoNormal:
    return kParetoNormalTable;
  case DelayDistribution::kUniform:
    break;
  }
  return kUniformTable;
}

Duration TableDistribution(Duration mu, Duration sigma, uint32_t random,
                           DelayDistribution distribution) {
  const int64_t s = sigma.count();
  if (s == 0) return mu;
  if (distribution == DelayDistribution::kUniform) {
    // netem computes rnd % (2 sigma); the multiply-shift is the same uniform law without the
    // 2^32 ns limit on the range.
    const auto span = static_cast<unsigned __int128>(2 * static_cast<uint64_t>(s));
    const auto offset = static_cast<int64_t>((span * random) >> 32);
    return mu + Duration(offset - s);
  }
  const auto &table = DistributionTable(distribution);
  const int64_t t = table[random % table.size()];
  // netem's split of sigma into a multiple of the scale and a remainder keeps the product in
  // range; with 64 bits one rounded product does the same.
  int64_t x = s * t;
  x += x >= 0 ? kNetemDistScale / 2 : -kNetemDistScale / 2;
  return mu + Duration(x / kNetemDistScale);
}

} // namespace tunnelsim::impairment

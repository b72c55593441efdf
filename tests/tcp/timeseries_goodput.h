// Reading a run's timeseries.csv in the engine tests of the Linux-like TCP.
#pragma once

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

namespace tcp_test {

// Mean goodput of the bulk flow over the time series' samples in (from, to], Mbit/s.
inline double MeanBulkGoodput(const std::string &csv, double from, double to) {
  std::istringstream lines(csv);
  std::string line;
  double sum = 0;
  int samples = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string time, flow, kind, goodput;
    if (!std::getline(fields, time, ',') || !std::getline(fields, flow, ',') ||
        !std::getline(fields, kind, ',') || !std::getline(fields, goodput, ','))
      continue;
    if (kind != "bulk" || time == "time_s") continue;
    const double t = std::stod(time);
    if (t <= from + 1e-9 || t > to + 1e-9) continue;
    sum += std::stod(goodput);
    ++samples;
  }
  BOOST_REQUIRE(samples > 0);
  return sum / samples;
}

} // namespace tcp_test

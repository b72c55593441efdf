// A running minimum over a sliding time window, as Linux keeps min_RTT
// (net.ipv4.tcp_min_rtt_wlen, 300 s by default) with Kathleen Nichols' windowed min-max
// filter. Sans-IO: times are nanoseconds passed in by the caller.
//
// Three candidates are kept, oldest first, with non-decreasing values: the minimum of the
// whole window, then the best sample seen after it, then the best seen after that. When the
// oldest candidate ages out of the window, the next one takes its place, so the estimate can
// rise again after a path change without keeping every sample. Fresh candidates are taken a
// quarter and a half of a window after the minimum, so a successor is always at hand.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace tunnelsim::tcp {

class WindowedMinFilter {
public:
  explicit WindowedMinFilter(int64_t windowNs) : m_windowNs(windowNs) {}

  // Adds a sample taken at nowNs (times must not go backwards) and returns the new minimum.
  int64_t Update(int64_t value, int64_t nowNs);
  std::optional<int64_t> Get() const;
  int64_t WindowNs() const { return m_windowNs; }

private:
  struct Sample {
    int64_t value = 0;
    int64_t timeNs = 0;
  };
  void ResetTo(const Sample &s);

  int64_t m_windowNs;
  bool m_empty = true;
  std::array<Sample, 3> m_best{}; // [0] window minimum, [1] and [2] its successors
};

} // namespace tunnelsim::tcp

#include "tcp/windowed_min.h"

namespace tunnelsim::tcp {

void WindowedMinFilter::ResetTo(const Sample &s) {
  m_best.fill(s);
  m_empty = false;
}

int64_t WindowedMinFilter::Update(int64_t value, int64_t nowNs) {
  const Sample sample{value, nowNs};
  // A new overall minimum, or every candidate (the newest included) is too old: start over.
  if (m_empty || value <= m_best[0].value || nowNs - m_best[2].timeNs > m_windowNs) {
    ResetTo(sample);
    return value;
  }
  // A sample better than a successor replaces it and every younger candidate.
  if (value <= m_best[1].value) {
    m_best[1] = sample;
    m_best[2] = sample;
  } else if (value <= m_best[2].value) {
    m_best[2] = sample;
  }

  const int64_t age = nowNs - m_best[0].timeNs;
  if (age > m_windowNs) {
    // The minimum left the window: promote its successors; the sample becomes the newest
    // candidate. The promoted one may itself be out of the window already.
    m_best[0] = m_best[1];
    m_best[1] = m_best[2];
    m_best[2] = sample;
    if (nowNs - m_best[0].timeNs > m_windowNs) {
      m_best[0] = m_best[1];
      m_best[1] = m_best[2];
    }
  } else if (m_best[1].timeNs == m_best[0].timeNs && age > m_windowNs / 4) {
    // A quarter window passed without a distinct successor: take this sample as one.
    m_best[1] = sample;
    m_best[2] = sample;
  } else if (m_best[2].timeNs == m_best[1].timeNs && age > m_windowNs / 2) {
    // Half a window passed without a third candidate.
    m_best[2] = sample;
  }
  return m_best[0].value;
}

std::optional<int64_t> WindowedMinFilter::Get() const {
  if (m_empty) return std::nullopt;
  return m_best[0].value;
}

} // namespace tunnelsim::tcp

#include "progress.h"

#include "ns3/simulator.h"

namespace tunnelsim::scenario {

ProgressReporter::ProgressReporter(ns3::Time end, std::FILE *out) : end_(end), out_(out) {}

void ProgressReporter::Start() {
  wallStart_ = std::chrono::steady_clock::now();
  lastDraw_ = wallStart_;
  ns3::Simulator::Schedule(end_ / 100, &ProgressReporter::Tick, this);
}

void ProgressReporter::Tick() {
  const auto now = std::chrono::steady_clock::now();
  if (!drawn_ || now - lastDraw_ >= std::chrono::milliseconds(500)) {
    lastDraw_ = now;
    const double wall = std::chrono::duration<double>(now - wallStart_).count();
    const double simulated = ns3::Simulator::Now().GetSeconds();
    const double fraction = simulated / end_.GetSeconds();
    const double eta = fraction > 0 ? wall / fraction - wall : 0;
    std::fprintf(out_, "\r  simulated %.1f / %.1f s (%3.0f%%)  wall %.1f s  ETA %.1f s   ",
                 simulated, end_.GetSeconds(), fraction * 100, wall, eta);
    std::fflush(out_);
    drawn_ = true;
  }
  if (ns3::Simulator::Now() + end_ / 100 < end_) {
    ns3::Simulator::Schedule(end_ / 100, &ProgressReporter::Tick, this);
  }
}

void ProgressReporter::Finish() {
  if (drawn_) std::fprintf(out_, "\n");
}

} // namespace tunnelsim::scenario

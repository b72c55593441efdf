#include "relay_driver.h"

#include "realnet/clock.h"
#include "realnet/event_loop.h"

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <stdexcept>

namespace tunnelsim::emulate {

RelayDriverStats RunRelay(Relay &relay, realnet::TunDevice &home, realnet::TunDevice &work,
                          Time end) {
  RelayDriverStats stats;
  stats.latenessNs.reserve(1 << 20);
  realnet::EventLoop loop;
  std::string error;
  if (!loop.ok(error)) throw std::runtime_error("event loop: " + error);
  std::vector<Delivery> due;
  std::vector<uint8_t> buffer(65536);

  auto flush = [&] {
    const Time now = realnet::MonotonicNow();
    due.clear();
    relay.Advance(now, due);
    for (auto &delivery : due) {
      realnet::TunDevice &tun = delivery.to == Side::kHome ? home : work;
      if (tun.Write(delivery.packet.data(), delivery.packet.size())) {
        ++stats.tunWrites;
      } else {
        ++stats.tunWriteErrors;
      }
      if (stats.latenessNs.size() < (size_t{1} << 24)) {
        stats.latenessNs.push_back((realnet::MonotonicNow() - delivery.due).count());
      }
    }
    if (now >= end) {
      loop.Stop();
      return;
    }
    loop.SetDeadline(std::min(relay.NextDeadline(), end));
  };
  auto drain = [&](realnet::TunDevice &tun, Side side) {
    // A bounded batch per wake-up, so one busy side cannot starve the other or the timer.
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = tun.Read(buffer.data(), buffer.size());
      if (n <= 0) break;
      ++stats.tunReads;
      relay.FromHost(side, Bytes(buffer.begin(), buffer.begin() + n), realnet::MonotonicNow());
    }
    flush();
  };

  if (!loop.WatchReadable(
          home.fd(), [&] { drain(home, Side::kHome); }, error) ||
      !loop.WatchReadable(
          work.fd(), [&] { drain(work, Side::kWork); }, error) ||
      !loop.WatchSignals(
          {SIGINT, SIGTERM},
          [&](int signal) {
            stats.signal = signal;
            loop.Stop();
          },
          error)) {
    throw std::runtime_error("event loop: " + error);
  }
  loop.SetTimerHandler(flush);
  loop.SetDeadline(std::min(relay.NextDeadline(), end));
  // Real-time priority for the loop thread: the hosts' TCP threads (and anything else on the
  // machine) then cannot delay a due release by taking its CPU. The loop sleeps in epoll
  // between events, so it cannot starve them. Best effort: without it the run still works,
  // with a larger timing error (recorded in results.json either way).
  sched_param realtime{};
  realtime.sched_priority = 20;
  stats.realtimePriority = sched_setscheduler(0, SCHED_FIFO, &realtime) == 0;
  rusage before{};
  getrusage(RUSAGE_THREAD, &before);
  if (!loop.Run(error)) throw std::runtime_error("event loop: " + error);
  rusage after{};
  getrusage(RUSAGE_THREAD, &after);
  auto seconds = [](const timeval &t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  stats.cpuSeconds = seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime) -
                     seconds(before.ru_stime);
  if (stats.realtimePriority) {
    sched_param normal{};
    sched_setscheduler(0, SCHED_OTHER, &normal);
  }
  stats.wakeups = loop.wakeups();
  stats.timerExpiries = loop.timerExpiries();
  return stats;
}

nlohmann::json LatenessJson(std::vector<int64_t> latenessNs) {
  if (latenessNs.empty()) return {{"samples", 0}};
  std::sort(latenessNs.begin(), latenessNs.end());
  auto at = [&](double q) {
    const size_t index = std::min(latenessNs.size() - 1, size_t(q * double(latenessNs.size())));
    return double(latenessNs[index]) / 1000.0;
  };
  return {{"samples", latenessNs.size()}, {"p50_us", at(0.5)},    {"p90_us", at(0.9)},
          {"p99_us", at(0.99)},           {"p999_us", at(0.999)}, {"max_us", at(1.0)}};
}

} // namespace tunnelsim::emulate

// A single-threaded epoll loop: readable file descriptors, one absolute CLOCK_MONOTONIC
// deadline (a timerfd) and signals (a signalfd, so handlers run in the loop, not in
// asynchronous signal context).
#pragma once

#include "common/time.h"

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace tunnelsim::realnet {

class EventLoop {
public:
  using Handler = std::function<void()>;
  using SignalHandler = std::function<void(int signal)>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop &) = delete;
  EventLoop &operator=(const EventLoop &) = delete;

  // False (with `error`) when the epoll or timerfd could not be created.
  bool ok(std::string &error) const;

  bool WatchReadable(int fd, Handler onReadable, std::string &error);
  // Blocks `signals` for normal delivery and reports them through `onSignal` instead.
  bool WatchSignals(std::initializer_list<int> signals, SignalHandler onSignal, std::string &error);

  void SetTimerHandler(Handler onTimer) { onTimer_ = std::move(onTimer); }
  // Arms the timer for the absolute CLOCK_MONOTONIC time `when`; kNever disarms it. A time in
  // the past fires at once.
  void SetDeadline(Time when);
  Time deadline() const { return deadline_; }

  // Dispatches events until Stop(); false when epoll_wait failed (error says why).
  bool Run(std::string &error);
  void Stop() { running_ = false; }

  uint64_t wakeups() const { return wakeups_; }
  uint64_t timerExpiries() const { return timerExpiries_; }

private:
  struct Watch {
    int fd;
    Handler onReadable;
  };
  void OnTimerFd();
  void OnSignalFd();

  int epollFd_ = -1;
  int timerFd_ = -1;
  int signalFd_ = -1;
  std::string setupError_;
  std::vector<Watch> watches_;
  Handler onTimer_;
  SignalHandler onSignal_;
  Time deadline_ = kNever;
  bool running_ = false;
  uint64_t wakeups_ = 0;
  uint64_t timerExpiries_ = 0;
};

// The daemons' signal policy (wg-up, ipsec-up): SIGINT and SIGTERM are logged and stop `loop`;
// SIGUSR1 runs `onStatsRequest` (write the stats file) and the daemon goes on.
bool WatchDaemonSignals(EventLoop &loop, EventLoop::Handler onStatsRequest, std::string &error);

} // namespace tunnelsim::realnet

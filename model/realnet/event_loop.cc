#include "event_loop.h"

#include "log.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace tunnelsim::realnet {

namespace {
// epoll data of the loop's own descriptors; watched descriptors use their index.
constexpr uint64_t kTimerTag = ~uint64_t{0};
constexpr uint64_t kSignalTag = ~uint64_t{0} - 1;

bool AddToEpoll(int epollFd, int fd, uint64_t tag, std::string &error) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = tag;
  if (epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &event) < 0) {
    error = ErrnoMessage("epoll_ctl add");
    return false;
  }
  return true;
}
} // namespace

EventLoop::EventLoop() {
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd_ < 0) {
    setupError_ = ErrnoMessage("epoll_create1");
    return;
  }
  timerFd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timerFd_ < 0) {
    setupError_ = ErrnoMessage("timerfd_create");
    return;
  }
  AddToEpoll(epollFd_, timerFd_, kTimerTag, setupError_);
}

EventLoop::~EventLoop() {
  for (int fd : {signalFd_, timerFd_, epollFd_})
    if (fd >= 0) close(fd);
}

bool EventLoop::ok(std::string &error) const {
  if (setupError_.empty()) return true;
  error = setupError_;
  return false;
}

bool EventLoop::WatchReadable(int fd, Handler onReadable, std::string &error) {
  if (!AddToEpoll(epollFd_, fd, watches_.size(), error)) return false;
  watches_.push_back({fd, std::move(onReadable)});
  return true;
}

bool EventLoop::WatchSignals(std::initializer_list<int> signals, SignalHandler onSignal,
                             std::string &error) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals)
    sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) {
    error = ErrnoMessage("sigprocmask");
    return false;
  }
  signalFd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signalFd_ < 0) {
    error = ErrnoMessage("signalfd");
    return false;
  }
  onSignal_ = std::move(onSignal);
  return AddToEpoll(epollFd_, signalFd_, kSignalTag, error);
}

void EventLoop::SetDeadline(Time when) {
  if (when == deadline_) return;
  deadline_ = when;
  itimerspec spec{};
  if (when != kNever) {
    // it_value of zero would disarm the timer; a deadline at or before 0 fires at 1 ns.
    int64_t ns = std::max<int64_t>(when.count(), 1);
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::OnTimerFd() {
  uint64_t expirations = 0;
  if (read(timerFd_, &expirations, sizeof expirations) != sizeof expirations) return;
  ++timerExpiries_;
  // The deadline is spent; the handler sets the next one.
  deadline_ = kNever;
  if (onTimer_) onTimer_();
}

void EventLoop::OnSignalFd() {
  signalfd_siginfo info{};
  while (read(signalFd_, &info, sizeof info) == sizeof info) {
    if (onSignal_) onSignal_(static_cast<int>(info.ssi_signo));
  }
}

bool EventLoop::Run(std::string &error) {
  running_ = true;
  epoll_event events[16];
  while (running_) {
    int n = epoll_wait(epollFd_, events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = ErrnoMessage("epoll_wait");
      return false;
    }
    ++wakeups_;
    for (int i = 0; i < n && running_; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kTimerTag) {
        OnTimerFd();
      } else if (tag == kSignalTag) {
        OnSignalFd();
      } else if (tag < watches_.size()) {
        watches_[tag].onReadable();
      }
    }
  }
  return true;
}

bool WatchDaemonSignals(EventLoop &loop, EventLoop::Handler onStatsRequest, std::string &error) {
  return loop.WatchSignals(
      {SIGINT, SIGTERM, SIGUSR1},
      [&loop, onStatsRequest = std::move(onStatsRequest)](int signal) {
        if (signal == SIGUSR1) {
          onStatsRequest();
          return;
        }
        Log::Info(std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                  ", shutting down");
        loop.Stop();
      },
      error);
}

} // namespace tunnelsim::realnet

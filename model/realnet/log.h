// Timestamped log lines on stderr. Callers pass only public values (keys are shown as their
// public halves, never private or preshared keys).
#pragma once

#include <cstdint>
#include <string>

namespace tunnelsim::realnet {

enum class LogLevel { Error, Info, Debug };

class Log {
public:
  static void SetVerbose(bool verbose);
  // The name in every line ("wg-up" unless set).
  static void SetProgramName(const char *name);
  static bool Verbose();
  static void Write(LogLevel level, const std::string &message);
  static void Error(const std::string &message) { Write(LogLevel::Error, message); }
  static void Info(const std::string &message) { Write(LogLevel::Info, message); }
  static void Debug(const std::string &message) { Write(LogLevel::Debug, message); }
};

// strerror(errno) for the current errno, with the failing operation in front.
std::string ErrnoMessage(const std::string &operation);

} // namespace tunnelsim::realnet

namespace tunnelsim::realnet {

// Lets one kind of repeated log line through at most once per interval and counts the
// lines it held back, so a flood of bad packets cannot flood the log.
class LogThrottle {
public:
  LogThrottle() = default;
  explicit LogThrottle(int64_t intervalNs) : interval_(intervalNs) {}
  // True when a line may be logged at monotonic time `nowNs`; `suppressed` is then the
  // number of lines held back since the last one.
  bool Allow(int64_t nowNs, uint64_t &suppressed) {
    if (logged_ && nowNs - last_ < interval_) {
      ++held_;
      return false;
    }
    logged_ = true;
    last_ = nowNs;
    suppressed = held_;
    held_ = 0;
    return true;
  }

private:
  int64_t interval_ = 5'000'000'000;
  bool logged_ = false;
  int64_t last_ = 0;
  uint64_t held_ = 0;
};

} // namespace tunnelsim::realnet

#include "log.h"

#include "clock.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tunnelsim::realnet {

namespace {
bool verboseLogging = false;
} // namespace

void Log::SetVerbose(bool verbose) { verboseLogging = verbose; }
bool Log::Verbose() { return verboseLogging; }

void Log::Write(LogLevel level, const std::string &message) {
  if (level == LogLevel::Debug && !verboseLogging) return;
  const char *tag = level == LogLevel::Error ? "error" : level == LogLevel::Info ? "info" : "debug";
  std::fprintf(stderr, "%s wg-up %s: %s\n", FormatWallClock().c_str(), tag, message.c_str());
  std::fflush(stderr);
}

std::string ErrnoMessage(const std::string &operation) {
  int error = errno;
  return operation + ": " + std::strerror(error);
}

} // namespace tunnelsim::realnet

#include "log.h"

#include "clock.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tunnelsim::realnet {

namespace {
bool verboseLogging = false;
const char *programName = "wg-up";
} // namespace

void Log::SetVerbose(bool verbose) { verboseLogging = verbose; }
void Log::SetProgramName(const char *name) { programName = name; }
bool Log::Verbose() { return verboseLogging; }

void Log::Write(LogLevel level, const std::string &message) {
  if (level == LogLevel::Debug && !verboseLogging) return;
  const char *tag = level == LogLevel::Error ? "error" : level == LogLevel::Info ? "info" : "debug";
  std::fprintf(stderr, "%s %s %s: %s\n", FormatWallClock().c_str(), programName, tag,
               message.c_str());
  std::fflush(stderr);
}

std::string ErrnoMessage(const std::string &operation) {
  int error = errno;
  return operation + ": " + std::strerror(error);
}

} // namespace tunnelsim::realnet

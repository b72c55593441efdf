// The trace file that `impairment.<link>.<dir>.trace` replays: one line per packet entering
// a link direction, saying what happens to it (pass, drop, held until K later packets have
// left, or extra delay). `tunnelsim diagnose` writes it from a capture; docs/impairments.md
// is the format's contract. Parsing is sans-IO apart from LoadTraceFile, which reads a path.
#pragma once

#include "common/time.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunnelsim::impairment {

struct TraceEntry {
  enum class Verb { kPass, kDrop, kAfter, kDelay };
  Verb verb = Verb::kPass;
  uint64_t afterPackets = 0; // kAfter: later packets that must leave first (>= 1)
  Duration delay{0};         // kDelay: extra delay
  uint32_t line = 0;         // line in the file, for messages
};

struct TraceFile {
  std::string name; // path as given, for messages
  std::vector<TraceEntry> entries;
};

// Every message names file, line and offending token.
class TraceFileError : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

// `name` is only used in error messages. Throws TraceFileError.
TraceFile ParseTraceFile(const std::string &text, const std::string &name);

// Reads and parses `path`; an unreadable file is a TraceFileError naming the path.
TraceFile LoadTraceFile(const std::string &path);

} // namespace tunnelsim::impairment

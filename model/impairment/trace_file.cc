#include "impairment/trace_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace tunnelsim::impairment {
namespace {

constexpr const char *kMagic = "tunnelsim-trace";
constexpr const char *kVersion = "1";

[[noreturn]] void Fail(const std::string &name, uint32_t line, const std::string &token,
                       const std::string &message) {
  std::ostringstream out;
  out << name << ":" << line << ": ";
  if (!token.empty()) out << "'" << token << "': ";
  out << message;
  throw TraceFileError(out.str());
}

// The whitespace-separated tokens of a line up to a '#' comment.
std::vector<std::string> Tokens(const std::string &line) {
  std::istringstream words(line.substr(0, line.find('#')));
  std::vector<std::string> tokens;
  for (std::string word; words >> word;)
    tokens.push_back(word);
  return tokens;
}

// Decimal digits only: a sign, a fraction or a unit suffix is an error, not silently cut off.
bool ParseCount(const std::string &token, uint64_t &value) {
  if (token.empty() || token.size() > 19) return false;
  value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

uint64_t NumberArgument(const std::string &name, uint32_t line,
                        const std::vector<std::string> &tokens, const char *what) {
  if (tokens.size() < 2) Fail(name, line, tokens[0], std::string("missing ") + what);
  if (tokens.size() > 2) Fail(name, line, tokens[2], "unexpected token after the number");
  uint64_t value = 0;
  if (!ParseCount(tokens[1], value))
    Fail(name, line, tokens[1], std::string("expected ") + what + " as a non-negative integer");
  return value;
}

} // namespace

TraceFile ParseTraceFile(const std::string &text, const std::string &name) {
  TraceFile trace;
  trace.name = name;
  std::istringstream lines(text);
  bool sawMagic = false;
  uint32_t lineNumber = 0;
  for (std::string line; std::getline(lines, line);) {
    ++lineNumber;
    const auto tokens = Tokens(line);
    if (tokens.empty()) continue;
    if (!sawMagic) {
      if (tokens[0] != kMagic)
        Fail(name, lineNumber, tokens[0], std::string("expected '") + kMagic + " 1' first");
      if (tokens.size() < 2) Fail(name, lineNumber, tokens[0], "missing format version");
      if (tokens[1] != kVersion)
        Fail(name, lineNumber, tokens[1], "unsupported trace format version (this reads 1)");
      if (tokens.size() > 2) Fail(name, lineNumber, tokens[2], "unexpected token after version");
      sawMagic = true;
      continue;
    }
    TraceEntry entry;
    entry.line = lineNumber;
    const std::string &verb = tokens[0];
    if (verb == "pass" || verb == "drop") {
      if (tokens.size() > 1) Fail(name, lineNumber, tokens[1], "unexpected token after " + verb);
      entry.verb = verb == "pass" ? TraceEntry::Verb::kPass : TraceEntry::Verb::kDrop;
    } else if (verb == "after") {
      entry.verb = TraceEntry::Verb::kAfter;
      entry.afterPackets = NumberArgument(name, lineNumber, tokens, "a packet count");
      if (entry.afterPackets == 0)
        Fail(name, lineNumber, tokens[1], "'after' needs at least 1 later packet (use 'pass')");
    } else if (verb == "delay") {
      entry.verb = TraceEntry::Verb::kDelay;
      const uint64_t us = NumberArgument(name, lineNumber, tokens, "microseconds");
      // Beyond this the nanosecond count would overflow int64.
      if (us > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 1000))
        Fail(name, lineNumber, tokens[1], "delay too large");
      entry.delay = std::chrono::microseconds(static_cast<int64_t>(us));
    } else {
      Fail(name, lineNumber, verb, "unknown verb (expected pass, drop, after N or delay US)");
    }
    trace.entries.push_back(entry);
  }
  if (!sawMagic) Fail(name, lineNumber, "", std::string("missing '") + kMagic + " 1' header");
  if (trace.entries.empty()) Fail(name, lineNumber, "", "trace has no packet lines");
  return trace;
}

TraceFile LoadTraceFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceFileError(path + ": cannot read trace file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw TraceFileError(path + ": error while reading trace file");
  return ParseTraceFile(text.str(), path);
}

} // namespace tunnelsim::impairment

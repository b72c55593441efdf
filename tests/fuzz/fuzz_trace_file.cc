// The tunnelsim-trace 1 reader (ParseTraceFile) behind `impairment.<link>.<dir>.trace`.
//
// Input: the file's text. Checked besides memory safety: the parser throws nothing but
// TraceFileError; every accepted entry obeys the format (`after` at least 1, a delay not
// negative, a line number inside the file).
#include "impairment/trace_file.h"

#include <algorithm>
#include <cstdlib>
#include <string>

using namespace tunnelsim::impairment;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return -1;
  const std::string text(reinterpret_cast<const char *>(data), size);
  TraceFile trace;
  try {
    trace = ParseTraceFile(text, "fuzz.trace");
  } catch (const TraceFileError &) {
    return 0;
  }
  const auto lines = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n') + 1);
  if (trace.entries.empty()) abort(); // a file with no packet lines is an error
  for (const TraceEntry &entry : trace.entries) {
    if (entry.verb == TraceEntry::Verb::kAfter && entry.afterPackets < 1) abort();
    if (entry.delay.count() < 0) abort();
    if (entry.line == 0 || entry.line > lines) abort();
  }
  return 0;
}

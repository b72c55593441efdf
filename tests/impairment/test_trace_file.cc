#include "impairment/trace_file.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace tunnelsim;
using namespace tunnelsim::impairment;

namespace {

std::string ErrorOf(const std::string &text) {
  try {
    ParseTraceFile(text, "t.trace");
  } catch (const TraceFileError &e) {
    return e.what();
  }
  return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(trace_file)

BOOST_AUTO_TEST_CASE(valid_file_with_comments_and_blank_lines) {
  const auto trace = ParseTraceFile("# from diagnose\n\n  tunnelsim-trace 1  # header\n"
                                    "pass\ndrop # lost\nafter 3\n\ndelay 1500\n",
                                    "t.trace");
  BOOST_REQUIRE_EQUAL(trace.entries.size(), 4u);
  BOOST_CHECK(trace.entries[0].verb == TraceEntry::Verb::kPass);
  BOOST_CHECK(trace.entries[1].verb == TraceEntry::Verb::kDrop);
  BOOST_CHECK(trace.entries[2].verb == TraceEntry::Verb::kAfter);
  BOOST_CHECK_EQUAL(trace.entries[2].afterPackets, 3u);
  BOOST_CHECK_EQUAL(trace.entries[2].line, 6u);
  BOOST_CHECK(trace.entries[3].verb == TraceEntry::Verb::kDelay);
  BOOST_CHECK(trace.entries[3].delay == std::chrono::microseconds(1500));
  BOOST_CHECK_EQUAL(trace.name, "t.trace");
}

BOOST_AUTO_TEST_CASE(every_error_names_file_line_and_token) {
  const struct {
    const char *text;
    const char *expected;
  } rows[] = {
      {"tunnelsim-trace 1\npass\nhold 3\n", "t.trace:3: 'hold': unknown verb"},
      {"tunnelsim-trace 1\nafter -3\n", "t.trace:2: '-3': expected a packet count"},
      {"tunnelsim-trace 1\nafter 3x\n", "t.trace:2: '3x': expected a packet count"},
      {"tunnelsim-trace 1\nafter 0\n", "t.trace:2: '0': 'after' needs at least 1"},
      {"tunnelsim-trace 1\nafter\n", "t.trace:2: 'after': missing a packet count"},
      {"tunnelsim-trace 1\ndelay 1.5\n", "t.trace:2: '1.5': expected microseconds"},
      {"tunnelsim-trace 1\ndelay 99999999999999999999\n", "t.trace:2: '99999999999999999999'"},
      {"tunnelsim-trace 1\ndelay 10 20\n", "t.trace:2: '20': unexpected token"},
      {"tunnelsim-trace 1\npass now\n", "t.trace:2: 'now': unexpected token after pass"},
      {"pass\ndrop\n", "t.trace:1: 'pass': expected 'tunnelsim-trace 1' first"},
      {"tunnelsim-trace 2\npass\n", "t.trace:1: '2': unsupported trace format version"},
      {"tunnelsim-trace\npass\n", "t.trace:1: 'tunnelsim-trace': missing format version"},
      {"# only a comment\n\n", "t.trace:2: missing 'tunnelsim-trace 1' header"},
      {"", "t.trace:0: missing 'tunnelsim-trace 1' header"},
      {"tunnelsim-trace 1\n# nothing\n", "t.trace:2: trace has no packet lines"},
  };
  for (const auto &row : rows) {
    const std::string error = ErrorOf(row.text);
    BOOST_TEST_INFO("input: " << row.text);
    BOOST_CHECK_MESSAGE(error.rfind(row.expected, 0) == 0, "got '" << error << "'");
  }
}

BOOST_AUTO_TEST_CASE(unreadable_file_names_the_path) {
  try {
    LoadTraceFile("/nonexistent/dir/x.trace");
    BOOST_FAIL("no error");
  } catch (const TraceFileError &e) {
    BOOST_CHECK(std::string(e.what()).rfind("/nonexistent/dir/x.trace: cannot read", 0) == 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()

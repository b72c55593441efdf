#include "impairment/netem_parser.h"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>

using namespace tunnelsim;
using namespace tunnelsim::impairment;

namespace {

struct Row {
  const char *command;
  std::function<bool(const NetemSettings &)> check;
};

std::string ErrorOf(const std::string &command) {
  try {
    ParseNetemArguments(command);
  } catch (const NetemParseError &e) {
    return e.what();
  }
  return "";
}

bool Near(double a, double b) { return std::abs(a - b) < 1e-9; }

} // namespace

BOOST_AUTO_TEST_SUITE(netem_parser)

BOOST_AUTO_TEST_CASE(real_command_lines) {
  using M = LossSettings::Model;
  const Row rows[] = {
      {"tc qdisc add dev eth0 root netem delay 100ms",
       [](auto &s) { return s.latency == Milliseconds(100) && s.jitter.count() == 0; }},
      {"tc qdisc change dev eth0 root netem delay 100ms 10ms",
       [](auto &s) { return s.jitter == Milliseconds(10); }},
      {"delay 100ms 10ms 25%", [](auto &s) { return Near(s.delayCorrelation, 0.25); }},
      {"delay 100ms 20ms distribution normal",
       [](auto &s) { return s.distribution == DelayDistribution::kNormal; }},
      {"delay 100ms 20ms distribution paretonormal",
       [](auto &s) { return s.distribution == DelayDistribution::kParetoNormal; }},
      {"delay 1s 500us",
       [](auto &s) { return s.latency == Duration(1000000000) && s.jitter == Duration(500000); }},
      {"loss 0.1%",
       [](auto &s) { return s.loss.model == M::kRandom && Near(s.loss.probability, 0.001); }},
      {"loss 0.3% 25%", [](auto &s) { return Near(s.loss.correlation, 0.25); }},
      {"loss random 1%", [](auto &s) { return Near(s.loss.probability, 0.01); }},
      {"drop 2", [](auto &s) { return Near(s.loss.probability, 0.02); }},
      {"loss state 1% 30% 2% 5% 0.1%",
       [](auto &s) {
         return s.loss.model == M::kState && Near(s.loss.p13, 0.01) && Near(s.loss.p31, 0.3) &&
                Near(s.loss.p32, 0.02) && Near(s.loss.p23, 0.05) && Near(s.loss.p14, 0.001);
       }},
      {"loss state 5%",
       [](auto &s) {
         return Near(s.loss.p31, 0.95) && Near(s.loss.p32, 0) && Near(s.loss.p23, 1) &&
                Near(s.loss.p14, 0);
       }},
      {"loss gemodel 1% 10% 70% 0.1%",
       [](auto &s) {
         return s.loss.model == M::kGilbertElliott && Near(s.loss.p, 0.01) && Near(s.loss.r, 0.1) &&
                Near(s.loss.badLoss, 0.7) && Near(s.loss.goodLoss, 0.001);
       }},
      {"loss gemodel 1%",
       [](auto &s) {
         return Near(s.loss.r, 0.99) && Near(s.loss.badLoss, 1) && Near(s.loss.goodLoss, 0);
       }},
      {"loss 5% ecn", [](auto &s) { return s.loss.ecn && Near(s.loss.probability, 0.05); }},
      {"duplicate 1%", [](auto &s) { return Near(s.duplicate, 0.01); }},
      {"duplicate 1% 20%", [](auto &s) { return Near(s.duplicateCorrelation, 0.2); }},
      {"corrupt 0.1%", [](auto &s) { return Near(s.corrupt, 0.001); }},
      {"delay 10ms reorder 25% 50%",
       [](auto &s) {
         return Near(s.reorder, 0.25) && Near(s.reorderCorrelation, 0.5) && s.gap == 1;
       }},
      {"reorder 25% 50% delay 10ms", [](auto &s) { return s.gap == 1; }},
      {"delay 10ms reorder 100% gap 5", [](auto &s) { return s.gap == 5; }},
      {"rate 5kbit 20 100 5",
       [](auto &s) {
         return s.rateBytesPerSecond == 625 && s.packetOverhead == 20 && s.cellSize == 100 &&
                s.cellOverhead == 5;
       }},
      {"rate 100mbit", [](auto &s) { return s.rateBytesPerSecond == 12500000; }},
      {"rate 1mbps -14",
       [](auto &s) { return s.rateBytesPerSecond == 1000000 && s.packetOverhead == -14; }},
      {"rate 1gibit", [](auto &s) { return s.rateBytesPerSecond == 134217728; }},
      {"limit 100 delay 1ms", [](auto &s) { return s.limit == 100; }},
      {"seed 42 delay 1ms", [](auto &s) { return s.seed == 42; }},
      {"del 5ms dup 1%", // tc's abbreviations
       [](auto &s) { return s.latency == Milliseconds(5) && Near(s.duplicate, 0.01); }},
      {"delay 20ms 5ms 25% reorder 10% 50% gap 5 loss gemodel 1% 10%",
       [](auto &s) {
         return s.latency == Milliseconds(20) && s.jitter == Milliseconds(5) &&
                Near(s.delayCorrelation, 0.25) && Near(s.reorder, 0.1) &&
                Near(s.reorderCorrelation, 0.5) && s.gap == 5 &&
                s.loss.model == M::kGilbertElliott && Near(s.loss.p, 0.01) && Near(s.loss.r, 0.1);
       }},
      {"", [](auto &s) { return s.limit == 1000 && s.loss.model == M::kNone; }},
  };
  for (const auto &row : rows) {
    BOOST_TEST_CONTEXT(row.command) {
      NetemSettings settings;
      BOOST_REQUIRE_NO_THROW(settings = ParseNetemArguments(row.command));
      BOOST_TEST(row.check(settings));
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_command_lines_get_clear_errors) {
  const std::pair<const char *, const char *> rows[] = {
      {"delay 10ms slot 10ms", "'slot'"},
      {"delay abc", "'abc'"},
      {"delay 10", "no unit"},
      {"delay 10xs", "unknown unit 'xs'"},
      {"loss 120%", "'120%' is outside"},
      {"loss", "command ends"},
      {"loss sometimes", "'sometimes'"},
      {"reorder 10%", "without a delay"},
      {"delay 10ms gap 5", "'gap' given without a reorder"},
      {"delay 10ms distribution weird", "'weird'"},
      {"frobnicate 3", "unknown option 'frobnicate'"},
      {"rate 10furlongs", "unknown unit 'furlongs'"},
      {"rate 10%", "percentage"},
      {"limit -5", "'-5'"},
      {"limit 0", "'0'"},
      {"loss state 10% 60% 60%", "p31 + p32"},
      {"duplicate 10% x", "unknown option 'x'"},
      {"seed -1", "'-1'"},
  };
  for (const auto &[command, expected] : rows) {
    const std::string error = ErrorOf(command);
    BOOST_TEST_CONTEXT(command) {
      BOOST_TEST(!error.empty());
      BOOST_TEST(error.find(expected) != std::string::npos, "message: " << error);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

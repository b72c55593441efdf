// Inputs found by fuzz_netem (tests/fuzz), kept as regression tests. Each names the input and
// the undefined behaviour it triggered before the fix.
#include "impairment/impairment_core.h"
#include "impairment/netem_parser.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

using namespace tunnelsim;
using namespace tunnelsim::impairment;

namespace {

std::string ParseError(const std::string &arguments) {
  try {
    ParseNetemArguments(arguments);
  } catch (const NetemParseError &e) {
    return e.what();
  }
  return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(fuzz_regressions)

// "delay 255555501s": eight years of delay was accepted, and the 37th packet overflowed the
// signed sum in ImpairmentCounters::totalDelayNs (UBSan: signed integer overflow in
// ImpairmentCore::Account). Delays are now capped at a day, and the sum saturates.
BOOST_AUTO_TEST_CASE(delay_of_years_is_refused) {
  BOOST_TEST(ParseError("delay 255555501s").find("at most") != std::string::npos);
  BOOST_TEST(ParseError("delay 86400s").empty());
  BOOST_TEST(ParseError("delay 86401s").find("at most") != std::string::npos);
  NetemSettings settings;
  settings.latency = kMaxNetemDelay + Duration(1);
  BOOST_TEST(!settings.Validate().empty());
  BOOST_CHECK_THROW(ImpairmentCore{settings}, std::invalid_argument);
}

// The same overflow reached with valid settings: a day of delay on enough packets.
BOOST_AUTO_TEST_CASE(total_delay_saturates_instead_of_overflowing) {
  NetemSettings settings;
  settings.latency = kMaxNetemDelay;
  settings.limit = 200000;
  ImpairmentCore core(settings);
  const int64_t perPacket = kMaxNetemDelay.count();
  const uint64_t packets = std::numeric_limits<int64_t>::max() / perPacket + 10;
  for (uint64_t i = 0; i < packets; ++i)
    core.Process(PacketRef{nullptr, 100}, Time(0));
  BOOST_TEST(core.Counters().delayed == packets);
  BOOST_TEST(core.Counters().totalDelayNs == std::numeric_limits<int64_t>::max());
}

// A jitter of ~3 years with a table distribution: sigma times a table entry (up to 2^15)
// overflowed int64 in TableDistribution. Jitter has the same cap as delay.
BOOST_AUTO_TEST_CASE(huge_jitter_with_a_table_distribution_is_refused) {
  BOOST_TEST(ParseError("delay 1s 100000000s distribution normal").find("at most") !=
             std::string::npos);
  NetemSettings settings;
  settings.latency = kMaxNetemDelay;
  settings.jitter = kMaxNetemDelay;
  settings.distribution = DelayDistribution::kPareto;
  ImpairmentCore core(settings);
  for (int i = 0; i < 2000; ++i) {
    const Time now = Time(0) + Duration(int64_t(i) * 1000);
    const Decision d = core.Process(PacketRef{nullptr, 100}, now);
    for (const CopyDecision &copy : d.copies) {
      BOOST_CHECK(copy.deliverAt >= now);
      BOOST_CHECK(copy.deliverAt <= now + kMaxNetemDelay * 6);
    }
  }
}

// "rate 25 255 1525555525": 25 bit/s with 1.5 GB cells serialises each packet for ~16
// years; the departure time of a queue of them overflowed int64 (UBSan: signed integer
// overflow in ImpairmentCore::Enqueue). Departures now saturate at kNever: such a packet
// never leaves, and the core keeps deciding without undefined behaviour.
BOOST_AUTO_TEST_CASE(serialisation_time_of_years_saturates) {
  const NetemSettings settings = ParseNetemArguments("rate 25 255 1525555525 delay 10ms");
  ImpairmentCore core(settings);
  Time now{0};
  Time previous{0};
  for (int i = 0; i < 64; ++i) {
    const Decision d = core.Process(PacketRef{nullptr, 100}, now);
    BOOST_REQUIRE(!d.copies.empty());
    const CopyDecision &copy = d.copies.front();
    if (copy.Delivered()) {
      BOOST_TEST(copy.deliverAt.count() >= previous.count());
      previous = copy.deliverAt;
    }
    now += Duration(100000);
  }
  BOOST_TEST(previous.count() == kNever.count());
}

BOOST_AUTO_TEST_SUITE_END()

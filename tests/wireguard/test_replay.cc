#include "wireguard/constants.h"
#include "wireguard/replay.h"

#include <boost/test/unit_test.hpp>

#include <random>
#include <set>

using namespace tunnelsim::wireguard;

BOOST_AUTO_TEST_SUITE(replay)

BOOST_AUTO_TEST_CASE(window_is_the_kernels) {
  BOOST_CHECK_EQUAL(ReplayFilter::kWindowSize, 8128u);
  BOOST_CHECK_EQUAL(ReplayFilter::kRingWords, 128u);
  BOOST_CHECK_EQUAL(Constants{}.rejectAfterMessages, UINT64_MAX - 8192u); // 2^64 - 2^13 - 1
}

BOOST_AUTO_TEST_CASE(duplicates_and_order) {
  ReplayFilter f(Constants{}.rejectAfterMessages);
  BOOST_CHECK(f.ValidateAndRecord(0));
  BOOST_CHECK(!f.ValidateAndRecord(0));
  BOOST_CHECK(f.ValidateAndRecord(2));
  BOOST_CHECK(f.ValidateAndRecord(1)); // late but inside the window
  BOOST_CHECK(!f.ValidateAndRecord(1));
  BOOST_CHECK(!f.ValidateAndRecord(2));
  for (uint64_t i = 3; i < 20000; ++i)
    BOOST_REQUIRE(f.ValidateAndRecord(i));
  for (uint64_t i = 0; i < 20000; ++i)
    BOOST_REQUIRE(!f.ValidateAndRecord(i));
}

BOOST_AUTO_TEST_CASE(window_boundary) {
  ReplayFilter f(Constants{}.rejectAfterMessages);
  const uint64_t top = 100000;
  BOOST_CHECK(f.ValidateAndRecord(top));
  // Exactly 8128 behind the greatest counter is still tracked; one more is too old.
  BOOST_CHECK(!f.ValidateAndRecord(top - ReplayFilter::kWindowSize - 1));
  BOOST_CHECK(f.ValidateAndRecord(top - ReplayFilter::kWindowSize));
  BOOST_CHECK(!f.ValidateAndRecord(top - ReplayFilter::kWindowSize));
  BOOST_CHECK(f.ValidateAndRecord(top - 1));
  // Advancing the top by one moves the lower edge by one.
  BOOST_CHECK(f.ValidateAndRecord(top + 1));
  BOOST_CHECK(!f.ValidateAndRecord(top - ReplayFilter::kWindowSize));
  BOOST_CHECK(f.ValidateAndRecord(top + 1 - ReplayFilter::kWindowSize));
}

BOOST_AUTO_TEST_CASE(far_jump_ahead_clears_the_ring) {
  ReplayFilter f(Constants{}.rejectAfterMessages);
  for (uint64_t i = 0; i < 8192; ++i)
    BOOST_REQUIRE(f.ValidateAndRecord(i));
  const uint64_t jump = 1000000;
  BOOST_CHECK(f.ValidateAndRecord(jump));
  // Every counter inside the new window that was not seen is accepted exactly once, even
  // those whose ring bits were set before the jump (same positions modulo 8192).
  for (uint64_t i = jump - ReplayFilter::kWindowSize; i < jump; ++i)
    BOOST_REQUIRE(f.ValidateAndRecord(i));
  for (uint64_t i = jump - ReplayFilter::kWindowSize; i <= jump; ++i)
    BOOST_REQUIRE(!f.ValidateAndRecord(i));
  BOOST_CHECK(!f.ValidateAndRecord(5)); // far behind
}

BOOST_AUTO_TEST_CASE(reject_after_messages_boundary) {
  const uint64_t limit = Constants{}.rejectAfterMessages;
  ReplayFilter f(limit);
  BOOST_CHECK(!f.ValidateAndRecord(limit));
  BOOST_CHECK(!f.ValidateAndRecord(UINT64_MAX));
  BOOST_CHECK(f.ValidateAndRecord(limit - 1));
  BOOST_CHECK(!f.ValidateAndRecord(limit - 1));
  BOOST_CHECK(f.ValidateAndRecord(limit - 2));
  BOOST_CHECK(!f.ValidateAndRecord(limit));

  // A small overridden limit behaves the same way.
  ReplayFilter small(10);
  for (uint64_t i = 0; i < 10; ++i)
    BOOST_CHECK(small.ValidateAndRecord(i));
  BOOST_CHECK(!small.ValidateAndRecord(10));
}

namespace {

// Drives `f` with a random mix of in-order, late and far-ahead counters and compares every
// verdict with a set-based model of a window of `window` counters.
void CheckAgainstReference(ReplayFilter &f, uint64_t window, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::set<uint64_t> seen;
  uint64_t greatest = 0;
  bool any = false;
  for (int i = 0; i < 200000; ++i) {
    uint64_t c;
    int r = static_cast<int>(gen() % 10);
    if (!any || r < 6)
      c = greatest + gen() % 64;
    else if (r < 9)
      c = greatest > window + 900 ? greatest - gen() % (window + 900) : gen() % (window + 900);
    else
      c = greatest + gen() % (2 * window + 64);
    bool expected = seen.count(c) == 0 && (!any || c + window >= greatest);
    BOOST_REQUIRE_EQUAL(f.ValidateAndRecord(c), expected);
    if (expected) {
      seen.insert(c);
      if (!any || c > greatest) greatest = c;
      any = true;
    }
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(random_against_reference) {
  ReplayFilter f(Constants{}.rejectAfterMessages);
  CheckAgainstReference(f, ReplayFilter::kWindowSize, 42);
}

// What-if windows (Constants::replayWindow) follow the same rules at their own size.
BOOST_AUTO_TEST_CASE(other_window_sizes_against_reference) {
  for (uint64_t window : {64u, 128u, 1024u, 65536u}) {
    BOOST_TEST_CONTEXT("window " << window) {
      ReplayFilter f(Constants{}.rejectAfterMessages, window);
      BOOST_CHECK_EQUAL(f.windowSize(), window);
      CheckAgainstReference(f, window, window);
      ReplayFilter edge(Constants{}.rejectAfterMessages, window);
      BOOST_CHECK(edge.ValidateAndRecord(10 * window));
      BOOST_CHECK(edge.ValidateAndRecord(9 * window));
      BOOST_CHECK(!edge.ValidateAndRecord(9 * window - 1));
    }
  }
}

BOOST_AUTO_TEST_CASE(unusable_window_sizes_are_rejected) {
  const uint64_t limit = Constants{}.rejectAfterMessages;
  BOOST_CHECK_THROW(ReplayFilter(limit, 0), std::invalid_argument);
  BOOST_CHECK_THROW(ReplayFilter(limit, 100), std::invalid_argument);
  BOOST_CHECK_THROW(ReplayFilter(limit, uint64_t{1} << 40), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

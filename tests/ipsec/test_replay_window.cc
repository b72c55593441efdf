// Anti-replay window against a reference model that states RFC 4303 section 3.4.3 directly.
#include <boost/test/unit_test.hpp>

#include "crypto/random.h"
#include "ipsec/replay_window.h"

#include <set>

using namespace tunnelsim::ipsec;

namespace {

// RFC 4303 3.4.3 literally: the right edge T is the highest authenticated number; a number
// is rejected when it is 0 or T - seq >= W (left of the window), or when it was already
// authenticated; W = 0 turns the check off.
class ReferenceWindow {
public:
  explicit ReferenceWindow(uint64_t w) : w_(w) {}
  ReplayCheck Check(uint64_t seq) const {
    if (w_ == 0) return ReplayCheck::Ok;
    if (seq == 0) return ReplayCheck::OutsideWindow;
    if (seq > t_) return ReplayCheck::Ok;
    if (t_ - seq >= w_) return ReplayCheck::OutsideWindow;
    return seen_.count(seq) ? ReplayCheck::Replay : ReplayCheck::Ok;
  }
  void Update(uint64_t seq) {
    seen_.insert(seq);
    if (seq > t_) t_ = seq;
  }

private:
  uint64_t w_;
  uint64_t t_ = 0;
  std::set<uint64_t> seen_;
};

void CompareOnRandomTraffic(uint32_t w, uint64_t seed, uint64_t start) {
  tunnelsim::crypto::DeterministicRandom rng(seed);
  ReplayWindow window(w);
  ReferenceWindow reference(w);
  uint64_t next = start;
  std::vector<uint64_t> history;
  const uint64_t span = w == 0 ? 64 : w;
  size_t accepted = 0, replays = 0, outside = 0;
  for (int i = 0; i < 60000; ++i) {
    uint64_t seq;
    uint64_t r = rng.Uniform(100);
    if (r < 55 || history.empty()) {
      seq = ++next;
    } else if (r < 70) {
      seq = history[history.size() - 1 - rng.Uniform(std::min<size_t>(history.size(), 8))];
    } else if (r < 90) {
      // Reordered: somewhere around the window's left edge, both sides of it.
      uint64_t back = rng.Uniform(span + span / 2 + 3);
      seq = next > back ? next - back : 1;
    } else if (r < 97) {
      next += 1 + rng.Uniform(3 * span);
      seq = next;
    } else {
      // Exactly at the edges: T - W + 1 (inside) and T - W (outside).
      uint64_t edge = rng.Uniform(2);
      seq = next >= span + edge ? next - span + 1 - edge : 1;
    }
    history.push_back(seq);
    // One in ten packets fails authentication: checked, never recorded.
    const bool authentic = rng.Uniform(10) != 0;
    ReplayCheck expected = reference.Check(seq);
    ReplayCheck actual = window.Check(seq);
    BOOST_REQUIRE_MESSAGE(actual == expected, "w=" << w << " step " << i << " seq " << seq
                                                   << " got " << int(actual) << " want "
                                                   << int(expected));
    if (expected == ReplayCheck::Ok && authentic) {
      window.Update(seq);
      reference.Update(seq);
      ++accepted;
    }
    replays += expected == ReplayCheck::Replay;
    outside += expected == ReplayCheck::OutsideWindow;
  }
  BOOST_TEST(accepted > 10000u);
  if (w != 0) {
    BOOST_TEST(replays > 1000u);
    BOOST_TEST(outside > 500u);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(replay_window)

BOOST_AUTO_TEST_CASE(matches_reference_model_for_every_window_size) {
  for (uint32_t w : {0u, 1u, 32u, 33u, 64u, 100u, 1024u, 4096u}) {
    CompareOnRandomTraffic(w, 1000 + w, 0);
    // And far from zero, near the 32-bit boundary (as the ESN case sees it).
    CompareOnRandomTraffic(w, 2000 + w, 0xFFFFFFFFull - 5000);
  }
}

BOOST_AUTO_TEST_CASE(window_edges) {
  for (uint32_t w : {32u, 64u, 1024u, 4096u}) {
    ReplayWindow window(w);
    const uint64_t t = 10000;
    window.Update(t);
    BOOST_TEST((window.Check(t) == ReplayCheck::Replay));
    BOOST_TEST((window.Check(t + 1) == ReplayCheck::Ok));
    BOOST_TEST((window.Check(t - w + 1) == ReplayCheck::Ok)); // leftmost inside
    BOOST_TEST((window.Check(t - w) == ReplayCheck::OutsideWindow));
    window.Update(t - w + 1);
    BOOST_TEST((window.Check(t - w + 1) == ReplayCheck::Replay));
    // Sliding by exactly one drops the leftmost number out of the window.
    window.Update(t + 1);
    BOOST_TEST((window.Check(t - w + 1) == ReplayCheck::OutsideWindow));
    BOOST_TEST((window.Check(t - w + 2) == ReplayCheck::Ok));
    // A jump of many windows clears everything: old numbers become "outside", never replay.
    window.Update(t + 100ull * w);
    BOOST_TEST((window.Check(t + 100ull * w - 1) == ReplayCheck::Ok));
    BOOST_TEST((window.Check(t + 1) == ReplayCheck::OutsideWindow));
    BOOST_TEST((window.Check(0) == ReplayCheck::OutsideWindow));
  }
  ReplayWindow off(0);
  off.Update(5);
  BOOST_TEST((off.Check(5) == ReplayCheck::Ok));
  BOOST_TEST((off.Check(1) == ReplayCheck::Ok));
  BOOST_CHECK_THROW(ReplayWindow(ReplayWindow::kMaxWindowSize + 1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(esn_inference_follows_rfc4303_appendix_a2) {
  const uint64_t w = 64;
  ReplayWindow window(w);
  // Case A, T inside subspace 0: a number below the window is taken as the next subspace.
  window.Update(1000);
  BOOST_TEST(window.InferEsn(1000 - w + 1) == 1000 - w + 1);
  BOOST_TEST(window.InferEsn(1000 - w) == (1ull << 32) + 1000 - w);
  BOOST_TEST(window.InferEsn(5000) == 5000u);
  // Case A near the top of the subspace.
  window.Update(0xFFFFFFF0ull);
  BOOST_TEST(window.InferEsn(0xFFFFFFFFu) == 0xFFFFFFFFull);
  BOOST_TEST(window.InferEsn(3) == (1ull << 32) + 3);
  // Case B: T just past the boundary, the window reaches back into subspace 0.
  window.Update((1ull << 32) + 10);
  BOOST_TEST(window.InferEsn(0xFFFFFFF0u) == 0xFFFFFFF0ull);
  BOOST_TEST(window.InferEsn(5) == (1ull << 32) + 5);
  BOOST_TEST(window.InferEsn(20) == (1ull << 32) + 20);
  // Window off: guesses with half the number space.
  ReplayWindow off(0);
  off.Update(0xF0000000ull);
  BOOST_TEST(off.InferEsn(0x10) == (1ull << 32) + 0x10);
  BOOST_TEST(off.InferEsn(0xE0000000u) == 0xE0000000ull);
}

BOOST_AUTO_TEST_SUITE_END()

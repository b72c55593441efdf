// The one SplitMix64 every derived seed goes through: reference outputs (the published
// splitmix64.c sequence), the generator and stateless forms agreeing, and FoldSeed being the
// mix-xor chain the ns-3 hosts wrote out by hand before it was shared.
#include "common/seed_mix.h"

#include <boost/test/unit_test.hpp>

using tunnelsim::FoldSeed;
using tunnelsim::SplitMix64;
using tunnelsim::SplitMix64Next;

BOOST_AUTO_TEST_SUITE(seed_mix)

BOOST_AUTO_TEST_CASE(generator_matches_the_reference_sequence) {
  uint64_t state = 1234567;
  BOOST_TEST(SplitMix64Next(state) == 6457827717110365317ULL);
  BOOST_TEST(SplitMix64Next(state) == 3203168211198807973ULL);
  BOOST_TEST(SplitMix64Next(state) == 9817491932198370423ULL);
  BOOST_TEST(SplitMix64(0) == 0xe220a8397b1dcdafULL);
}

BOOST_AUTO_TEST_CASE(stateless_form_is_the_generators_next_output) {
  for (uint64_t x : {0ULL, 1ULL, 42ULL, ~0ULL}) {
    uint64_t state = x;
    BOOST_TEST(SplitMix64Next(state) == SplitMix64(x));
    BOOST_TEST(state == x + tunnelsim::kSplitMixIncrement);
  }
}

BOOST_AUTO_TEST_CASE(fold_seed_is_the_mix_xor_chain) {
  BOOST_TEST(FoldSeed(7) == SplitMix64(7));
  BOOST_TEST(FoldSeed(7, 1, 2) == SplitMix64(SplitMix64(SplitMix64(7) ^ 1) ^ 2));
  BOOST_TEST(FoldSeed(7, 1, 2) == 0x16e639e2c7aae6e3ULL);
  // Order matters: (node, stream) and (stream, node) are different streams.
  BOOST_TEST(FoldSeed(1, 2, 3) != FoldSeed(1, 3, 2));
  static_assert(FoldSeed(1, 2) == SplitMix64(SplitMix64(1) ^ 2), "usable at compile time");
}

BOOST_AUTO_TEST_SUITE_END()

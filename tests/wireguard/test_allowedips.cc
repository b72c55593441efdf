#include "wireguard/allowedips.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <vector>

using namespace tunnelsim;
using namespace tunnelsim::wireguard;

namespace {

struct Entry {
  IpPrefix prefix;
  int *owner;
};

// The obvious O(n) longest-prefix match over distinct prefixes.
int *NaiveLookup(const std::vector<Entry> &entries, const IpAddress &a) {
  int *best = nullptr;
  int bestLength = -1;
  for (const Entry &e : entries) {
    if (e.prefix.address.family() != a.family() || !e.prefix.Contains(a)) continue;
    if (static_cast<int>(e.prefix.length) > bestLength) {
      best = e.owner;
      bestLength = static_cast<int>(e.prefix.length);
    }
  }
  return best;
}

IpAddress RandomAddress(std::mt19937_64 &gen, bool v6) {
  uint8_t bytes[16];
  for (auto &b : bytes)
    b = static_cast<uint8_t>(gen());
  // Concentrate on a few top-level ranges so prefixes nest and overlap.
  bytes[0] = static_cast<uint8_t>(bytes[0] % 4);
  return v6 ? IpAddress::V6(bytes) : IpAddress::V4(bytes);
}

IpPrefix RandomPrefix(std::mt19937_64 &gen, bool v6) {
  IpPrefix p;
  unsigned bits = v6 ? 128 : 32;
  p.length = static_cast<unsigned>(gen() % (bits + 1));
  p.address = RandomAddress(gen, v6).Masked(p.length);
  return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(allowedips)

BOOST_AUTO_TEST_CASE(basic_longest_prefix) {
  int a = 0, b = 0, c = 0;
  AllowedIps<int> t;
  t.Insert(*IpPrefix::Parse("10.0.0.0/8"), &a);
  t.Insert(*IpPrefix::Parse("10.1.0.0/16"), &b);
  t.Insert(*IpPrefix::Parse("0.0.0.0/0"), &c);
  t.Insert(*IpPrefix::Parse("2001:db8::/32"), &b);
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("10.1.2.3")) == &b);
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("10.2.2.3")) == &a);
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("192.0.2.1")) == &c);
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("2001:db8::1")) == &b);
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("2001:db9::1")) == nullptr); // v4 default not v6
  t.Insert(*IpPrefix::Parse("10.1.0.0/16"), &c);                      // takes over
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("10.1.2.3")) == &c);
  BOOST_CHECK(t.Remove(*IpPrefix::Parse("10.1.0.0/16")));
  BOOST_CHECK(!t.Remove(*IpPrefix::Parse("10.1.0.0/16")));
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("10.1.2.3")) == &a);
  t.RemoveOwner(&a);
  BOOST_CHECK(t.Lookup(*IpAddress::Parse("10.1.2.3")) == &c);
  BOOST_CHECK_EQUAL(t.size(), 2u);
  auto prefixes = t.PrefixesOf(&b);
  BOOST_REQUIRE_EQUAL(prefixes.size(), 1u);
  BOOST_CHECK_EQUAL(prefixes[0].ToString(), "2001:db8::/32");
}

BOOST_AUTO_TEST_CASE(random_against_naive_reference) {
  for (bool v6 : {false, true}) {
    std::mt19937_64 gen(v6 ? 7 : 5);
    std::vector<int> owners(50);
    std::vector<Entry> entries;
    AllowedIps<int> trie;
    for (int i = 0; i < 3000; ++i) {
      IpPrefix p = RandomPrefix(gen, v6);
      int *owner = &owners[gen() % owners.size()];
      trie.Insert(p, owner);
      // Re-inserting a prefix hands it to the new owner, as in the trie.
      entries.erase(std::remove_if(entries.begin(), entries.end(),
                                   [&p](const Entry &e) { return e.prefix == p; }),
                    entries.end());
      entries.push_back(Entry{p, owner});
    }
    auto check = [&](int lookups) {
      for (int i = 0; i < lookups; ++i) {
        IpAddress a = RandomAddress(gen, v6);
        if (i % 3 == 0) { // an address inside a known prefix, to hit deep matches
          const Entry &e = entries[gen() % entries.size()];
          uint8_t bytes[16];
          std::copy(a.data(), a.data() + a.size(), bytes);
          for (unsigned bit = 0; bit < e.prefix.length; ++bit) {
            uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
            bytes[bit / 8] = static_cast<uint8_t>(
                e.prefix.address.Bit(bit) ? bytes[bit / 8] | mask : bytes[bit / 8] & ~mask);
          }
          a = v6 ? IpAddress::V6(bytes) : IpAddress::V4(bytes);
        }
        BOOST_REQUIRE_MESSAGE(trie.Lookup(a) == NaiveLookup(entries, a), a.ToString());
      }
    };
    check(5000);
    // Remove a few owners entirely, then compare again.
    for (int k = 0; k < 10; ++k) {
      int *gone = &owners[gen() % owners.size()];
      trie.RemoveOwner(gone);
      entries.erase(std::remove_if(entries.begin(), entries.end(),
                                   [gone](const Entry &e) { return e.owner == gone; }),
                    entries.end());
    }
    check(3000);
    // The trie's prefix listing agrees with the reference's distinct prefixes per owner.
    for (int &o : owners) {
      size_t expected = 0;
      for (const Entry &e : entries)
        expected += e.owner == &o;
      BOOST_REQUIRE_EQUAL(trie.PrefixesOf(&o).size(), expected);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

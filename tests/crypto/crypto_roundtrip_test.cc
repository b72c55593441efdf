// Round trips, tamper detection, secret wiping and the deterministic random source.
#include <boost/test/unit_test.hpp>

#include "crypto/aead.h"
#include "crypto/bytes.h"
#include "crypto/random.h"
#include "crypto/x25519.h"

#include <new>
#include <set>

using namespace tunnelsim::crypto;

namespace {

const AeadAlgorithm kAlgorithms[] = {AeadAlgorithm::ChaCha20Poly1305,
                                     AeadAlgorithm::XChaCha20Poly1305, AeadAlgorithm::Aes256Gcm};

struct Sealed {
  AeadKey key;
  Bytes nonce, plaintext, aad, ciphertext;
};

Sealed SealRandom(AeadAlgorithm algorithm, RandomSource& rng, size_t length) {
  Sealed s;
  rng.Fill(s.key.data(), s.key.size());
  s.nonce.resize(AeadNonceSize(algorithm));
  rng.Fill(s.nonce.data(), s.nonce.size());
  s.plaintext.resize(length);
  rng.Fill(s.plaintext.data(), length);
  s.aad = {1, 2, 3, 4, 5, 6, 7, 8};
  s.ciphertext = AeadSeal(algorithm, s.key, s.nonce, s.plaintext, s.aad);
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(aead_roundtrip)

BOOST_AUTO_TEST_CASE(every_algorithm_round_trips_and_detects_tampering) {
  DeterministicRandom rng(42);
  for (AeadAlgorithm algorithm : kAlgorithms) {
    if (!AeadAvailable(algorithm)) {
      BOOST_TEST_MESSAGE(AeadName(algorithm) << " skipped: not supported on this CPU");
      continue;
    }
    BOOST_TEST_CONTEXT(AeadName(algorithm)) {
      for (size_t length : {0, 1, 15, 16, 17, 64, 1420, 9000}) {
        Sealed s = SealRandom(algorithm, rng, length);
        BOOST_TEST(s.ciphertext.size() == length + kAeadTagSize);
        auto opened = AeadOpen(algorithm, s.key, s.nonce, s.ciphertext, s.aad);
        BOOST_REQUIRE(opened);
        BOOST_TEST(*opened == s.plaintext);

        // One flipped bit in ciphertext (or tag), nonce, AD or key must fail to open.
        for (size_t bit = 0; bit < s.ciphertext.size() * 8; bit += 1 + s.ciphertext.size()) {
          Bytes c = s.ciphertext;
          c[bit / 8] ^= uint8_t(1 << (bit % 8));
          BOOST_TEST(!AeadOpen(algorithm, s.key, s.nonce, c, s.aad));
        }
        Bytes tagTampered = s.ciphertext;
        tagTampered.back() ^= 0x80;
        BOOST_TEST(!AeadOpen(algorithm, s.key, s.nonce, tagTampered, s.aad));
        Bytes nonce = s.nonce;
        nonce[0] ^= 1;
        BOOST_TEST(!AeadOpen(algorithm, s.key, nonce, s.ciphertext, s.aad));
        Bytes aad = s.aad;
        aad[3] ^= 4;
        BOOST_TEST(!AeadOpen(algorithm, s.key, s.nonce, s.ciphertext, aad));
        AeadKey key = s.key;
        key.data()[31] ^= 1;
        BOOST_TEST(!AeadOpen(algorithm, key, s.nonce, s.ciphertext, s.aad));
      }
      // Shorter than a tag: rejected, not read out of bounds.
      AeadKey key;
      Bytes nonce(AeadNonceSize(algorithm));
      BOOST_TEST(!AeadOpen(algorithm, key, nonce, Bytes(15), {}));
    }
  }
}

BOOST_AUTO_TEST_CASE(in_place_seal_and_open) {
  DeterministicRandom rng(1);
  Sealed s = SealRandom(AeadAlgorithm::ChaCha20Poly1305, rng, 100);
  Bytes buffer = s.plaintext;
  buffer.resize(buffer.size() + kAeadTagSize);
  AeadSealInto(AeadAlgorithm::ChaCha20Poly1305, s.key, s.nonce, ByteView(buffer.data(), 100),
               s.aad, buffer.data());
  BOOST_TEST(buffer == s.ciphertext);
  BOOST_TEST(AeadOpenInto(AeadAlgorithm::ChaCha20Poly1305, s.key, s.nonce, buffer, s.aad,
                          buffer.data()));
  buffer.resize(100);
  BOOST_TEST(buffer == s.plaintext);
}

BOOST_AUTO_TEST_CASE(wrong_nonce_length_is_an_error) {
  AeadKey key;
  BOOST_CHECK_THROW(AeadSeal(AeadAlgorithm::ChaCha20Poly1305, key, Bytes(24), {}, {}),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(secret_is_wiped_on_destruction_and_on_request) {
  alignas(Secret<32>) unsigned char storage[sizeof(Secret<32>)];
  auto* secret = new (storage) Secret<32>(ArrayFromHex<32>(std::string(64, 'a')));
  BOOST_TEST(!secret->IsZero());
  secret->~Secret<32>();
  for (unsigned char b : storage) BOOST_TEST(b == 0);

  Secret<32> s(ArrayFromHex<32>(std::string(64, '5')));
  s.Wipe();
  BOOST_TEST(s.IsZero());
}

BOOST_AUTO_TEST_CASE(constant_time_compare) {
  Bytes a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4}, d = {1, 2};
  BOOST_TEST(ConstantTimeEqual(a, b));
  BOOST_TEST(!ConstantTimeEqual(a, c));
  BOOST_TEST(!ConstantTimeEqual(a, d));
}

BOOST_AUTO_TEST_CASE(hex_and_base64) {
  BOOST_TEST(ToHex(FromHex("00ff10Ab")) == "00ff10ab");
  BOOST_CHECK_THROW(FromHex("abc"), std::invalid_argument);
  BOOST_CHECK_THROW(FromHex("zz"), std::invalid_argument);
  Bytes key = FromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  BOOST_TEST(ToBase64(key) == "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");
  BOOST_TEST(FromBase64(ToBase64(key)) == key);
  BOOST_CHECK_THROW(FromBase64("not base64!"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(random_source)

BOOST_AUTO_TEST_CASE(deterministic_random_is_reproducible_and_seed_dependent) {
  DeterministicRandom a(123), b(123), c(124);
  Bytes x(200), y(200), z(200);
  // Different chunkings of the same stream give the same bytes.
  a.Fill(x.data(), 200);
  b.Fill(y.data(), 7);
  b.Fill(y.data() + 7, 193);
  c.Fill(z.data(), 200);
  BOOST_TEST(x == y);
  BOOST_TEST(x != z);
}

BOOST_AUTO_TEST_CASE(uniform_stays_in_range_and_covers_it) {
  DeterministicRandom rng(5);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = rng.Uniform(10);
    BOOST_TEST(v < 10u);
    seen.insert(v);
  }
  BOOST_TEST(seen.size() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()

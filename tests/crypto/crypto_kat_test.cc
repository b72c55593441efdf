// Known-answer tests from the standards' own vectors: each would fail on a wrong wrapper.
#define BOOST_TEST_MODULE crypto
#include <boost/test/unit_test.hpp>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/hmac_sha256.h"
#include "crypto/tai64n.h"
#include "crypto/x25519.h"

#include <string>

using namespace tunnelsim::crypto;

namespace {

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

X25519PrivateKey PrivateFromHex(const std::string& hex) {
  return X25519PrivateKey(ArrayFromHex<32>(hex));
}

AeadKey KeyFromHex(const std::string& hex) { return AeadKey(ArrayFromHex<32>(hex)); }

const std::string kSunscreen = "Ladies and Gentlemen of the class of '99: If I could offer you "
                               "only one tip for the future, sunscreen would be it.";

} // namespace

BOOST_AUTO_TEST_SUITE(x25519)

// RFC 7748 section 5.2: the two single scalar multiplications (scalars are unclamped there).
BOOST_AUTO_TEST_CASE(rfc7748_section_5_2) {
  auto r1 = X25519(PrivateFromHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                   ArrayFromHex<32>("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  BOOST_REQUIRE(r1);
  BOOST_TEST(ToHex(*r1) == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  auto r2 = X25519(PrivateFromHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                   ArrayFromHex<32>("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"));
  BOOST_REQUIRE(r2);
  BOOST_TEST(ToHex(*r2) == "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

// RFC 7748 section 6.1: Alice and Bob's key pairs and their shared secret.
BOOST_AUTO_TEST_CASE(rfc7748_section_6_1_diffie_hellman) {
  auto alice = X25519KeyPairFromPrivate(
      PrivateFromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = X25519KeyPairFromPrivate(
      PrivateFromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  BOOST_TEST(ToHex(alice.publicKey) ==
             "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  BOOST_TEST(ToHex(bob.publicKey) ==
             "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto ab = X25519(alice.privateKey, bob.publicKey);
  auto ba = X25519(bob.privateKey, alice.publicKey);
  BOOST_REQUIRE(ab && ba);
  BOOST_TEST(ToHex(*ab) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  BOOST_TEST(ToHex(*ba) == ToHex(*ab));
}

BOOST_AUTO_TEST_CASE(low_order_point_is_rejected) {
  X25519PublicKey zero{};
  auto r = X25519(PrivateFromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
                  zero);
  BOOST_TEST(!r.has_value());
}

BOOST_AUTO_TEST_CASE(clamping_and_operation_count) {
  DeterministicRandom rng(7);
  const uint64_t before = X25519OperationCount();
  auto pair = GenerateX25519KeyPair(rng);
  BOOST_TEST((pair.privateKey.data()[0] & 7) == 0);
  BOOST_TEST((pair.privateKey.data()[31] & 0x80) == 0);
  BOOST_TEST((pair.privateKey.data()[31] & 0x40) == 0x40);
  BOOST_TEST(X25519OperationCount() == before + 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(aead)

// RFC 8439 section 2.8.2.
BOOST_AUTO_TEST_CASE(rfc8439_chacha20_poly1305) {
  auto key = KeyFromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  Bytes nonce = FromHex("070000004041424344454647");
  Bytes aad = FromHex("50515253c0c1c2c3c4c5c6c7");
  Bytes sealed = AeadSeal(AeadAlgorithm::ChaCha20Poly1305, key, nonce, Text(kSunscreen), aad);
  BOOST_TEST(ToHex(sealed) ==
             "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fa"
             "fb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4"
             "fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
             "1ae10b594f09e26a7e902ecbd0600691");
  auto opened = AeadOpen(AeadAlgorithm::ChaCha20Poly1305, key, nonce, sealed, aad);
  BOOST_REQUIRE(opened);
  BOOST_TEST(std::string(opened->begin(), opened->end()) == kSunscreen);
}

// draft-irtf-cfrg-xchacha section A.3.1.
BOOST_AUTO_TEST_CASE(xchacha20_poly1305_draft_example) {
  auto key = KeyFromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  Bytes nonce = FromHex("404142434445464748494a4b4c4d4e4f5051525354555657");
  Bytes aad = FromHex("50515253c0c1c2c3c4c5c6c7");
  Bytes sealed = AeadSeal(AeadAlgorithm::XChaCha20Poly1305, key, nonce, Text(kSunscreen), aad);
  BOOST_TEST(ToHex(sealed) ==
             "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3"
             "a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2b"
             "c369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
             "c0875924c1c7987947deafd8780acf49");
}

// The GCM specification's test case 16 (AES-256, 60-byte plaintext, 20-byte AAD).
BOOST_AUTO_TEST_CASE(aes256_gcm_spec_test_case_16) {
  if (!AeadAvailable(AeadAlgorithm::Aes256Gcm)) {
    BOOST_TEST_MESSAGE("AES-256-GCM skipped: this CPU lacks AES-NI/CLMUL, libsodium has no "
                       "portable AES-GCM");
    return;
  }
  auto key = KeyFromHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  Bytes nonce = FromHex("cafebabefacedbaddecaf888");
  Bytes plaintext =
      FromHex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532f"
              "cf0e2449a6b525b16aedf5aa0de657ba637b39");
  Bytes aad = FromHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  Bytes sealed = AeadSeal(AeadAlgorithm::Aes256Gcm, key, nonce, plaintext, aad);
  BOOST_TEST(ToHex(sealed) ==
             "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b0"
             "8b1056828838c5f61e6393ba7a0abcc9f662"
             "76fc6ece0f4e1768cddf8853bb2d551b");
}

BOOST_AUTO_TEST_CASE(counter_nonce_layout) {
  BOOST_TEST(ToHex(CounterNonce(0x0102030405060708ull)) == "000000000807060504030201");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(blake2s)

// RFC 7693 Appendix B.
BOOST_AUTO_TEST_CASE(rfc7693_abc) {
  BOOST_TEST(ToHex(Blake2s256({Text("abc")})) ==
             "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  // Split input hashes like the concatenation.
  BOOST_TEST(ToHex(Blake2s256({Text("a"), Text("bc")})) == ToHex(Blake2s256({Text("abc")})));
}

// RFC 7693 Appendix E's self-test: every digest length and input length, keyed and unkeyed,
// hashed together into one 32-byte "grand hash".
BOOST_AUTO_TEST_CASE(rfc7693_self_test_grand_hash) {
  auto sequence = [](size_t length) {
    uint32_t a = 0xDEAD4BADu * uint32_t(length), b = 1;
    Bytes out(length);
    for (size_t i = 0; i < length; ++i) {
      uint32_t t = a + b;
      a = b;
      b = t;
      out[i] = uint8_t(t >> 24);
    }
    return out;
  };
  Bytes all;
  for (size_t outLength : {16, 20, 28, 32}) {
    for (size_t inLength : {0, 3, 64, 65, 255, 1024}) {
      Bytes input = sequence(inLength);
      Bytes unkeyed = Blake2s(outLength, {}, input);
      Bytes keyed = Blake2s(outLength, sequence(outLength), input);
      all.insert(all.end(), unkeyed.begin(), unkeyed.end());
      all.insert(all.end(), keyed.begin(), keyed.end());
    }
  }
  BOOST_TEST(ToHex(Blake2s256({all})) ==
             "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

// Keyed BLAKE2s-256 from the BLAKE2 reference known answers (key 00..1f).
BOOST_AUTO_TEST_CASE(keyed_blake2s_reference_answers) {
  Bytes key = FromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  BOOST_TEST(ToHex(Blake2s(32, key, {})) ==
             "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
  BOOST_TEST(ToHex(Blake2s(32, key, FromHex("00"))) ==
             "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
  // The 16-byte MAC WireGuard uses is the same function with a 16-byte digest.
  Mac16 mac = Blake2sMac128(key, FromHex("00"));
  BOOST_TEST(ToHex(mac) == ToHex(Blake2s(16, key, FromHex("00"))));
}

// HMAC-BLAKE2s answers computed independently with Python's hmac + hashlib.blake2s.
BOOST_AUTO_TEST_CASE(hmac_blake2s_independent_answers) {
  BOOST_TEST(ToHex(HmacBlake2s(Text("key"), Text("The quick brown fox jumps over the lazy dog"))) ==
             "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0");
  Bytes longKey(100);
  for (size_t i = 0; i < longKey.size(); ++i) longKey[i] = uint8_t(i);
  BOOST_TEST(ToHex(HmacBlake2s(longKey, Text("data"))) ==
             "2624e61dfe9fcc84d3137a317c171ced634ef3fcd2fa3f5515940906f4e38c48");
}

BOOST_AUTO_TEST_CASE(kdf_chain_matches_its_definition) {
  Bytes key = Text("chaining key"), input = Text("input key material");
  Secret<32> t1, t2, t3;
  Kdf3(key, input, t1, t2, t3);
  Secret<32> prk = HmacBlake2s(key, input);
  Bytes one = {1};
  Secret<32> e1 = HmacBlake2s(prk, one);
  Bytes second(e1.view().begin(), e1.view().end());
  second.push_back(2);
  Secret<32> e2 = HmacBlake2s(prk, second);
  Bytes third(e2.view().begin(), e2.view().end());
  third.push_back(3);
  BOOST_TEST(ToHex(t1) == ToHex(e1));
  BOOST_TEST(ToHex(t2) == ToHex(e2));
  BOOST_TEST(ToHex(t3) == ToHex(HmacBlake2s(prk, third)));
  Secret<32> k1, k2;
  Kdf2(key, input, k1, k2);
  BOOST_TEST((k1 == t1 && k2 == t2));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hmac_sha256)

// RFC 4231 test cases 1, 2, 6 and 7.
BOOST_AUTO_TEST_CASE(rfc4231) {
  BOOST_TEST(ToHex(HmacSha256(Bytes(20, 0x0b), Text("Hi There"))) ==
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  BOOST_TEST(ToHex(HmacSha256(Text("Jefe"), Text("what do ya want for nothing?"))) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  BOOST_TEST(ToHex(HmacSha256(Bytes(131, 0xaa),
                              Text("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  BOOST_TEST(ToHex(HmacSha256(
                 Bytes(131, 0xaa),
                 Text("This is a test using a larger than block-size key and a larger than "
                      "block-size data. The key needs to be hashed before being used by the HMAC "
                      "algorithm."))) ==
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// prf+ answer computed independently with Python's hmac (RFC 7296 section 2.13 definition).
BOOST_AUTO_TEST_CASE(ikev2_prf_plus) {
  Bytes out = PrfPlusSha256(Bytes(32, 'K'), Text("seed-nonces"), 100);
  BOOST_TEST(ToHex(out) ==
             "9f5564539da5368b7a1f9bbf644755b67f431fbde3d0f3439884c1bd6e82dbd3c72f14e7a8a5c0d909"
             "88b64940c042dc0435113eca2e2da5acc3873f46421dc860285799a1089c38c68ce31ecbd8f9c84a5b"
             "03c6ec59d4123a9febfdf6394fb7da1c83ff");
  BOOST_CHECK_THROW(PrfPlusSha256(Bytes(32, 'K'), {}, 255 * 32 + 1), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tai64n)

BOOST_AUTO_TEST_CASE(encoding_and_order) {
  // 2^62 + 1 s, 2 ns: label 4000000000000001, nanoseconds 00000002.
  BOOST_TEST(ToHex(Tai64nFromUnix(1, 2)) == "400000000000000100000002");
  BOOST_TEST(ToHex(Tai64nFromUnixNanos(1'500'000'123ull)) == "40000000000000011dcd657b");
  BOOST_TEST(Tai64nAfter(Tai64nFromUnix(5, 0), Tai64nFromUnix(4, 999999999)));
  BOOST_TEST(!Tai64nAfter(Tai64nFromUnix(5, 0), Tai64nFromUnix(5, 0)));
  BOOST_TEST(Tai64nAfter(Tai64nFromUnix(1ull << 33, 0), Tai64nFromUnix(255, 0)));
}

BOOST_AUTO_TEST_SUITE_END()

// ESP SAs leave no keying material behind when they are removed from (or replaced in) the SAD.
// The WireGuard core's equivalent (keypairs wiped at expiry) is tests/wireguard/test_timers.cc
// keys_zeroed_after_three_reject_after_times.
//
// This binary replaces the global operator new/delete so that, while a watch is on, every block
// freed is searched for the test's ESP key before it goes back to malloc: an SA (or a copy of
// its configuration) freed without wiping is caught, which reading freed memory never could.
#define BOOST_TEST_MODULE hygiene_esp_sa_wipe
#include "ipsec/esp_sad.h"

#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

std::atomic<bool> g_watch{false};
std::array<uint8_t, 32> g_key;
std::atomic<uint64_t> g_unwipedFrees{0};

void Inspect(void *block) {
  if (!block || !g_watch.load(std::memory_order_relaxed)) return;
  const size_t size = malloc_usable_size(block);
  // Half the key is enough to recognise it and still catches a partial wipe.
  if (size >= 16 && memmem(block, size, g_key.data(), 16) != nullptr) ++g_unwipedFrees;
}

} // namespace

void *operator new(size_t size) {
  if (void *block = std::malloc(size ? size : 1)) return block;
  throw std::bad_alloc();
}
void operator delete(void *block) noexcept {
  Inspect(block);
  std::free(block);
}
void operator delete(void *block, size_t) noexcept {
  Inspect(block);
  std::free(block);
}

namespace ipsec = tunnelsim::ipsec;

namespace {

ipsec::EspSaConfig TestConfig(uint32_t spi, ipsec::EspCipher cipher) {
  for (size_t i = 0; i < g_key.size(); ++i)
    g_key[i] = static_cast<uint8_t>(0xa5 ^ (i * 37 + 11));
  ipsec::EspSaConfig config;
  config.spi = spi;
  config.cipher = cipher;
  config.mode = ipsec::EspMode::Transport;
  config.keymat.assign(g_key.begin(), g_key.end());
  config.keymat.insert(config.keymat.end(), {0x5a, 0x17, 0xc0, 0xde});
  config.source = *tunnelsim::IpAddress::Parse("192.0.2.1");
  config.destination = *tunnelsim::IpAddress::Parse("192.0.2.2");
  return config;
}

void Forget(ipsec::EspSaConfig &config) {
  tunnelsim::crypto::SecureWipe(config.keymat.data(), config.keymat.size());
}

} // namespace

BOOST_AUTO_TEST_CASE(the_watch_catches_a_key_freed_without_wiping) {
  ipsec::EspSaConfig config = TestConfig(0x1000, ipsec::EspCipher::ChaCha20Poly1305);
  g_unwipedFrees = 0;
  g_watch = true;
  {
    tunnelsim::crypto::Bytes copy = config.keymat; // freed unwiped at the end of the scope
  }
  g_watch = false;
  BOOST_TEST(g_unwipedFrees.load() == 1u);
  Forget(config);
}

BOOST_AUTO_TEST_CASE(removed_and_replaced_esp_sas_leave_no_key_in_freed_memory) {
  for (ipsec::EspCipher cipher :
       {ipsec::EspCipher::ChaCha20Poly1305, ipsec::EspCipher::Aes256Gcm16}) {
    if (!ipsec::EspCipherAvailable(cipher)) continue;
    ipsec::EspSaConfig config = TestConfig(0x2000, cipher);
    g_unwipedFrees = 0;
    g_watch = true;
    {
      ipsec::EspSad sender, receiver;
      sender.AddOutbound(config);
      receiver.AddInbound(config);
      const uint8_t payload[40] = {1, 2, 3};
      ipsec::EspProtectResult sealed =
          sender.Protect(tunnelsim::crypto::ByteView(payload, sizeof payload), 47, config.source,
                         config.destination);
      BOOST_REQUIRE(sealed.status == ipsec::EspStatus::Ok);
      BOOST_REQUIRE(receiver.Process(sealed.packet).status == ipsec::EspStatus::Ok);
      // Replacing an SA with the same SPI destroys the old one; removal the new one.
      receiver.AddInbound(config);
      BOOST_TEST(receiver.RemoveInbound(config.spi));
      BOOST_TEST(sender.RemoveOutbound(config.spi));
      BOOST_TEST(receiver.inboundCount() == 0u);
      BOOST_TEST(sender.outboundCount() == 0u);
    }
    g_watch = false;
    BOOST_TEST_MESSAGE(ipsec::EspCipherName(cipher)
                       << ": " << g_unwipedFrees.load() << " freed blocks held the key");
    BOOST_TEST(g_unwipedFrees.load() == 0u);
    Forget(config);
  }
}

BOOST_AUTO_TEST_CASE(a_destroyed_esp_sa_object_holds_neither_key_nor_salt) {
  ipsec::EspSaConfig config = TestConfig(0x3000, ipsec::EspCipher::ChaCha20Poly1305);
  alignas(ipsec::EspSa) unsigned char storage[sizeof(ipsec::EspSa)];
  auto *sa = new (storage) ipsec::EspSa(config);
  const uint8_t salt[4] = {0x5a, 0x17, 0xc0, 0xde};
  // While alive, the object itself holds the key and salt (so the check below can see them).
  BOOST_TEST(memmem(storage, sizeof storage, g_key.data(), g_key.size()) != nullptr);
  BOOST_TEST(memmem(storage, sizeof storage, salt, sizeof salt) != nullptr);
  sa->~EspSa();
  BOOST_TEST(memmem(storage, sizeof storage, g_key.data(), 16) == nullptr);
  BOOST_TEST(memmem(storage, sizeof storage, salt, sizeof salt) == nullptr);
  Forget(config);
}

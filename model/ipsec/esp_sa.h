// One ESP security association (RFC 4303) with a combined-mode cipher: AES-256-GCM with a
// 16-byte ICV (RFC 4106) or ChaCha20-Poly1305 (RFC 7634). Both use a 4-byte salt taken from
// the end of the keying material, an 8-byte explicit IV, nonce = salt || IV, and
// AAD = SPI || sequence number (SPI || ESN high || ESN low with Extended Sequence Numbers).
//
// Packet layout (what follows the outer IP header, protocol 50):
//   SPI(4) | Seq low(4) | IV(8) | E[ payload | padding 1,2,3.. | pad length | next header ] |
//   ICV(16)
#pragma once

#include "common/ip_address.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "ipsec/replay_window.h"
#include "tunnel/spec.h"

#include <cstdint>
#include <optional>
#include <string>

namespace tunnelsim::ipsec {

enum class EspCipher { Aes256Gcm16, ChaCha20Poly1305 };
enum class EspMode { Transport, Tunnel };
// RFC 4106 section 3.1 leaves IV generation to the sender as long as IVs never repeat under a
// key; a counter (here the 64-bit sequence number, as Linux's seqiv does) needs no randomness.
enum class EspIvPolicy { SequenceNumber, Random };

constexpr size_t kEspKeySize = 32;
constexpr size_t kEspSaltSize = 4;
constexpr size_t kEspKeymatSize = kEspKeySize + kEspSaltSize;
constexpr size_t kEspHeaderSize = 8;
constexpr size_t kEspIvSize = 8;
constexpr size_t kEspIcvSize = 16;
constexpr uint8_t kEspNextHeaderIpv4 = 4;
constexpr uint8_t kEspNextHeaderIpv6 = 41;
constexpr uint8_t kEspNextHeaderGre = 47;
constexpr uint8_t kEspNextHeaderNone = 59; // dummy packet (RFC 4303 section 2.6)

crypto::AeadAlgorithm AeadFor(EspCipher cipher);
const char *EspCipherName(EspCipher cipher);
bool EspCipherAvailable(EspCipher cipher);

// Soft limits ask for a rekey, hard limits end the SA's use. 0 = no limit.
struct EspLifetime {
  uint64_t softBytes = 0;
  uint64_t hardBytes = 0;
  uint64_t softPackets = 0;
  uint64_t hardPackets = 0;
};

struct EspSaConfig {
  uint32_t spi = 0;
  EspCipher cipher = EspCipher::Aes256Gcm16;
  crypto::Bytes keymat; // kEspKeymatSize bytes: key, then salt
  EspMode mode = EspMode::Tunnel;
  bool esn = false;
  // Inbound only; 0 = anti-replay off. The default is the scenario's (tunnel.ipsec.replay_window).
  uint32_t replayWindow = tunnel::IpsecSpec{}.replayWindow;
  EspIvPolicy ivPolicy = EspIvPolicy::SequenceNumber;
  // Outer addresses of the SA (sender, receiver): for key export and the adapter's outer header.
  IpAddress source;
  IpAddress destination;
  // Traffic selectors for outbound selection: packets from localSelector to remoteSelector.
  std::optional<IpPrefix> localSelector;
  std::optional<IpPrefix> remoteSelector;
  EspLifetime lifetime;
  // Sequence number last sent (outbound): the next packet carries this + 1. Tests use it to
  // start near 2^32.
  uint64_t initialSequence = 0;
};

enum class EspStatus {
  Ok,
  NoSa,             // no SA for the SPI (inbound) or the selectors (outbound)
  Replay,           // duplicate inside the window
  OutsideWindow,    // older than the window
  IcvFailure,       // authentication failed
  Malformed,        // too short, bad padding, bad trailer or inner packet
  SequenceOverflow, // the sender's counter would cycle (RFC 4303 3.3.3): rekey needed
  HardLifetime,     // the SA reached its hard byte/packet lifetime
  Dummy,            // next header 59: authenticated and discarded (RFC 4303 2.6)
};
const char *EspStatusName(EspStatus status);

struct EspCounters {
  uint64_t packets = 0; // sealed (outbound) or delivered (inbound)
  uint64_t bytes = 0;   // payload bytes of those packets
  uint64_t dropReplay = 0;
  uint64_t dropOutsideWindow = 0;
  uint64_t dropIcv = 0;
  uint64_t dropNoSa = 0;
  uint64_t dropMalformed = 0;
  uint64_t dropSequenceOverflow = 0;
  uint64_t dropHardLifetime = 0;
  uint64_t dummy = 0;

  void Count(EspStatus status);
  EspCounters &operator+=(const EspCounters &o);
  uint64_t TotalDrops() const {
    return dropReplay + dropOutsideWindow + dropIcv + dropNoSa + dropMalformed +
           dropSequenceOverflow + dropHardLifetime;
  }
};

struct EspSealResult {
  EspStatus status = EspStatus::Ok;
  crypto::Bytes packet;
  uint64_t sequence = 0;
  bool softLifetimeReached = false; // true exactly once, on the packet that crossed it
};

struct EspOpenResult {
  EspStatus status = EspStatus::Ok;
  uint32_t spi = 0;
  uint64_t sequence = 0; // full (inferred) sequence number
  uint8_t nextHeader = 0;
  crypto::Bytes payload;
  bool softLifetimeReached = false;
};

// The ESP transform itself, without SA state: used by EspSa and by known-answer tests.
// `keymat` is key || salt; `sequence` is the full 64-bit number (its high half only enters the
// AAD when `esn`).
crypto::Bytes EspEncrypt(EspCipher cipher, crypto::ByteView keymat, uint32_t spi, uint64_t sequence,
                         bool esn, const std::array<uint8_t, kEspIvSize> &iv,
                         crypto::ByteView payload, uint8_t nextHeader);

// The SPI of an ESP packet, if it is long enough to have one.
std::optional<uint32_t> EspPacketSpi(crypto::ByteView packet);

class EspSa {
public:
  // Throws std::invalid_argument for a keymat of the wrong size or an unavailable cipher.
  explicit EspSa(const EspSaConfig &config);
  // Wipes the salt (key_ wipes itself): a removed or replaced SA leaves no keying material in
  // freed memory.
  ~EspSa();
  EspSa(const EspSa &) = delete;
  EspSa &operator=(const EspSa &) = delete;

  // Outbound: the next sequence number, an IV by policy, padding to 4 bytes. `rng` is needed
  // only for EspIvPolicy::Random. The packet is built in `buffer` (its contents are replaced):
  // a caller that hands back the previous result's buffer seals without allocating.
  EspSealResult Seal(crypto::ByteView payload, uint8_t nextHeader,
                     crypto::RandomSource *rng = nullptr, crypto::Bytes buffer = {});
  // Inbound: parse, infer ESN, replay check, ICV, window update, trailer check. The payload
  // is decrypted into `buffer` (contents replaced), as for Seal.
  EspOpenResult Open(crypto::ByteView packet, crypto::Bytes buffer = {});

  const EspSaConfig &config() const { return config_; }
  uint32_t spi() const { return config_.spi; }
  const EspCounters &counters() const { return counters_; }
  uint64_t lastSequence() const { return sequence_; }
  const ReplayWindow &replayWindow() const { return window_; }

private:
  bool Account(size_t bytes, bool &softReached, EspStatus &status);

  EspSaConfig config_;
  crypto::AeadKey key_;
  std::array<uint8_t, kEspSaltSize> salt_{};
  uint64_t sequence_;
  ReplayWindow window_;
  EspCounters counters_;
  bool softReported_ = false;
};

} // namespace tunnelsim::ipsec

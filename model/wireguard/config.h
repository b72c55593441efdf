// Device and peer configuration, and a parser for wg-quick style INI files.
//
// [Interface] PrivateKey (required), ListenPort, MTU, FwMark; the wg-quick-only keys
// Address and DNS are parsed and kept (for a driver that wants them); Table, PreUp, PostUp,
// PreDown, PostDown and SaveConfig are accepted and recorded in ignoredKeys, since they
// configure the host, not the protocol.
// [Peer] PublicKey (required), PresharedKey, AllowedIPs (repeatable), Endpoint (IP:port or
// [IPv6]:port; hostnames are refused, there is no DNS in a sans-IO core),
// PersistentKeepalive (seconds or "off").
// Keys and section names are case-insensitive, '#' starts a comment, as in wg(8).
#pragma once

#include "common/ip_address.h"
#include "common/time.h"
#include "constants.h"
#include "crypto/x25519.h"
#include "endpoint.h"
#include "noise_ikpsk2.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunnelsim::wireguard {

struct PeerConfig {
  crypto::X25519PublicKey publicKey{};
  std::optional<PresharedKey> presharedKey;
  std::vector<IpPrefix> allowedIps;
  std::optional<Endpoint> endpoint;
  Duration persistentKeepalive{0}; // zero: off
};

struct DeviceConfig {
  crypto::X25519PrivateKey privateKey;
  uint16_t listenPort = 0;
  size_t mtu = 1420;
  uint32_t fwMark = 0;
  std::vector<IpPrefix> addresses;      // wg-quick Address
  std::vector<std::string> dns;         // wg-quick DNS
  std::vector<std::string> ignoredKeys; // host-side wg-quick keys seen and not acted on
  std::vector<PeerConfig> peers;

  // Not from the INI file: knobs for simulation.
  Constants constants;
  // TAI64N timestamps are Unix time (offset + now): a simulation fixes the offset for
  // deterministic runs, a real driver passes realtime minus its monotonic clock.
  Duration wallClockOffset{0};
  // Emit EventType::KeyLog (with the local ephemeral private key) for every handshake
  // message created. Off by default: it exports secrets.
  bool exportKeyLog = false;
};

class ConfigError : public std::runtime_error {
public:
  ConfigError(std::string file, size_t line, std::string key, const std::string &message);
  const std::string &file() const { return file_; }
  size_t line() const { return line_; }
  const std::string &key() const { return key_; }

private:
  std::string file_;
  size_t line_;
  std::string key_;
};

// Parses INI text; `fileName` only appears in error messages ("file:line: key: message").
DeviceConfig ParseWgQuickConfig(const std::string &text, const std::string &fileName = "<config>");
// Reads and parses a file; a file that cannot be read is a ConfigError at line 0.
DeviceConfig LoadWgQuickConfig(const std::string &path);

// A base64 WireGuard key (32 bytes); empty on error.
std::optional<std::array<uint8_t, 32>> ParseKey(const std::string &base64);

} // namespace tunnelsim::wireguard

// A swanctl.conf reader for the subset of strongSwan's connection format that the IKEv2 and
// ESP cores implement (see docs/gre-ipsec.md, "swanctl.conf subset"). Text in, typed
// configuration out: no file or network I/O here.
//
// Anything outside the subset is an error, never silently ignored: a key strongSwan knows but
// these cores do not implement is "unsupported", any other key is "unknown", and both name the
// file, the line and the full key path (connections.NAME.children.CHILD.KEY). Secret values
// never appear in an error message.
#pragma once

#include "common/ip_address.h"
#include "common/time.h"
#include "crypto/bytes.h"
#include "ipsec/esp_sa.h"
#include "ipsec/ike_message.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunnelsim::ipsec {

class SwanctlError : public std::runtime_error {
public:
  SwanctlError(const std::string &file, int line, const std::string &key,
               const std::string &reason);
  const std::string &file() const { return file_; }
  int line() const { return line_; }
  const std::string &key() const { return key_; }

private:
  std::string file_;
  int line_;
  std::string key_;
};

// One proposal of `proposals` (IKE) or `esp_proposals` (Child SA): one AEAD, PRF
// HMAC-SHA2-256 (IKE only), X25519 or no key exchange (ESP without PFS), and ESN or not.
struct SwanctlProposal {
  EspCipher cipher = EspCipher::Aes256Gcm16;
  bool x25519 = true; // IKE: always; ESP: PFS with a fresh X25519 exchange
  bool esn = false;   // ESP only
};

enum class SwanctlStartAction { None, Trap, Start };
enum class SwanctlDpdAction { Clear, Trap, Restart };

struct SwanctlChild {
  std::string name;
  int line = 0;
  std::vector<IpPrefix> localTs, remoteTs; // empty = the peer's outer address (as strongSwan)
  std::vector<SwanctlProposal> espProposals;
  EspMode mode = EspMode::Tunnel;
  uint32_t replayWindow = 32; // strongSwan's default
  Duration rekeyTime = Seconds(3600);
  Duration lifeTime{0}; // 0: strongSwan's default, rekeyTime + 10 %
  SwanctlStartAction startAction = SwanctlStartAction::None;
  SwanctlDpdAction dpdAction = SwanctlDpdAction::Clear;

  Duration EffectiveLifeTime() const;
};

struct SwanctlEndpoint {
  std::string id; // empty: the endpoint's address
};

struct SwanctlConnection {
  std::string name;
  int line = 0;
  std::vector<IpAddress> localAddrs, remoteAddrs;
  std::vector<SwanctlProposal> proposals;
  SwanctlEndpoint local, remote;
  std::vector<SwanctlChild> children;
  Duration dpdDelay{0}; // 0: no liveness checks
  bool encap = false;   // force UDP encapsulation (RFC 3948) even without a NAT
  // IKE SA rekeying (strongSwan's default 4 h; 0 = never). strongSwan starts it up to
  // rand_time earlier, which defaults to over_time, 10 % of rekey_time.
  Duration rekeyTime = Seconds(4 * 3600);
};

struct SwanctlSecret {
  std::string name;
  std::vector<std::string> ids; // empty: matches any identity
  crypto::Bytes secret;         // never printed
};

struct SwanctlConfig {
  std::vector<SwanctlConnection> connections;
  std::vector<SwanctlSecret> secrets;

  const SwanctlConnection *FindConnection(const std::string &name) const;
  // The IKE pre-shared key for a pair of identities, chosen as strongSwan does: a secret
  // listing both identities beats one listing either, which beats one listing none; secrets
  // listing only other identities do not match. Empty when nothing matches.
  std::optional<crypto::Bytes> FindPsk(const std::string &localId,
                                       const std::string &remoteId) const;
};

// Parses the text of a swanctl.conf; `fileName` is only used in error messages.
// Throws SwanctlError.
SwanctlConfig ParseSwanctlConfig(const std::string &text, const std::string &fileName);

// An identity string as swanctl writes it: an IPv4/IPv6 address becomes ID_IPV4_ADDR /
// ID_IPV6_ADDR, "@name" an FQDN without the '@', "user@host" ID_RFC822_ADDR, anything else an
// FQDN. Empty when the string is empty.
std::optional<IkeIdPayload> IkeIdFromSwanctl(const std::string &id);

} // namespace tunnelsim::ipsec

// tunnel.type = "strongswan" in `tunnelsim emulate`: strongSwan's charon with its userspace ESP
// (kernel-libipsec) is each side's gateway, inside the host's own namespace.
//
//   home namespace: kernel TCP (192.168.1.1 on lo) -> ipsec0 (charon's TUN) -> charon encrypts
//     -> UDP 100.64.0.1:4500 -> emu0 (the relay's TUN) -> relay: the scenario's path, no core
//     -> emu0 in the work namespace -> charon decrypts -> ipsec0 -> kernel TCP (10.1.0.2 on lo)
//
// Each charon runs in its own mount namespace with a tmpfs on /run (it writes /run/charon.pid)
// and its own strongswan.conf, swanctl.conf and vici socket in a private directory. IKEv2 with
// a pre-shared key, the scenario's AEAD (AES-256-GCM-16 or ChaCha20-Poly1305) for IKE and ESP,
// PRF SHA-256, X25519, UDP encapsulation forced (kernel-libipsec encapsulates anyway), no ESN.
// kernel-libipsec's anti-replay window is fixed at 128 packets.
#pragma once

#include "network_namespace.h"

#include "emulate/relay.h"
#include "realnet/tun_device.h"

#include "common/time.h"
#include "tunnel/spec.h"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace tunnelsim::emulate {

// Where charon and swanctl are installed (Debian's strongswan-charon, strongswan-swanctl).
constexpr const char *kCharonPath = "/usr/lib/ipsec/charon";
constexpr const char *kSwanctlPath = "/usr/sbin/swanctl";

// Empty when charon and swanctl can run here; otherwise what is missing.
std::string StrongSwanMissing();

struct StrongSwanSide {
  const NetworkNamespace *ns = nullptr;
  std::string name;       // "home" or "work"
  uint32_t wan = 0;       // this gateway's outer address (on the relay's TUN)
  uint32_t remoteWan = 0; // the other gateway's
  uint32_t host = 0;      // this side's host address (inner; on lo)
  uint32_t lan = 0;       // this side's LAN, /24 (local traffic selector)
  uint32_t remoteLan = 0; // the other side's LAN, /24 (remote traffic selector)
};

struct StrongSwanRouteOptions {
  int initialCwnd = 10;
  int64_t minRtoMs = 200;
};

class StrongSwanGateways {
public:
  // Starts charon on both sides and loads the connection; throws std::runtime_error when a
  // charon does not start or rejects its configuration (what was started is stopped again).
  StrongSwanGateways(const StrongSwanSide &home, const StrongSwanSide &work,
                     const tunnel::StrongSwanSpec &spec);
  // Stops both charons (SIGTERM, SIGKILL after 3 s) and removes the private directory.
  ~StrongSwanGateways();
  StrongSwanGateways(const StrongSwanGateways &) = delete;
  StrongSwanGateways &operator=(const StrongSwanGateways &) = delete;

  // Initiates the IKE_SA and CHILD_SA from the home side and returns once both sides list the
  // CHILD_SA as INSTALLED. The IKE packets cross the relay, so `carry` must move them while
  // this waits: it is called repeatedly with a time budget (run the relay for that long) and
  // returns false to give up (a stop signal). Throws std::runtime_error after `timeout`.
  void Establish(const std::function<bool(Duration)> &carry, Duration timeout);

  // Puts the scenario's initcwnd and rto_min on the routes charon installed for the remote
  // LAN (table 220), as emulate does on the host routes for the other tunnel types.
  void TuneRoutes(const StrongSwanRouteOptions &options);

  // Per side: the CHILD_SA as `swanctl --list-sas` shows it (SPIs, bytes and packets each
  // way) and the ESP drops charon logged (sequence number verification failures: its
  // anti-replay drops; ICV failures). kernel-libipsec keeps no drop counter, so the drops
  // are counted from charon's log, one line per dropped packet.
  nlohmann::json CountersJson() const;

  // The engine's tunnel.counters keys from charon's numbers; outerBytes is what the relay
  // carried from the two gateways (for overhead_bytes).
  nlohmann::json TunnelCountersJson(uint64_t outerBytes) const;

private:
  struct Instance {
    StrongSwanSide side;
    std::filesystem::path dir;
    pid_t pid = -1;
  };
  void Start(Instance &instance, const tunnel::StrongSwanSpec &spec);
  void Stop(Instance &instance);
  std::string Swanctl(const Instance &instance, const std::vector<std::string> &args,
                      bool check = true) const;
  nlohmann::json SideJson(const Instance &instance) const;

  std::filesystem::path dir_;
  Instance home_, work_;
};

// Starts the two charons for `settings` (tunnel.type = "strongswan") in the hosts' namespaces,
// carries their IKE exchange over the scenario's links without impairments (a relay of its
// own, so the scenario's impairment streams start with the run's first packet, as they do for
// the other tunnel types) and returns with the CHILD_SA installed on both sides and the routes
// tuned. The TUNs must carry the gateways' WAN addresses.
std::unique_ptr<StrongSwanGateways>
StartStrongSwanGateways(const NetworkNamespace &homeNs, const NetworkNamespace &workNs,
                        realnet::TunDevice &homeTun, realnet::TunDevice &workTun,
                        const RelaySettings &settings, const StrongSwanRouteOptions &routes);

} // namespace tunnelsim::emulate

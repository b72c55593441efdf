#include "peer.h"

namespace tunnelsim::wireguard {

Peer::Peer(const PeerConfig &config, const Constants &constants)
    : publicKey_(config.publicKey),
      presharedKey_(config.presharedKey ? *config.presharedKey : PresharedKey()),
      hasPresharedKey_(config.presharedKey.has_value()), endpoint_(config.endpoint),
      persistentKeepalive_(config.persistentKeepalive),
      cookieGenerator_(config.publicKey,
                       constants.cookieSecretMaxAge - constants.cookieSecretLatency) {}

} // namespace tunnelsim::wireguard

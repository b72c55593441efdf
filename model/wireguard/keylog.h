// Wireshark's WireGuard key log format (preference wg.keylog_file): lines
// "<key-type> = <base64 key>" with LOCAL_STATIC_PRIVATE_KEY, REMOTE_STATIC_PUBLIC_KEY,
// LOCAL_EPHEMERAL_PRIVATE_KEY and PRESHARED_KEY, one group per handshake.
#pragma once

#include "events.h"

#include <string>

namespace tunnelsim::wireguard {

// The four lines for one handshake, each ending in '\n'.
std::string FormatWiresharkKeyLog(const KeyLogEntry &entry);

} // namespace tunnelsim::wireguard

#include "keylog.h"

namespace tunnelsim::wireguard {

std::string FormatWiresharkKeyLog(const KeyLogEntry &entry) {
  std::string out;
  out += "LOCAL_STATIC_PRIVATE_KEY = " + crypto::ToBase64(entry.localStaticPrivate) + "\n";
  out += "REMOTE_STATIC_PUBLIC_KEY = " + crypto::ToBase64(entry.remoteStaticPublic) + "\n";
  out += "LOCAL_EPHEMERAL_PRIVATE_KEY = " + crypto::ToBase64(entry.localEphemeralPrivate) + "\n";
  out += "PRESHARED_KEY = " + crypto::ToBase64(entry.presharedKey) + "\n";
  return out;
}

} // namespace tunnelsim::wireguard

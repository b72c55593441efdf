"""WireGuard building blocks, bound from the C++ sans-IO core (model/wireguard).

ReplayCounter        the transport counter filter with the Linux kernel's window (8128)
AllowedIPs           cryptokey routing: insert(prefix, peer), lookup(addr), remove(prefix)...
generate_private_key / public_key   base64 keys as `wg genkey` / `wg pubkey` print them
"""

from ._tunnelsim import wireguard as _wg

ReplayCounter = _wg.ReplayCounter
AllowedIPs = _wg.AllowedIPs
generate_private_key = _wg.generate_private_key
public_key = _wg.public_key
REJECT_AFTER_MESSAGES = _wg.REJECT_AFTER_MESSAGES
WINDOW_SIZE = ReplayCounter.WINDOW_SIZE

__all__ = ["ReplayCounter", "AllowedIPs", "generate_private_key", "public_key",
           "REJECT_AFTER_MESSAGES", "WINDOW_SIZE"]

"""ESP building blocks, bound from the C++ sans-IO core (model/ipsec).

ReplayWindow(size=64, esn=False)  RFC 4303 3.4.3 window; check(seq) checks and updates
EspSa(spi, key, algorithm=...)    one SA: encrypt() with an explicit sequence number and IV (for
                                  known-answer tests), seal() with the SA's own counter, and
                                  decrypt() which raises EspError on replay/ICV failure/...
Defaults (window, ESN, algorithm) are a scenario's tunnel.ipsec defaults, taken from the one
tunnel spec (model/tunnel/spec.h) when the extension is built.
"""

from typing import NamedTuple

from ._tunnelsim import ipsec as _ipsec

ReplayWindow = _ipsec.ReplayWindow
algorithm_available = _ipsec.algorithm_available
NEXT_HEADER_IPV4 = _ipsec.NEXT_HEADER_IPV4
NEXT_HEADER_IPV6 = _ipsec.NEXT_HEADER_IPV6
NEXT_HEADER_GRE = _ipsec.NEXT_HEADER_GRE


class EspError(ValueError):
    """An ESP packet was refused; `status` says why ('replay', 'icv-failure', ...)."""

    def __init__(self, status: str):
        super().__init__(f"ESP packet refused: {status}")
        self.status = status


class EspPacket(NamedTuple):
    payload: bytes
    next_header: int
    sequence: int


class EspSa(_ipsec._EspSa):
    """One ESP security association.

    key is the keying material: the 32-byte cipher key followed by the 4-byte salt
    (RFC 4106 / RFC 7634). algorithm is 'aes-256-gcm' (the default) or 'chacha20-poly1305'.

    encrypt(payload, seq, iv, next_header=4) -> bytes   stateless: SPI|seq|IV|ciphertext|ICV
    seal(payload, next_header=4) -> bytes               the SA's next sequence number, IV = seq
    decrypt(packet) -> EspPacket                        replay check, ICV, window update
    """

    def seal(self, payload: bytes, next_header: int = NEXT_HEADER_IPV4) -> bytes:
        status, packet, _sequence = self._seal(payload, next_header)
        if status != "ok":
            raise EspError(status)
        return packet

    def decrypt(self, packet: bytes) -> EspPacket:
        status, payload, next_header, sequence = self._open(packet)
        if status != "ok":
            raise EspError(status)
        return EspPacket(payload, next_header, sequence)


__all__ = ["ReplayWindow", "EspSa", "EspError", "EspPacket", "algorithm_available",
           "NEXT_HEADER_IPV4", "NEXT_HEADER_IPV6", "NEXT_HEADER_GRE"]

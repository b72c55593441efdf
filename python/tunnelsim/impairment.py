"""The netem-equivalent impairment core (model/impairment), bound from C++.

NetemCore("delay 10ms reorder 5% gap 5 seed 3").process_stream(count, interval_ns) returns, per
copy, (packet number, duplicate?, deliver_at_ns or None, tie order, reordered?): exactly the
decisions the simulator's access link makes for the same packet sequence.
"""

import numpy as np

from ._tunnelsim import impairment as _imp

NetemCore = _imp.NetemCore


def arrival_order(netem: str, count: int, rate_pps: float, size: int = 1400) -> np.ndarray:
    """Sequence numbers (0..count-1) in the order a constant-rate stream leaves the core.

    Ties in delivery time are broken by the core's order key, as the ns-3 queue disc does.
    Dropped copies are left out; duplicates appear twice.
    """
    interval_ns = int(round(1e9 / rate_pps))
    rows = NetemCore(netem).process_stream(count, interval_ns, size)
    delivered = [(at, order, packet) for packet, _dup, at, order, _re in rows if at is not None]
    delivered.sort()
    return np.fromiter((packet for _at, _order, packet in delivered), dtype=np.int64,
                       count=len(delivered))


__all__ = ["NetemCore", "arrival_order"]

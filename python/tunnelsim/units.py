"""The scenario files' duration and data-rate strings ("10ms", "48Mbps"), with the units the
engine accepts (scenarios/engine/units.cc; docs/scenarios.md). Numbers pass through as the
base unit (seconds, bits per second)."""

import re

_NUMBER_AND_UNIT = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]+)\s*")

_SECONDS_PER_UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}
_BPS_PER_UNIT = {"bps": 1.0, "bit": 1.0, "kbps": 1e3, "Kbps": 1e3, "kbit": 1e3, "Mbps": 1e6,
                 "mbit": 1e6, "Gbps": 1e9, "gbit": 1e9}


def _split(text, what: str, units: dict) -> float:
    if isinstance(text, (int, float)):
        return float(text)
    match = _NUMBER_AND_UNIT.fullmatch(str(text))
    if not match or match.group(2) not in units:
        raise ValueError(f"not a {what}: {text!r} (units: {', '.join(units)})")
    return float(match.group(1)) * units[match.group(2)]


def duration_s(text) -> float:
    """'10ms' -> 0.01."""
    return _split(text, "duration", _SECONDS_PER_UNIT)


def rate_bps(text) -> float:
    """'48Mbps' -> 48e6."""
    return _split(text, "data rate", _BPS_PER_UNIT)

"""tunnelsim.units parses the scenario files' duration and rate strings as the engine does."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from tunnelsim import units  # noqa: E402


@pytest.mark.parametrize("text, seconds", [("10ms", 0.01), ("0.5s", 0.5), ("250us", 250e-6),
                                           ("2min", 120.0), ("7ns", 7e-9), (" 3 s ", 3.0),
                                           (1.5, 1.5)])
def test_durations(text, seconds):
    assert units.duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text, bps", [("48Mbps", 48e6), ("1Gbps", 1e9), ("500kbit", 5e5),
                                       ("100mbit", 1e8), ("64Kbps", 64e3), ("9600bps", 9600),
                                       (2e6, 2e6)])
def test_rates(text, bps):
    assert units.rate_bps(text) == pytest.approx(bps)


@pytest.mark.parametrize("text", ["10", "ms", "10 parsecs", "1.2.3s", ""])
def test_bad_durations_name_the_text(text):
    with pytest.raises(ValueError, match="not a duration"):
        units.duration_s(text)


@pytest.mark.parametrize("text", ["100", "100MBps", "fast"])
def test_bad_rates_name_the_text(text):
    with pytest.raises(ValueError, match="not a data rate"):
        units.rate_bps(text)

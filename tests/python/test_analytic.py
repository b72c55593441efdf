"""The analytic netem-reordering / ESP-window model against Monte Carlo simulations of the same
model in Python and against the C++ impairment core's own decisions."""

import math

import numpy as np
import pytest

from tunnelsim import analytic, impairment


def _tolerance(prob, n):
    return 4.5 * math.sqrt(max(prob * (1 - prob), 1e-4) / n) + 1e-3


def test_closed_form_without_gap():
    p, delay, rate = 0.05, 0.010, 8000.0  # L = 80 packets in the delay line
    assert analytic.delay_line_packets(delay, rate) == 80
    for window in (1, 10, 64, 80):
        expected = (1 - p) * (1 - (1 - p) ** (80 - window + 1))
        assert analytic.replay_drop_probability(p, delay, rate, window) == \
            pytest.approx(expected, rel=1e-12)
    assert analytic.replay_drop_probability(p, delay, rate, 81) == 0.0
    assert analytic.replay_drop_probability(0.0, delay, rate, 10) == 0.0
    assert analytic.replay_drop_probability(1.0, delay, rate, 10) == 0.0  # nothing is delayed
    tail = analytic.lateness_tail(p, delay, rate)
    assert len(tail) == 80 and np.all(np.diff(tail) <= 0)
    with pytest.raises(ValueError):
        analytic.replay_drop_probability(5, delay, rate, 64)  # percent, not a probability
    with pytest.raises(ValueError):
        analytic.replay_drop_probability(0.05, delay, rate, 0)


@pytest.mark.parametrize("p,gap,window,delay,rate", [
    (0.05, 1, 64, 0.010, 8000.0),
    (0.05, 5, 64, 0.010, 8000.0),
    (0.20, 3, 20, 0.004, 6000.0),
    (0.50, 2, 5, 0.001, 10_000.0),
    (0.01, 1, 32, 0.020, 3000.0),
])
def test_analytic_matches_python_monte_carlo(p, gap, window, delay, rate):
    n = 150_000
    model = analytic.replay_drop_probability(p, delay, rate, window, gap)
    simulated = analytic.monte_carlo_late_fraction(p, delay, rate, window, gap, n=n, seed=11)
    assert simulated == pytest.approx(model, abs=_tolerance(model, n))
    assert model > 0.001  # the cases are chosen so that drops happen


def test_gap_forces_delays_like_netem():
    immediate = analytic.simulate_immediate(1.0, 20, gap=5)
    assert list(np.flatnonzero(immediate)) == [4, 9, 14, 19]  # reorder 100% gap 5
    order = analytic.arrival_order(immediate, delay_s=0.0015, rate_pps=1000.0)  # L = 1
    assert list(order[:6]) == [0, 1, 2, 4, 3, 5]
    assert list(analytic.lateness_from_order(np.array([0, 2, 1, 5, 3, 4]))) == [0, 0, 1, 0, 2, 1]
    assert analytic.esp_drops(np.array([0, 2, 1, 5, 3, 4]), window=2) == 1


def _cpp_late_fraction(netem, count, rate, window):
    order = impairment.arrival_order(netem, count, rate)
    assert len(order) == count  # no loss configured: every packet arrives once
    return float(np.mean(analytic.lateness_from_order(order) >= window))


@pytest.mark.parametrize("reorder,gap,window", [(5, 1, 64), (5, 5, 64), (20, 3, 20), (2, 1, 10)])
def test_analytic_matches_the_cpp_impairment_core(reorder, gap, window):
    rate, n = 8000.0, 120_000
    netem = f"delay 10ms reorder {reorder}% gap {gap} seed 9"
    model = analytic.replay_drop_probability(reorder / 100, 0.010, rate, window, gap)
    measured = _cpp_late_fraction(netem, n, rate, window)
    assert measured == pytest.approx(model, abs=_tolerance(model, n))


def test_tie_at_exactly_the_delay_counts_as_overtaking_in_the_cpp_core():
    # 1000 pkt/s, delay 5 ms: packet m+5 sent at once arrives together with delayed packet m,
    # and the core lets it go first, as the model's floor(D*R) assumes.
    order = impairment.arrival_order("delay 5ms reorder 100% gap 6", 12, 1000.0)
    assert list(order) == [5, 0, 1, 2, 3, 4, 11, 6, 7, 8, 9, 10]
    late = analytic.lateness_from_order(order)
    assert late.max() == analytic.delay_line_packets(0.005, 1000.0) == 5


def test_correlated_monte_carlo_matches_the_cpp_core():
    rate, n, window = 8000.0, 120_000, 64
    cpp = _cpp_late_fraction("delay 10ms reorder 5% 50% gap 5 seed 3", n, rate, window)
    python = analytic.monte_carlo_late_fraction(0.05, 0.010, rate, window, gap=5,
                                                correlation=0.5, n=n, seed=3)
    # Different random streams, same law: correlation changes the rate, both must agree.
    assert python == pytest.approx(cpp, abs=2 * _tolerance(cpp, n))


def test_netem_core_binding_basics():
    core = impairment.NetemCore("delay 10ms loss 50% seed 1")
    rows = core.process_stream(1000, 1_000_000, 200)
    delivered = [r for r in rows if r[2] is not None]
    assert 400 < len(delivered) < 600
    assert all(at - packet * 1_000_000 == 10_000_000 for packet, _d, at, _o, _r in delivered)
    assert core.counters["packets"] == 1000 and core.counters["lost"] == 1000 - len(delivered)
    with pytest.raises(ValueError):
        impairment.NetemCore("delay 10")  # no unit

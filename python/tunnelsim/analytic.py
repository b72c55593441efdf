"""Analytic model of netem reordering and the ESP anti-replay window.

The netem model (docs/impairments.md, model/impairment/impairment_core.cc): packet i of a
constant-rate stream arrives at i/R. With `reorder P% gap G` and `delay D` (no jitter), the
gap counter forces the G-1 packets after a packet sent at once to be delayed; every later
packet is sent at once with probability p = P/100, otherwise delayed by D. Packets sent at once
leave at their arrival time and go ahead of delayed packets due at the same instant; delayed
packets leave in order. So a packet n sent at once overtakes every delayed packet m with
m < n <= m + L, where L = floor(D*R) is the number of packets the delay line holds.

At the receiver, a delayed packet m arrives after the greatest sequence number seen so far,
h = the greatest immediate n in (m, m+L]; its lateness is h - m (0 when nothing overtook it).
An ESP receiver with window W (RFC 4303 3.4.3: too old when h - seq >= W) drops m exactly
when its lateness is at least W, i.e. when some packet in [m+W, m+L] was sent at once.
Packets sent at once are never late. Hence, for the stationary gap-counter chain:

    P(lateness >= k) = P(m delayed) - P(m delayed, no immediate among m+k .. m+L)

computed exactly below by propagating the chain. With G = 1 it is the closed form
(1-p) * (1 - (1-p)^(L-k+1)) for k <= L, and 0 for k > L.

netem's correlated reorder draws (reorder P% C%) have no finite-state chain; the Monte Carlo
below reproduces them (netem's get_crandom) for comparison, and tunnelsim.impairment lets the
C++ core itself be sampled.
"""

import math
from typing import Optional

import numpy as np


def delay_line_packets(delay_s: float, rate_pps: float) -> int:
    """L: how many later packets can overtake a delayed one (floor(D*R), ties included)."""
    if delay_s < 0 or rate_pps <= 0:
        raise ValueError("delay must be >= 0 and rate > 0")
    return int(math.floor(delay_s * rate_pps + 1e-9))


def _chain(p: float, gap: int):
    """Stationary distribution and the delayed/immediate transition matrices of the gap
    counter (state = the counter a packet sees, capped at gap-1)."""
    g = max(1, int(gap))
    delayed = np.zeros((g, g))
    immediate = np.zeros((g, g))
    for c in range(g - 1):
        delayed[c, c + 1] = 1.0
    delayed[g - 1, g - 1] = 1.0 - p
    immediate[g - 1, 0] = p
    if p > 0:
        weights = np.ones(g)
        weights[g - 1] = 1.0 / p
        stationary = weights / weights.sum()
    else:
        stationary = np.zeros(g)
        stationary[g - 1] = 1.0
    return stationary, delayed, immediate


def _check(p: float, window_or_k: int):
    if not 0.0 <= p <= 1.0:
        raise ValueError("reorder probability must be within [0, 1] (pass percent / 100)")
    if window_or_k < 1:
        raise ValueError("window / lateness must be at least 1")


def late_probability(p: float, delay_s: float, rate_pps: float, k: int, gap: int = 1) -> float:
    """P(a packet arrives with lateness >= k), lateness = greatest sequence number received
    before it minus its own. p is the reorder probability (0..1), gap netem's gap."""
    _check(p, k)
    span = delay_line_packets(delay_s, rate_pps)
    if k > span or p == 0.0:
        return 0.0
    stationary, delayed, immediate = _chain(p, gap)
    state = stationary @ delayed  # packet m was delayed; state now is packet m+1's
    p_delayed = state.sum()
    full = delayed + immediate
    for _ in range(k - 1):  # packets m+1 .. m+k-1: anything
        state = state @ full
    for _ in range(span - k + 1):  # packets m+k .. m+L: none sent at once
        state = state @ delayed
    return float(p_delayed - state.sum())


def replay_drop_probability(p: float, delay_s: float, rate_pps: float, window: int,
                            gap: int = 1) -> float:
    """Expected fraction of packets an ESP receiver with `window` drops as too old."""
    return late_probability(p, delay_s, rate_pps, window, gap)


def lateness_tail(p: float, delay_s: float, rate_pps: float, gap: int = 1) -> np.ndarray:
    """P(lateness >= k) for k = 1 .. L (index k-1)."""
    span = delay_line_packets(delay_s, rate_pps)
    return np.array([late_probability(p, delay_s, rate_pps, k, gap)
                     for k in range(1, span + 1)])


def _crandom(rng: np.random.Generator, n: int, correlation: float) -> np.ndarray:
    """netem's get_crandom: next = (1-rho)*fresh + rho*last on 32-bit values, as uniforms."""
    fresh = rng.integers(0, 2 ** 32, size=n, dtype=np.uint64).astype(np.float64)
    if correlation <= 0:
        return fresh / 2 ** 32
    out = np.empty(n)
    last = 0.0
    for i in range(n):
        last = math.floor((1.0 - correlation) * fresh[i] + correlation * last)
        out[i] = last
    return out / 2 ** 32


def simulate_immediate(p: float, n: int, gap: int = 1, correlation: float = 0.0,
                       seed: Optional[int] = 1) -> np.ndarray:
    """Which of n packets netem sends at once (True) under `reorder p [correlation] gap G`."""
    rng = np.random.default_rng(seed)
    draws = _crandom(rng, n, correlation)
    g = max(1, int(gap))
    immediate = np.zeros(n, dtype=bool)
    counter = 0
    for i in range(n):
        if counter < g - 1 or not draws[i] < p:
            counter += 1
        else:
            immediate[i] = True
            counter = 0
    return immediate


def lateness_from_order(order: np.ndarray) -> np.ndarray:
    """Lateness of each arrival: the greatest sequence number that arrived before it minus its
    own (0 when it is the newest so far)."""
    order = np.asarray(order, dtype=np.int64)
    if order.size == 0:
        return order
    running = np.maximum.accumulate(order)
    before = np.concatenate(([-1], running[:-1]))
    return np.maximum(before - order, 0)


def arrival_order(immediate: np.ndarray, delay_s: float, rate_pps: float) -> np.ndarray:
    """Arrival order of a constant-rate stream: immediate packets at i/R (first on ties),
    delayed ones at i/R + D in order."""
    n = immediate.size
    index = np.arange(n)
    # Times in units of the packet interval.
    due = np.where(immediate, index.astype(np.float64), index + delay_s * rate_pps)
    tie_first = np.where(immediate, 0, 1)
    return np.lexsort((index, tie_first, np.round(due, 9)))


def monte_carlo_late_fraction(p: float, delay_s: float, rate_pps: float, k: int,
                              gap: int = 1, correlation: float = 0.0, n: int = 200_000,
                              seed: Optional[int] = 1) -> float:
    """Fraction of n packets whose lateness is >= k, by simulating the same model."""
    immediate = simulate_immediate(p, n, gap, correlation, seed)
    order = arrival_order(immediate, delay_s, rate_pps)
    late = lateness_from_order(order)
    return float(np.mean(late >= k))


def esp_drops(order: np.ndarray, window: int) -> int:
    """Packets an RFC 4303 window of size `window` refuses for an arrival order of distinct
    sequence numbers (the too-old test: greatest seen - seq >= window)."""
    return int(np.sum(lateness_from_order(order) >= window))

"""Confidence intervals and two-sample tests over seeds.

Contract (other modules rely on these signatures):

- ``mean_ci(values, level=0.95) -> (mean, half_width, n)``: Student t
  interval of the mean over the finite values (NaN/inf dropped).  With
  n == 1 the half width is ``inf`` (one seed says nothing about spread);
  with n == 0 the result is ``(nan, nan, 0)``.
- ``bootstrap_ci(values, level=0.95, resamples=2000, seed=0)
  -> (mean, low, high, n)``: percentile bootstrap of the mean, for skewed
  metrics.  Deterministic for a given ``seed``.
- ``ci_warning(mean, half_width, max_fraction=0.1) -> str | None``: a
  human sentence when the interval is wider than ``max_fraction`` of
  ``|mean|``, otherwise ``None``.
- ``welch_t(a, b) -> (t, dof, p)`` and ``mann_whitney_u(a, b) -> (u, p)``:
  two-sided tests.  Mann-Whitney uses the normal approximation with tie
  and continuity correction.

Implemented with the standard library and numpy only, so the tests can
check it against scipy.stats independently.
"""

import math

import numpy as np


def _finite(values):
    array = np.asarray(list(values), dtype=float)
    return array[np.isfinite(array)]


def _student_t_cdf(t, dof):
    """CDF of Student's t via the regularized incomplete beta function."""
    x = dof / (dof + t * t)
    tail = 0.5 * _regularized_beta(dof / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def _regularized_beta(a, b, x):
    # Continued fraction (Lentz), the usual way to evaluate I_x(a, b).
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _regularized_beta(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * result / a


def student_t_quantile(probability, dof):
    """Inverse CDF of Student's t by bisection (monotone, always converges)."""
    low, high = -1e3, 1e3
    for _ in range(200):
        middle = 0.5 * (low + high)
        if _student_t_cdf(middle, dof) < probability:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def mean_ci(values, level=0.95):
    finite = _finite(values)
    n = len(finite)
    if n == 0:
        return (math.nan, math.nan, 0)
    mean = float(finite.mean())
    if n == 1:
        return (mean, math.inf, 1)
    std_error = float(finite.std(ddof=1)) / math.sqrt(n)
    quantile = student_t_quantile(0.5 + level / 2.0, n - 1)
    return (mean, quantile * std_error, n)


def bootstrap_ci(values, level=0.95, resamples=2000, seed=0):
    finite = _finite(values)
    n = len(finite)
    if n == 0:
        return (math.nan, math.nan, math.nan, 0)
    rng = np.random.default_rng(seed)
    means = finite[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(finite.mean()), float(low), float(high), n)


def ci_warning(mean, half_width, max_fraction=0.1):
    if not math.isfinite(half_width) or not math.isfinite(mean):
        return "interval undefined (fewer than 2 finite seeds)"
    if half_width > max_fraction * abs(mean):
        relative = half_width / abs(mean) if mean else math.inf
        return (f"95% interval ±{relative:.1%} of the mean, wider than "
                f"{max_fraction:.0%}: add seeds")
    return None


def welch_t(a, b):
    a, b = _finite(a), _finite(b)
    if len(a) < 2 or len(b) < 2:
        return (math.nan, math.nan, math.nan)
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if var_a + var_b == 0:
        return (math.nan, math.nan, math.nan)
    t = float((a.mean() - b.mean()) / math.sqrt(var_a + var_b))
    dof = float((var_a + var_b) ** 2
                / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1)))
    p = 2.0 * (1.0 - _student_t_cdf(abs(t), dof))
    return (t, dof, p)


def mann_whitney_u(a, b):
    a, b = _finite(a), _finite(b)
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0:
        return (math.nan, math.nan)
    pooled = np.concatenate([a, b])
    order = np.argsort(pooled, kind="mergesort")
    ranks = np.empty(len(pooled))
    sorted_values = pooled[order]
    start = 0
    tie_term = 0.0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = 0.5 * (start + end) + 1.0
        size = end - start + 1
        tie_term += size**3 - size
        start = end + 1
    u = float(ranks[:n_a].sum() - n_a * (n_a + 1) / 2.0)
    total = n_a + n_b
    variance = n_a * n_b / 12.0 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return (u, 1.0)
    z = (abs(u - n_a * n_b / 2.0) - 0.5) / math.sqrt(variance)
    p = min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2.0)))
    return (u, p)

"""tunnelsim.stats against scipy.stats, computed independently."""

import math

import numpy as np
import pytest
import scipy.stats

from tunnelsim import stats

SAMPLES = [
    [10.0, 12.5, 9.8, 11.1, 10.4],
    [1.0, 2.0],
    [3.2, 3.2, 3.3, 8.9, 3.1, 3.0, 2.9, 3.4],
]


@pytest.mark.parametrize("values", SAMPLES)
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_mean_ci_matches_scipy_t_interval(values, level):
    mean, half_width, n = stats.mean_ci(values, level=level)
    low, high = scipy.stats.t.interval(
        level, len(values) - 1, loc=np.mean(values), scale=scipy.stats.sem(values))
    assert n == len(values)
    assert mean == pytest.approx(np.mean(values))
    assert half_width == pytest.approx((high - low) / 2, rel=1e-6)


def test_mean_ci_drops_nan_and_handles_small_n():
    assert stats.mean_ci([1.0, float("nan"), 3.0])[2] == 2
    assert stats.mean_ci([5.0]) == (5.0, math.inf, 1)
    mean, half_width, n = stats.mean_ci([])
    assert n == 0 and math.isnan(mean)


def test_bootstrap_ci_close_to_scipy_percentile_bootstrap():
    values = np.random.default_rng(3).lognormal(0, 1, size=40)
    mean, low, high, n = stats.bootstrap_ci(values, resamples=4000, seed=1)
    reference = scipy.stats.bootstrap(
        (values,), np.mean, confidence_level=0.95, n_resamples=4000,
        method="percentile", random_state=2).confidence_interval
    width = reference.high - reference.low
    assert n == 40 and low < mean < high
    assert low == pytest.approx(reference.low, abs=0.1 * width)
    assert high == pytest.approx(reference.high, abs=0.1 * width)


def test_ci_warning_only_when_wide():
    assert stats.ci_warning(100.0, 5.0, max_fraction=0.1) is None
    assert "wider than 10%" in stats.ci_warning(100.0, 20.0, max_fraction=0.1)
    assert stats.ci_warning(1.0, math.inf) is not None


@pytest.mark.parametrize("a,b", [(SAMPLES[0], SAMPLES[2]), ([1, 2, 3, 4], [2.5, 3.5, 6, 7, 9])])
def test_welch_t_matches_scipy(a, b):
    t, _, p = stats.welch_t(a, b)
    reference = scipy.stats.ttest_ind(a, b, equal_var=False)
    assert t == pytest.approx(reference.statistic, rel=1e-9)
    assert p == pytest.approx(reference.pvalue, rel=1e-6)


@pytest.mark.parametrize("a,b", [(SAMPLES[0], SAMPLES[2]), ([1, 2, 2, 4], [2, 3.5, 6, 7, 9])])
def test_mann_whitney_matches_scipy_asymptotic(a, b):
    u, p = stats.mann_whitney_u(a, b)
    reference = scipy.stats.mannwhitneyu(a, b, alternative="two-sided",
                                         method="asymptotic", use_continuity=True)
    assert u == pytest.approx(reference.statistic)
    assert p == pytest.approx(reference.pvalue, rel=1e-9)

"""tunnelsim.compare on two small sweep tables, checked against scipy.stats."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from tunnelsim.compare import compare


def _write_sweep(directory, goodput, seeds):
    directory.mkdir()
    pd.DataFrame({"seed": seeds, "goodput_mbps": goodput,
                  "provenance.wall_seconds": [1.0] * len(seeds)}).to_csv(
        directory / "sweep.csv", index=False)
    return directory


def test_compare_two_sweep_directories(tmp_path):
    a = _write_sweep(tmp_path / "a", [10.0, 11.0, 10.5], [1, 2, 3])
    b = _write_sweep(tmp_path / "b", [14.0, 13.2, 15.1], [1, 2, 3])
    table = compare(a, b)
    assert list(table["metric"]) == ["goodput_mbps"]  # seed and provenance are not metrics
    row = table.iloc[0]
    assert row["diff"] == pytest.approx(14.1 - 10.5)
    welch = scipy.stats.ttest_ind([14.0, 13.2, 15.1], [10.0, 11.0, 10.5], equal_var=False)
    assert row["welch_p"] == pytest.approx(welch.pvalue, rel=1e-6)
    var_a, var_b = np.var([10.0, 11.0, 10.5], ddof=1) / 3, np.var([14.0, 13.2, 15.1], ddof=1) / 3
    dof = (var_a + var_b) ** 2 / (var_a**2 / 2 + var_b**2 / 2)
    half_width = scipy.stats.t.ppf(0.975, dof) * np.sqrt(var_a + var_b)
    assert row["diff_ci"] == pytest.approx(half_width, rel=1e-6)


def test_compare_rejects_a_path_that_is_no_run(tmp_path):
    with pytest.raises(ValueError, match="neither a results.json"):
        compare(tmp_path / "missing", tmp_path / "missing")

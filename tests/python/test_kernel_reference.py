"""The committed real-kernel calibration reference (docs/data/tcp-fidelity-kernel.csv, made by
`scripts/calibrate --refresh-reference`) parses, says in its header what it holds, and
analysis/fig_kernel_reference.py (run by `make reproduce`) draws the figure and the per-point
error table from it."""

import importlib
import io
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "data" / "tcp-fidelity-kernel.csv"
PHASES = REPO / "docs" / "data" / "tcp-fidelity-kernel-phases.csv"
sys.path.insert(0, str(REPO / "analysis"))
fig = importlib.import_module("fig_kernel_reference")


def test_reference_columns_types_and_header():
    table, header = fig.load_reference(REFERENCE)
    assert list(table.columns) == fig.COLUMNS
    assert set(table["stack"]) == {"ns3", "linux", "kernel"}
    assert re.search(r"Linux \d+\.\d+", header["kernel"]), header["kernel"]
    assert re.match(r"\d{4}-\d{2}-\d{2}", header["date"]), header["date"]
    assert re.match(r"[0-9a-f]{40}", header["commit"]), header["commit"]
    assert "cores" in header["cpu"]
    assert header["seeds"].split()[0].isdigit()
    assert "reorder" in header["grid"]
    # Every kernel point has its two model rows from the same run, with as many seeds.
    keys = ["path", "tunnel", "window", "reorder_pct"]
    for _key, sub in table.groupby(keys, dropna=False):
        assert sorted(sub["stack"]) == ["kernel", "linux", "ns3"]
        assert sub["seeds"].nunique() == 1
    assert (table["seeds"] >= 2).all()
    assert table["ci95_mbps"].map(math.isfinite).all()
    assert (table["mean_mbps"] > 0).all() and (table["mean_mbps"] < 100).all()
    # The study's 6 s path is there (the figure shows it).
    assert (table["path"] == fig.STUDY_PATH).any()


def test_phases_file_matches_the_reference():
    phases = pd.read_csv(PHASES, comment="#")
    table, _header = fig.load_reference(REFERENCE)
    assert len(phases) == len(table)
    assert {"first5s_mbps", "after10s_mbps", "duration_s"} <= set(phases.columns)
    assert (phases["first5s_mbps"] > 0).all()


def test_reference_rejects_a_file_without_header(tmp_path):
    body = "\n".join(l for l in REFERENCE.read_text().splitlines() if not l.startswith("#"))
    bad = tmp_path / "bad.csv"
    bad.write_text(body + "\n")
    with pytest.raises(fig.ReferenceError, match="header"):
        fig.load_reference(bad)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(REFERENCE.read_text().replace("mean_mbps", "goodput"))
    with pytest.raises(fig.ReferenceError, match="columns"):
        fig.load_reference(renamed)


def test_figure_and_error_table_from_the_reference(tmp_path):
    table, header = fig.load_reference(REFERENCE)
    paths = fig.make(REFERENCE, tmp_path)
    names = {p.name for p in paths}
    assert {"kernel_reference.png", "kernel_reference.svg", "kernel_reference.csv"} <= names
    assert (tmp_path / "kernel_reference.png").stat().st_size > 10_000
    assert fig.kernel_label(header) in (tmp_path / "kernel_reference.svg").read_text()
    errors = pd.read_csv(tmp_path / "kernel_reference.csv")
    study = table[table["path"] == fig.STUDY_PATH]
    assert len(errors) == (study["stack"] == "kernel").sum()
    # The error column is the model's deviation from the kernel's mean, point by point.
    for _i, row in errors.iterrows():
        assert row["linux_error_pct"] == pytest.approx(
            100 * (row["linux_mbps"] - row["kernel_mbps"]) / row["kernel_mbps"], abs=0.05)
        window = study["window"].isna() if pd.isna(row["window"]) else study["window"] == row["window"]
        kernel = study[(study["tunnel"] == row["tunnel"]) & window &
                       (study["reorder_pct"] == row["reorder_pct"]) & (study["stack"] == "kernel")]
        assert row["kernel_mbps"] == pytest.approx(kernel["mean_mbps"].iloc[0], abs=0.01)


def test_study_points_are_matched_by_tunnel_window_and_reorder(tmp_path):
    """A crafted study sweep: its 6 s Linux-like means land beside the reference's points."""
    table, _header = fig.load_reference(REFERENCE)
    kernel = table[(table["path"] == fig.STUDY_PATH) & (table["stack"] == "kernel")].iloc[0]
    study = tmp_path / "study"
    study.mkdir()
    window = 64 if pd.isna(kernel["window"]) else int(kernel["window"])
    pd.DataFrame({"tunnel.type": [kernel["tunnel"]] * 2,
                  "tunnel.ipsec.replay_window": [window] * 2,
                  "impairment.access.down.reorder": [kernel["reorder_pct"]] * 2,
                  "tcp.stack": ["linux", "linux"], "goodput_mbps": [10.0, 20.0]}).to_csv(
        study / "sweep.csv", index=False)
    (study / "sweep.json").write_text('{"set": {"duration": "6s"}}')
    out = tmp_path / "figures"
    result = subprocess.run([sys.executable, str(REPO / "analysis" / "fig_kernel_reference.py"),
                             "--study", str(study), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    errors = pd.read_csv(out / "kernel_reference.csv")
    matched = errors[errors["study_mbps"].notna()]
    assert len(matched) == 1
    assert matched["study_mbps"].iloc[0] == pytest.approx(15.0)
    # A 30 s study does not match the 6 s reference.
    (study / "sweep.json").write_text('{"set": {"duration": "30s"}}')
    subprocess.run([sys.executable, str(REPO / "analysis" / "fig_kernel_reference.py"),
                    "--study", str(study), "--out", str(out)], check=True, capture_output=True)
    assert pd.read_csv(out / "kernel_reference.csv")["study_mbps"].isna().all() if \
        "study_mbps" in pd.read_csv(out / "kernel_reference.csv").columns else True


def load_calibrate():
    """scripts/calibrate as a module (it has no .py suffix)."""
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader

    loader = SourceFileLoader("calibrate_script", str(REPO / "scripts" / "calibrate"))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_refresh_without_kernel_keeps_the_kernel_rows_and_their_header(tmp_path):
    """`--refresh-reference --stacks ns3,linux` (a model change, no root) replaces only the
    model rows; the kernel's rows and the header lines naming the kernel run stay, and '# model'
    lines name the new run (replacing those of an earlier remake)."""
    calibrate = load_calibrate()
    text = REFERENCE.read_text()
    header, _body = calibrate.split_reference(text)
    # The kernel run's lines (and any '# added' blocks of later parts); the committed
    # reference may carry '# model' lines of a remake.
    kernel_lines = [line for line in header if not line.startswith("# model ")]
    model_lines = [line for line in header if line.startswith("# model ")]
    table, kernel_header = fig.load_reference(REFERENCE)
    model = table[table["stack"] != "kernel"].copy()
    model["mean_mbps"] = model["mean_mbps"] + 1.0  # a "new" model run, every row different
    first = calibrate.merge_model_rows(text, model, calibrate.COLUMNS, ["ns3", "linux"],
                                       ["# model commit: aaaa", "# model seeds: 5"])
    second = calibrate.merge_model_rows(first, model, calibrate.COLUMNS, ["ns3", "linux"],
                                        ["# model commit: bbbb"])
    for merged, commit in ((first, "aaaa"), (second, "bbbb")):
        merged_path = tmp_path / f"{commit}.csv"
        merged_path.write_text(merged)
        new_table, new_header = fig.load_reference(merged_path)
        # The kernel run's own header lines are all still there, in order, and the model lines
        # of this remake only.
        assert merged.splitlines()[:len(kernel_lines) + 1] == kernel_lines + [
            f"# model commit: {commit}"]
        assert new_header["model commit"] == commit
        assert new_header["commit"] == kernel_header["commit"]
        keys = ["path", "tunnel", "window", "reorder_pct", "stack"]
        merged_rows = new_table.set_index(keys).sort_index()
        old_rows = table.set_index(keys).sort_index()
        assert list(merged_rows.index) == list(old_rows.index)
        kernel = merged_rows.xs("kernel", level="stack")
        assert kernel.equals(old_rows.xs("kernel", level="stack"))
        for stack in ("ns3", "linux"):
            assert merged_rows.xs(stack, level="stack")["mean_mbps"].tolist() == pytest.approx(
                (old_rows.xs(stack, level="stack")["mean_mbps"] + 1.0).tolist(), abs=1e-3)
    assert "aaaa" not in second
    # The same rows back give the same file but for the model lines moving last (after any
    # '# added' block): nothing else is rewritten.
    assert calibrate.merge_model_rows(text, table[table["stack"] != "kernel"],
                                      calibrate.COLUMNS, ["ns3", "linux"], model_lines) == \
        "\n".join(kernel_lines + model_lines) + "\n" + _body


def test_refresh_without_kernel_keeps_the_phases_kernel_rows():
    calibrate = load_calibrate()
    text = PHASES.read_text()
    phases = pd.read_csv(PHASES, comment="#")
    model = phases[phases["stack"] != "kernel"].copy()
    model["first5s_mbps"] = 1.0
    merged = pd.read_csv(io.StringIO(calibrate.merge_model_rows(
        text, model, calibrate.PHASE_COLUMNS, ["ns3", "linux"], ["# model seeds: 5"])),
        comment="#")
    assert len(merged) == len(phases)
    kernel = merged["stack"] == "kernel"
    assert merged.loc[kernel, "first5s_mbps"].tolist() == \
        phases.loc[phases["stack"] == "kernel", "first5s_mbps"].tolist()
    assert (merged.loc[~kernel, "first5s_mbps"] == 1.0).all()

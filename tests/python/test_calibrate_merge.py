"""scripts/calibrate's --missing-only and --merge-reference: completing the committed reference
(docs/data/tcp-fidelity-kernel.csv) part by part. --missing-only plans only the points and
stacks the reference has no row for; --merge-reference adds a run's rows (replacing rows of the
same point and stack), keeps every other row and every earlier header line, and appends a
'# added' block naming the run. No simulation runs here."""

import argparse
import datetime
import io
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "data" / "tcp-fidelity-kernel.csv"
PHASES = REPO / "docs" / "data" / "tcp-fidelity-kernel-phases.csv"
sys.path.insert(0, str(REPO / "analysis"))
import fig_kernel_reference as fig  # noqa: E402


def load_calibrate():
    loader = SourceFileLoader("calibrate_merge_script", str(REPO / "scripts" / "calibrate"))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


calibrate = load_calibrate()
KEYS = ["path", "tunnel", "window", "reorder_pct", "stack"]


def new_rows():
    """A 'later run': no tunnel at 1 % (absent from any reference: the three stacks) and the
    kernel's row of no tunnel at 0 % (present: to be replaced)."""
    rows = [dict(path="reorder-collapse-6s", tunnel="none", window=pd.NA, reorder_pct=1.0,
                 stack=stack, seeds=5, mean_mbps=50.0 + i, ci95_mbps=1.5)
            for i, stack in enumerate(("kernel", "linux", "ns3"))]
    rows.append(dict(path="reorder-collapse-6s", tunnel="none", window=pd.NA, reorder_pct=0.0,
                     stack="kernel", seeds=5, mean_mbps=12.345, ci95_mbps=0.5))
    frame = pd.DataFrame(rows, columns=calibrate.COLUMNS)
    frame["window"] = frame["window"].astype("Int64")
    return frame


def reference_with_rows(table_text, drop):
    """The committed reference's text without the rows matching `drop` (a function of a row)."""
    header, body = calibrate.split_reference(table_text)
    table = pd.read_csv(io.StringIO(body))
    kept = table[[not drop(row) for _i, row in table.iterrows()]]
    return "\n".join(header) + "\n" + kept.to_csv(index=False, float_format="%.3f")


def test_merge_adds_and_replaces_rows_and_keeps_the_rest(tmp_path):
    text = reference_with_rows(REFERENCE.read_text(),
                               lambda row: float(row["reorder_pct"]) == 1.0)
    old_header, old_body = calibrate.split_reference(text)
    old = pd.read_csv(io.StringIO(old_body))
    added = ["# added rows: part 2: test", "# added commit: cccc", "# added seeds: 5"]
    merged = calibrate.merge_added_rows(text, new_rows(), calibrate.COLUMNS, added)
    path = tmp_path / "merged.csv"
    path.write_text(merged)
    table, header = fig.load_reference(path)
    # Every earlier header line, in order, then the added block.
    assert merged.splitlines()[:len(old_header) + len(added)] == old_header + added
    assert header["added commit"].split("; ")[-1] == "cccc"  # the last block is this one
    assert header["commit"] == fig.load_reference(REFERENCE)[1]["commit"]
    assert len(table) == len(old) + 3
    rows = table.set_index(KEYS).sort_index()
    none = rows.xs(("reorder-collapse-6s", "none"), level=("path", "tunnel"))
    assert none.xs((1.0, "linux"), level=("reorder_pct", "stack"))["mean_mbps"].iloc[0] == 51.0
    assert none.xs((0.0, "kernel"), level=("reorder_pct", "stack"))["mean_mbps"].iloc[0] == \
        pytest.approx(12.345)
    # Every other row is the old one, unchanged.
    old_rows = fig.load_reference(REFERENCE)[0]
    old_rows = old_rows[old_rows["reorder_pct"] != 1.0].set_index(KEYS).sort_index()
    def replaced(key):
        return key[0] == "reorder-collapse-6s" and key[1] == "none" and key[3] == 0.0 and \
            key[4] == "kernel"

    for key, row in old_rows.iterrows():
        if not replaced(key):
            assert rows.loc[key, "mean_mbps"] == pytest.approx(row["mean_mbps"]), key
    assert sum(replaced(key) for key in rows.index) == 1  # replaced, not doubled
    # Sorted as a fresh calibration sorts: by path, tunnel, window, reorder level, stack.
    body = pd.read_csv(path, comment="#")
    assert body[KEYS].astype(str).values.tolist() == body.sort_values(
        KEYS, na_position="last", kind="mergesort")[KEYS].astype(str).values.tolist()
    # Merging the same rows again changes nothing but the header (one more block).
    again = calibrate.merge_added_rows(merged, new_rows(), calibrate.COLUMNS, ["# added x: y"])
    assert calibrate.split_reference(again)[1] == calibrate.split_reference(merged)[1]


def test_merge_refuses_other_columns():
    frame = new_rows().rename(columns={"mean_mbps": "goodput"})
    with pytest.raises(ValueError, match="mean_mbps"):
        calibrate.merge_added_rows(REFERENCE.read_text(), frame, calibrate.COLUMNS, [])
    wrong = REFERENCE.read_text().replace("mean_mbps", "goodput")
    with pytest.raises(ValueError, match="columns"):
        calibrate.merge_added_rows(wrong, new_rows(), calibrate.COLUMNS, [])


def plan_rows(spec):
    keys = list(spec["parameters"])
    return [dict(zip(keys, values)) for values in zip(*(spec["parameters"][k] for k in keys))]


def test_missing_only_plans_exactly_the_rows_the_reference_lacks():
    args = calibrate.parse_args(["--seeds", "5", "--durations", "6", "--no-fidelity-grid",
                                 "--grid", "tunnels=none,w64,w1024;reorder=0,1"])
    full = plan_rows(calibrate.study_plan(args))
    assert len(full) == 3 * 3 * 2  # tunnels x stacks x reorder levels
    present = {
        calibrate.point_key("reorder-collapse-6s", "none", None, 0.0, "kernel"),
        calibrate.point_key("reorder-collapse-6s", "gre-over-ipsec", 64, 1.0, "linux"),
        # Another window, another duration and another path: not the same points.
        calibrate.point_key("reorder-collapse-6s", "gre-over-ipsec", 32, 0.0, "ns3"),
        calibrate.point_key("reorder-collapse-30s", "none", None, 1.0, "ns3"),
        calibrate.point_key("tcp-fidelity-50M-10s", "none", None, 1.0, "linux"),
    }
    left = plan_rows(calibrate.study_plan(args, frozenset(present)))
    assert len(left) == len(full) - 2
    assert {"tunnel.type": "none", "tunnel.ipsec.replay_window": 64, "tcp.stack": "kernel",
            calibrate.REORDER_KEY: 0.0, "duration": "6s"} not in left
    assert {"tunnel.type": "gre-over-ipsec", "tunnel.ipsec.replay_window": 64,
            "tcp.stack": "linux", calibrate.REORDER_KEY: 1.0, "duration": "6s"} not in left
    assert {"tunnel.type": "gre-over-ipsec", "tunnel.ipsec.replay_window": 1024,
            "tcp.stack": "linux", calibrate.REORDER_KEY: 1.0, "duration": "6s"} in left


def test_missing_only_on_the_committed_reference_leaves_none_of_its_points():
    present = frozenset(calibrate.reference_keys(REFERENCE))
    table, _header = fig.load_reference(REFERENCE)
    assert len(present) == len(table)
    args = calibrate.parse_args(["--durations", "6", "--no-fidelity-grid"])
    left = plan_rows(calibrate.study_plan(args, present))
    for row in left:
        window = row["tunnel.ipsec.replay_window"]
        key = calibrate.point_key("reorder-collapse-6s", row["tunnel.type"], window,
                                  row[calibrate.REORDER_KEY], row["tcp.stack"])
        assert key not in present
    assert len(left) == 5 * 3 * 6 - len(table[table["path"] == "reorder-collapse-6s"])


def test_missing_only_filters_the_50_mbit_grid():
    args = calibrate.parse_args(["--durations", "6"])
    full = calibrate.grid50_plan(args)
    assert full["mode"] == "grid"
    present = frozenset({calibrate.point_key("tcp-fidelity-50M-10s", "wireguard", None, 2.0,
                                             "kernel"),
                         calibrate.point_key("tcp-fidelity-50M-10s", "gre-over-ipsec", 64, 0.0,
                                             "ns3"),
                         calibrate.point_key("reorder-collapse-6s", "none", None, 0.0, "ns3")})
    left = calibrate.grid50_plan(args, present)
    rows = plan_rows(left)
    assert left["mode"] == "zip"
    assert len(rows) == 3 * 3 * 4 - 2
    assert {"tunnel.type": "wireguard", "tcp.stack": "kernel",
            calibrate.REORDER_KEY: 2} not in rows
    assert {"tunnel.type": "none", "tcp.stack": "ns3", calibrate.REORDER_KEY: 0} in rows


def test_option_errors():
    with pytest.raises(SystemExit):
        calibrate.parse_args(["--refresh-reference", "--merge-reference"])
    with pytest.raises(SystemExit):
        calibrate.parse_args(["--missing-only", "--reference-name", "no-such-reference"])


def test_nothing_missing_runs_nothing(tmp_path, capsys):
    """Every selected point is in the reference: no sweep starts (no tunnelsim binary is
    needed) and the reference is not touched."""
    before = REFERENCE.read_text()
    code = calibrate.main([str(tmp_path / "no-build"), "--out", str(tmp_path / "out"),
                           "--stacks", "ns3,linux", "--durations", "6", "--tunnels", "none",
                           "--reorder", "0,2", "--seeds", "5", "--no-fidelity-grid",
                           "--missing-only", "--merge-reference", "--no-report"])
    assert code == 0
    assert "nothing to run" in capsys.readouterr().out
    assert REFERENCE.read_text() == before
    assert not (tmp_path / "out" / "study").exists()


def test_write_added_rows_numbers_the_parts(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    # The committed files without their 1 % rows (the rows this test adds).
    without_1pct = lambda row: float(row["reorder_pct"]) == 1.0  # noqa: E731
    (data / "ref.csv").write_text(reference_with_rows(REFERENCE.read_text(), without_1pct))
    (data / "ref-phases.csv").write_text(reference_with_rows(PHASES.read_text(), without_1pct))
    phases_before = len(pd.read_csv(data / "ref-phases.csv", comment="#"))
    old_header = calibrate.split_reference((data / "ref.csv").read_text())[0]
    first_part = 2 + sum(line.startswith("# added rows:") for line in old_header)
    monkeypatch.setattr(calibrate, "DATA", data)
    monkeypatch.setattr(sys, "argv", ["calibrate", "--seeds", "5", "--merge-reference"])
    args = argparse.Namespace(reference_name="ref", stacks=["ns3", "linux", "kernel"], seeds=5,
                              reference_note="load average 1")
    rows = new_rows()
    phases = rows[["path", "tunnel", "window", "reorder_pct", "stack", "seeds"]].assign(
        duration_s=6.0, first5s_mbps=40.0, first5s_ci95_mbps=1.0, after10s_mbps=float("nan"),
        after10s_ci95_mbps=float("nan"))
    started = datetime.datetime(2026, 12, 8, 0, 20, tzinfo=datetime.timezone.utc)
    runs = [("2026-12-08T00:20:01Z", "2026-12-08T00:29:59Z", ["e" * 40 + "-dirty"])]
    for part in (first_part, first_part + 1):
        calibrate.write_added_rows(rows, phases, args, started, f"{part}" * 40, runs)
        _table, header = fig.load_reference(data / "ref.csv")
        assert f"part {part}:" in header["added rows"]
        assert header["added commit"].split("; ")[-1].startswith(f"{part}" * 40)
        assert "2026-12-08 00:20 UTC" in header["added date"]
        # Each reorder level with the stacks this run added there.
        assert "reorder-collapse-6s none reorder % 0 (kernel), 1 (ns3,linux,kernel)" in \
            header["added points"]
        assert "load average 1" in header["added note"]
        assert f"2026-12-08T00:20:01Z to 2026-12-08T00:29:59Z (the runs' start times, UTC); " \
            f"binary built from {'e' * 40}-dirty" in header["added runs"]
        # The figure's label names the first run's date and the added runs' (once each).
        label = fig.kernel_label(header)
        first_date = header["date"].split()[0]
        assert f"measured {first_date}, 2026-12-08)" in label or \
            (first_date == "2026-12-08" and label.endswith("measured 2026-12-08)"))
        assert "Linux" in header["added kernel"]
    merged_phases = pd.read_csv(data / "ref-phases.csv", comment="#")
    assert len(merged_phases) == phases_before + 3
    # The earlier header lines are untouched at the top.
    assert (data / "ref.csv").read_text().splitlines()[:len(old_header)] == old_header


def test_runs_provenance_reads_the_runs(tmp_path):
    import json

    for point, started, commit, dirty in (("pa", "2026-12-08T00:21:00Z", "a" * 40, False),
                                          ("pb", "2026-12-08T00:20:00Z", "b" * 40, True),
                                          ("pc", "2026-12-08T00:25:00Z", "a" * 40, False)):
        run = tmp_path / "runs" / point
        run.mkdir(parents=True)
        (run / "results.json").write_text(json.dumps({"provenance": {
            "started_utc": started, "tunnelsim": {"commit": commit, "dirty": dirty}}}))
    frame = pd.DataFrame({"point": ["pa", "pb", "pc"]})
    assert calibrate.runs_provenance(tmp_path, frame) == (
        "2026-12-08T00:20:00Z", "2026-12-08T00:25:00Z", ["a" * 40, "b" * 40 + "-dirty"])


def test_default_grid_and_grid_option_are_the_same_points():
    """The default reorder levels and --grid's are the same overrides (0.0, not 0), so the
    sweep's point ids agree and a resumed calibration reuses every finished run."""
    by_default = calibrate.study_plan(calibrate.parse_args(
        ["--durations", "6", "--tunnels", "w1024", "--no-fidelity-grid"]))
    by_grid = calibrate.study_plan(calibrate.parse_args(
        ["--no-fidelity-grid", "--grid", "durations=6;tunnels=w1024;reorder=0,0.5,1,2,5,10"]))
    assert by_default["parameters"] == by_grid["parameters"]
    assert all(type(r) is float for r in by_default["parameters"][calibrate.REORDER_KEY])
    assert repr(by_default["parameters"][calibrate.REORDER_KEY][0]) == "0.0"

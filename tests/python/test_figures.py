"""Every figure script draws a non-empty image from a small crafted results set, and the HTML
report embeds every figure."""

import base64
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tunnelsim import analytic
from tunnelsim import results as ts_results
from tunnelsim.report import write_report

REPO = Path(__file__).resolve().parents[2]
ANALYSIS = REPO / "analysis"
sys.path.insert(0, str(ANALYSIS))
figures = importlib.import_module("figures")


def _results(tunnel, window, reorder, seed, stack="linux"):
    """A results.json as the engine writes it (results_schema 1) plus tunnel events."""
    ipsec = tunnel == "gre-over-ipsec"
    goodput = (40.0 / (1 + reorder) if ipsec else 40.0 - reorder) + 0.3 * seed
    if stack == "kernel":
        goodput *= 1.1
    delivered = 80_000  # about 8400 packets/s over the 9.5 s of traffic
    model = analytic.replay_drop_probability(reorder / 100, 0.010, delivered / 9.5, window)
    drops = int(delivered * model * (1 + 0.02 * seed)) if ipsec else 0
    scenario = {"name": "crafted", "seed": seed, "duration": "10s", "tcp": {"stack": stack},
                "tunnel": {"type": tunnel, "ipsec": {"replay_window": window}},
                "impairment": {"access": {"down": {"delay": "10ms", "reorder": reorder,
                                                   "reorder_correlation": 0, "gap": 1}}},
                "traffic": {"bulk": [{"direction": "download", "start": "0.5s"}]}}
    events = [{"time_s": 0.01, "kind": "handshake_initiation", "side": "home"},
              {"time_s": 0.05, "kind": "handshake_complete", "side": "home"},
              {"time_s": 5.0, "kind": "rekey", "side": "work"}]
    return {"scenario": scenario, "description": "crafted", "versions": {"tunnelsim": "0.1.0",
                                                                          "results_schema": 1},
            "flows": [{"id": "bulk0", "kind": "bulk", "direction": "download",
                       "goodput_mbps": goodput, "retransmissions": 10 * reorder,
                       "data_segments_sent": 80_000, "start_s": 0.5, "end_s": 10.0}],
            "impairments": {"access.down": {"netem": {"packets": delivered,
                                                      "delivered": delivered,
                                                      "reordered": int(delivered * reorder / 100)}}},
            "tunnel": {"type": tunnel, "events": events,
                       "counters": {"handshakes": 2, "rekeys": 1, "replay_drops": drops,
                                    "overhead_bytes": (73 if ipsec else 60) * 80_000,
                                    "packets_encapsulated": 80_000,
                                    "packets_decapsulated": 80_000 - drops}}}


def _timeseries(reorder, ipsec):
    lines = ["time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms"]
    for i in range(1, 51):
        t = i * 0.2
        collapse = ipsec and reorder > 0 and t > 3
        lines.append(f"{t:.1f},bulk0,bulk,{5.0 if collapse else 40.0},"
                     f"{14480 if collapse else 14480 * min(i, 40)},40.5")
        lines.append(f"{t:.1f},ping0,ping,,,40.2")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crafted")
    for tunnel, window in (("wireguard", 64), ("gre-over-ipsec", 64), ("gre-over-ipsec", 1024)):
        for reorder in (0, 2, 5):
            for seed in (1, 2, 3):
                run = root / f"{tunnel}-w{window}-r{reorder}-s{seed}"
                run.mkdir()
                (run / "results.json").write_text(
                    json.dumps(_results(tunnel, window, reorder, seed)))
                (run / "timeseries.csv").write_text(
                    _timeseries(reorder, tunnel == "gre-over-ipsec"))
    # The same points measured with real Linux TCP (tunnelsim emulate), for the fidelity figure.
    for tunnel, window in (("wireguard", 64), ("gre-over-ipsec", 64)):
        for reorder in (0, 2, 5):
            for seed in (1, 2, 3):
                run = root / f"{tunnel}-w{window}-r{reorder}-s{seed}-kernel"
                run.mkdir()
                (run / "results.json").write_text(
                    json.dumps(_results(tunnel, window, reorder, seed, stack="kernel")))
    return root


def _assert_image(path: Path):
    assert path.is_file() and path.stat().st_size > 2000, path
    if path.suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "<svg" in path.read_text()[:2000]


@pytest.mark.parametrize("name", figures.FIGURE_MODULES)
def test_each_figure_draws_png_and_svg(crafted, tmp_path, name):
    module = importlib.import_module(name)
    paths = [p for p in module.make(ts_results.load(crafted), tmp_path) if p.suffix != ".csv"]
    assert sorted(p.suffix for p in paths) == [".png", ".svg"]
    for path in paths:
        _assert_image(path)


def test_figure_script_runs_from_the_command_line(crafted, tmp_path, python_path_env):
    done = subprocess.run([sys.executable, str(ANALYSIS / "fig_goodput_vs_reorder.py"),
                           str(crafted), "--out", str(tmp_path)], env=python_path_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _assert_image(tmp_path / "goodput_vs_reorder.png")
    _assert_image(tmp_path / "goodput_vs_reorder.svg")


def test_loaded_table_and_ci(crafted):
    rs = ts_results.load(crafted)
    assert len(rs.runs) == 45 and len(rs.table) == 45
    assert {"tunnel.type", "tunnel.ipsec.replay_window", "impairment.access.down.reorder",
            "goodput_mbps", "replay_drops"} <= set(rs.table.columns)
    mean, half, n = ts_results.mean_ci([1.0, 2.0, 3.0])
    assert (mean, n) == (2.0, 3) and half == pytest.approx(4.302653 / 3 ** 0.5, rel=1e-5)


def test_tcp_fidelity_table_compares_each_model_with_the_kernel(crafted, tmp_path):
    fidelity = importlib.import_module("fig_tcp_fidelity")
    rs = ts_results.load(crafted)
    numbers = fidelity.table(rs)
    # Points where both stacks ran: WireGuard and GRE/IPsec w=64 at three reorder levels.
    both = numbers.dropna(subset=["kernel Mbit/s"])
    assert len(both) == 6
    # The crafted kernel runs are 10 % faster than the Linux-like ones at every point.
    assert both["linux vs kernel %"].tolist() == pytest.approx([100 / 1.1 - 100] * 6)
    assert both["linux within ±15%"].all()
    wireguard = both[(both["tunnel"] == "WireGuard") & (both["reorder %"] == 0)].iloc[0]
    assert wireguard["kernel Mbit/s"] == pytest.approx(1.1 * (40.0 + 0.6))
    assert wireguard["kernel runs"] == 3
    paths = fidelity.make(rs, tmp_path)
    assert (tmp_path / "tcp_fidelity.csv").read_text().count("\n") == len(numbers) + 1
    assert any(p.suffix == ".png" for p in paths)


def test_report_embeds_every_figure(crafted, tmp_path):
    out = write_report(crafted, tmp_path / "report.html")
    text = out.read_text()
    for module in figures.load_all():
        match = re.search(rf'<figure id="fig-{module.NAME}">.*?src="data:image/png;base64,'
                          rf'([A-Za-z0-9+/=]+)"', text, re.S)
        assert match, module.NAME
        assert base64.b64decode(match.group(1))[:4] == b"\x89PNG"
    assert "Not applicable" not in text
    assert "<h2>Numbers</h2>" in text and "goodput_mbps" in text
    assert "<h2>Scenarios</h2>" in text and "&quot;replay_window&quot;" in text
    assert "<h2>Versions</h2>" in text and "matplotlib" in text and "0.1.0" in text
    assert "src=\"http" not in text and "href=\"http" not in text  # self-contained


def test_report_command_on_a_sweep(tmp_path, python_path_env):
    import tunnelsim
    from test_sweep import FAKE_SPEC, fake_runner
    tunnelsim.sweep(FAKE_SPEC, out_dir=tmp_path / "s", runner=fake_runner, progress=False)
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "report", str(tmp_path / "s")],
                          env=python_path_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "s" / "report.html").read_text()
    assert 'id="fig-goodput_vs_reorder"' in text and "<h2>Sweep</h2>" in text
    done = subprocess.run([sys.executable, "-m", "tunnelsim", "report", str(tmp_path / "nope")],
                          env=python_path_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2

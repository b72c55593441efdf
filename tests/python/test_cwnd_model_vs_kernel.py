"""analysis/cwnd_model_vs_kernel.py on tiny synthetic run directories: it pairs a model run with
the kernel run of the same scenario point and seed (and no other), refuses directories that
are not runs and incomplete or doubled pairs with exit code 2, finds where each leaves slow
start, and writes one figure with two panels per pair."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "analysis" / "cwnd_model_vs_kernel.py"
sys.path.insert(0, str(REPO / "analysis"))
cmk = importlib.import_module("cwnd_model_vs_kernel")

MSS = 1000
RTT_S = 0.08
STEP_S = 0.02


def slow_start_then_linear(exit_segments):
    """cwnd (segments) every 20 ms: doubling per 80 ms RTT from 10 until exit_segments, then
    +1 segment per sample; 3 s long."""
    times, cwnd = [], []
    value, t = 10.0, STEP_S
    while t < 3.0:
        times.append(round(t, 6))
        cwnd.append(round(value))
        if value < exit_segments:
            value = min(value * 2 ** (STEP_S / RTT_S), exit_segments)
        else:
            value += 1
        t += STEP_S
    return times, cwnd


def write_run(root, stack, seed, reorder, goodput, exit_segments, retransmissions=0,
              duration="3s"):
    """A run directory as `tunnelsim run` (stack linux) or `emulate` (stack kernel) writes it."""
    directory = Path(root) / f"{stack}-r{reorder}-s{seed}-{duration}"
    directory.mkdir(parents=True)
    scenario = {"name": "reorder-collapse", "seed": seed, "duration": duration,
                "tunnel": {"type": "none"},
                "impairment": {"access": {"down": {"reorder": reorder, "delay": "10ms"}}},
                "output": {"interval": "20ms"},
                "tcp": {"stack": stack, "congestion": "cubic-linux", "segment_size": MSS}}
    flow = {"id": "bulk0", "kind": "bulk", "goodput_mbps": goodput, "end_s": 3.0,
            "retransmissions": retransmissions, "rtt_ms": {"min": RTT_S * 1000},
            "linux_tcp": {"fast_recoveries": 1 if retransmissions else 0}}
    (directory / "results.json").write_text(json.dumps(
        {"scenario": scenario, "flows": [flow, {"id": "ping0", "kind": "ping"}]}))
    times, cwnd = slow_start_then_linear(exit_segments)
    if stack == "kernel":
        lines = ["time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms,ssthresh_segments,ca_state,"
                 "total_retrans,reord_seen,reordering"]
        exited = False
        for t, c in zip(times, cwnd):
            exited = exited or c >= exit_segments
            ssthresh = exit_segments if exited else cmk.SSTHRESH_UNSET
            retrans = retransmissions if t >= 1.0 else 0
            lines.append(f"{t},bulk0,bulk,50,{c * MSS},80,{ssthresh},0,{retrans},0,3")
            lines.append(f"{t},ping0,ping,,,,,,,,")
    else:
        lines = ["time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms"]
        for t, c in zip(times, cwnd):
            lines.append(f"{t},bulk0,bulk,50,{c * MSS},80")
            lines.append(f"{t},ping0,ping,,,")
    (directory / "timeseries.csv").write_text("\n".join(lines) + "\n")
    return directory


def run_script(*args, out):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def four_runs(tmp_path):
    """Seeds 1 and 2 at one reordering level, model and kernel; every goodput distinct."""
    return {
        ("linux", 1): write_run(tmp_path, "linux", 1, 2, 41.0, 160),
        ("linux", 2): write_run(tmp_path, "linux", 2, 2, 42.0, 300, retransmissions=3),
        ("kernel", 1): write_run(tmp_path, "kernel", 1, 2, 81.0, 170),
        ("kernel", 2): write_run(tmp_path, "kernel", 2, 2, 82.0, 640, retransmissions=5),
    }


def test_pairs_model_and_kernel_of_the_same_seed(four_runs, tmp_path):
    # A third point differing only in the reordering level, given in shuffled order.
    other = [write_run(tmp_path, "kernel", 1, 0.5, 83.0, 1200),
             write_run(tmp_path, "linux", 1, 0.5, 43.0, 170)]
    dirs = [four_runs[("kernel", 2)], other[0], four_runs[("linux", 1)],
            four_runs[("kernel", 1)], other[1], four_runs[("linux", 2)]]
    pairs = cmk.pair_runs([cmk.Run(d) for d in dirs])
    got = [(m.scenario["impairment.access.down.reorder"], m.scenario["seed"], m.goodput,
            k.scenario["seed"], k.goodput, m.is_kernel, k.is_kernel) for m, k in pairs]
    assert got == [(0.5, 1, 43.0, 1, 83.0, False, True),
                   (2, 1, 41.0, 1, 81.0, False, True),
                   (2, 2, 42.0, 2, 82.0, False, True)]


def test_slow_start_exit_and_retransmissions(four_runs):
    kernel = cmk.Run(four_runs[("kernel", 2)])
    t, cwnd, how = kernel.slow_start_exit()
    assert cwnd == 640 and how == "ssthresh set"
    times, counts, from_series = kernel.retransmissions()
    assert from_series and counts[0] == 0 and counts[-1] == 5
    model = cmk.Run(four_runs[("linux", 2)])
    t_model, cwnd_model, how_model = model.slow_start_exit()
    assert how_model == "derived from cwnd"
    assert 300 * 0.95 <= cwnd_model <= 300 * 1.05, cwnd_model
    # 10 -> 300 doubling every 80 ms takes log2(30) RTTs = 0.39 s after the first sample.
    assert abs(t_model - (STEP_S + 0.39)) <= 2 * STEP_S, t_model
    times, counts, from_series = model.retransmissions()
    assert not from_series and list(counts) == [3] and list(times) == [3.0]
    # A series that doubles to the end never left slow start.
    assert cmk.derived_slow_start_exit([0.0, 0.08, 0.16], [10, 20, 40], 0.08) is None


def test_figure_has_two_panels_per_pair_titled_with_its_own_runs(four_runs, tmp_path):
    pairs = cmk.pair_runs([cmk.Run(d) for d in four_runs.values()])
    fig = cmk.build_figure(pairs)
    assert len(fig.axes) == 2 * len(pairs) == 4
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 2
    assert "seed 1" in titles[0] and "kernel 81.0, model 41.0 Mbit/s" in titles[0].replace(
        "\n", " ")
    assert "seed 2" in titles[1] and "kernel 82.0, model 42.0 Mbit/s" in titles[1].replace(
        "\n", " ")
    cmk.plotlib.plt.close(fig)

    out = tmp_path / "fig"
    result = run_script(*four_runs.values(), out=out)
    assert result.returncode == 0, result.stderr
    png = out / f"{cmk.NAME}.png"
    assert png.is_file() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "leaves slow start" in result.stdout


def test_refuses_a_directory_that_is_not_a_run(four_runs, tmp_path):
    empty = tmp_path / "not-a-run"
    empty.mkdir()
    result = run_script(*four_runs.values(), empty, out=tmp_path / "fig")
    assert result.returncode == 2
    assert "not a run" in result.stderr and "not-a-run" in result.stderr
    assert not (tmp_path / "fig").exists()


def test_refuses_an_incomplete_or_doubled_pair(four_runs, tmp_path):
    # The kernel run of seed 2 is missing.
    runs = [four_runs[k] for k in (("linux", 1), ("kernel", 1), ("linux", 2))]
    result = run_script(*runs, out=tmp_path / "fig")
    assert result.returncode == 2
    assert "incomplete pair" in result.stderr and "seed 2" in result.stderr
    # A kernel run of the same seed but another duration is not its partner either.
    longer = write_run(tmp_path, "kernel", 2, 2, 82.0, 640, duration="6s")
    result = run_script(*runs, longer, out=tmp_path / "fig")
    assert result.returncode == 2 and "incomplete pair" in result.stderr
    # Two model runs of one point.
    twin = tmp_path / "twin"
    twin.mkdir()
    for name in ("results.json", "timeseries.csv"):
        (twin / name).write_bytes((four_runs[("linux", 1)] / name).read_bytes())
    result = run_script(*four_runs.values(), twin, out=tmp_path / "fig")
    assert result.returncode == 2 and "two model runs" in result.stderr
    assert not (tmp_path / "fig").exists()


def test_refuses_malformed_results_and_series(four_runs, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "timeseries.csv").write_text("time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms\n")
    for results, expected in ((b"{not json", "not readable JSON"),
                              (b'{"scenario": {"name": "x"}, "flows": 3}', "no list of flows"),
                              (b'{"scenario": {"name": "x"}, "flows": [1]}', "no bulk flow")):
        (bad / "results.json").write_bytes(results)
        result = run_script(four_runs[("linux", 1)], bad, out=tmp_path / "fig")
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr
    # A bulk flow whose series holds no numeric cwnd sample.
    (bad / "results.json").write_text((four_runs[("linux", 1)] / "results.json").read_text())
    (bad / "timeseries.csv").write_text("time_s,flow,kind,goodput_mbps,cwnd_bytes,rtt_ms\n"
                                        "0.02,bulk0,bulk,1,lots,80\n")
    result = run_script(bad, four_runs[("kernel", 1)], out=tmp_path / "fig")
    assert result.returncode == 2 and "no cwnd samples" in result.stderr, result.stderr

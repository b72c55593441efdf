"""Every figure script draws from a small crafted results set in every format (PNG, SVG, PDF,
PGF) at paper widths, and the figures are checked by rendering them: the PDF through
pdftoppm (poppler-utils) and the PNG, for pixel size, aspect and ink; the PGF for being a
complete pgfpicture of the right size. The HTML report embeds every figure and tells the
study's story (tests/python/test_report.py checks its numbers)."""

import base64
import html
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
            "provenance": {"tunnelsim": {"commit": "0123abc", "dirty": False},
                           "build": {"type": "Release", "compiler": "GNU 12.2.0"},
                           "host": {"cpu": "Crafted CPU", "cores": 2, "kernel": "6.1"},
                           "libraries": {"ns3": "3.37"}},
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


def _udp_results(window, reorder, seed):
    """A constant-rate UDP run as the engine writes it: 8320 packets/s for 2.5 s, with the
    replay drops the analytic model predicts, give or take 2 % per seed."""
    packets = 20_800
    model = analytic.replay_drop_probability(reorder / 100, 0.010, packets / 2.5, window)
    drops = int(packets * model * (1 + 0.02 * (seed - 2)))
    return {"scenario": {"name": "replay-window-udp", "seed": seed, "duration": "3s",
                         "tunnel": {"type": "gre-over-ipsec", "ipsec": {"replay_window": window}},
                         "impairment": {"access": {"down": {"delay": "10ms", "reorder": reorder,
                                                            "reorder_correlation": 0, "gap": 1}}},
                         "traffic": {"udp": [{"direction": "download", "start": "0.5s",
                                              "rate": "80Mbps", "packet_size": 1200}]}},
            "flows": [{"id": "udp0", "kind": "udp", "direction": "download", "start_s": 0.5,
                       "end_s": 3.0, "packets_sent": packets, "goodput_mbps": 70.0}],
            "impairments": {"access.down": {"netem": {"packets": packets, "delivered": packets,
                                                      "lost": 0, "queue_drops": 0}}},
            "tunnel": {"type": "gre-over-ipsec", "counters": {"replay_drops": drops}}}


@pytest.fixture(scope="module")
def crafted_udp(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crafted_udp")
    for window in (32, 64, 1024):
        for reorder in (0.5, 1, 5):
            for seed in (1, 2, 3):
                run = root / f"w{window}-r{reorder}-s{seed}"
                run.mkdir()
                (run / "results.json").write_text(json.dumps(_udp_results(window, reorder, seed)))
    return root


def _results_for(name, crafted, crafted_udp):
    return ts_results.load(crafted_udp if name == "fig_replay_analytic" else crafted)


def _assert_image(path: Path):
    assert path.is_file() and path.stat().st_size > 2000, path
    if path.suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    elif path.suffix == ".svg":
        assert "<svg" in path.read_text()[:2000]
    elif path.suffix == ".pdf":
        assert path.read_bytes()[:5] == b"%PDF-"


def _ink(pixels) -> tuple:
    """(fraction of pixels that are not white, number of distinct colours)."""
    rgb = (pixels[..., :3] * 255).round().astype(int) if pixels.dtype != "uint8" else pixels[..., :3]
    not_white = (rgb < 245).any(axis=-1).mean()
    colours = len({tuple(c) for c in rgb.reshape(-1, 3)[::7]})
    return float(not_white), colours


def _check_raster(path: Path, width_in: float, dpi: int):
    import matplotlib.image
    pixels = matplotlib.image.imread(str(path))
    height, width = pixels.shape[:2]
    assert abs(width - width_in * dpi) <= 1, (path, width)
    # Paper figures: never taller than about one and a half times their width.
    assert 0.3 * width <= height <= 1.6 * width, (path, width, height)
    ink, colours = _ink(pixels)
    assert 0.02 < ink < 0.6, (path, ink)  # drawn on, and not a solid block
    assert colours >= 4, (path, colours)  # text, axes and at least two series colours
    return width, height


def _render_pdf(pdf: Path, dpi: int = 100) -> Path:
    done = subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf),
                           str(pdf.with_suffix(""))+ "-rendered"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return pdf.with_name(pdf.stem + "-rendered.png")


def _check_pgf(path: Path, width_in: float, labels: list):
    text = path.read_text()
    assert text.startswith("%% Creator: Matplotlib, PGF backend")
    assert text.count("\\begin{pgfpicture}") == 1 and text.rstrip().endswith("\\endgroup%")
    assert text.count("\\end{pgfpicture}") == 1
    body = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
    assert body.count("{") == body.count("}"), "unbalanced braces"
    size = re.search(r"\\pgfpathrectangle\{\\pgfpointorigin\}\{\\pgfqpoint\{([0-9.]+)in\}"
                     r"\{([0-9.]+)in\}\}", text)
    assert size and float(size.group(1)) == pytest.approx(width_in, abs=0.01)
    assert "\\pgftext" in text and "\\pgfusepath{stroke}" in text
    for label in labels:  # axis labels as LaTeX text (units escaped as LaTeX wants)
        assert label in text, label


@pytest.mark.parametrize("width, width_in", [("column", 3.5), ("page", 7.16)])
@pytest.mark.parametrize("name", figures.FIGURE_MODULES)
def test_each_figure_renders_in_every_format(crafted, crafted_udp, tmp_path, name, width,
                                             width_in):
    import shutil
    from tunnelsim import style
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils, scripts/install-deps) missing"
    module = importlib.import_module(name)
    style.configure("png,svg,pdf,pgf", width)
    try:
        paths = [p for p in module.make(_results_for(name, crafted, crafted_udp), tmp_path)
                 if p.suffix != ".csv"]
    finally:
        style.configure("png,svg", "screen")
    assert sorted(p.suffix for p in paths) == [".pdf", ".pgf", ".png", ".svg"]
    by_suffix = {p.suffix: p for p in paths}
    for path in paths:
        _assert_image(path)
    png_size = _check_raster(by_suffix[".png"], width_in, style.DPI)
    pdf_size = _check_raster(_render_pdf(by_suffix[".pdf"], 100), width_in, 100)
    # The PDF and the PNG are the same figure: the same aspect.
    assert png_size[1] / png_size[0] == pytest.approx(pdf_size[1] / pdf_size[0], abs=0.01)
    labels = {"fig_goodput_vs_reorder": ["bulk goodput (Mbit/s)"],
              "fig_replay_analytic": ["replay-window drops (\\% of packets)"],
              "fig_cwnd": ["congestion window (KiB)", "time (s)"]}.get(name, [])
    _check_pgf(by_suffix[".pgf"], width_in, labels)


def test_every_axis_has_a_unit(crafted, crafted_udp, tmp_path):
    """Every numeric axis label of every figure names its unit in parentheses."""
    import matplotlib.pyplot as plt
    from tunnelsim import style
    seen = []
    original = style.save

    def capture(fig, out_dir, name, formats=None):
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            ylabel = ax.get_ylabel() or next(  # a panel sharing y with a labelled one
                (s.get_ylabel() for s in ax.get_shared_y_axes().get_siblings(ax)
                 if s.get_ylabel()), "")
            for label, ticks in ((ax.get_xlabel(), ax.get_xticklabels()),
                                 (ylabel, ax.get_yticklabels())):
                numeric = all(re.fullmatch(r"[-−0-9.e+ ]*", t.get_text() or "0")
                              for t in ticks)
                if numeric:
                    seen.append((name, label))
                    assert re.search(r"\(.+\)", label), (name, label)
        return original(fig, out_dir, name, formats)

    style.save = capture
    try:
        for name in figures.FIGURE_MODULES:
            importlib.import_module(name).make(_results_for(name, crafted, crafted_udp),
                                               tmp_path)
    finally:
        style.save = original
        plt.close("all")
    assert len({n for n, _l in seen}) >= 7, seen


def test_tunnel_styles_are_distinct_and_colour_blind_safe():
    from tunnelsim import style
    configs = [("none", None), ("wireguard", None), ("gre", None), ("ipsec", 64),
               ("gre-over-ipsec", 32), ("gre-over-ipsec", 64), ("gre-over-ipsec", 128),
               ("gre-over-ipsec", 1024)]
    looks = [style.tunnel_style(t, w) for t, w in configs]
    colours = [look["color"] for look in looks]
    assert len(set(colours)) == len(colours), colours  # one colour per configuration
    assert set(colours) - {style.GREY} <= set(style.OKABE_ITO.values())
    ipsec = [look for (t, _w), look in zip(configs, looks) if t == "gre-over-ipsec"]
    assert len({(look["marker"], str(look["linestyle"])) for look in ipsec}) == len(ipsec)
    # The same tunnel gets the same style wherever it is drawn.
    assert style.tunnel_style("gre-over-ipsec", 64.0) == style.tunnel_style("gre-over-ipsec", 64)
    with pytest.raises(ValueError):
        style.configure("png,tiff")
    with pytest.raises(ValueError):
        style.configure(width="a4")
    assert style.parse_formats("pdf,pgf") == ("png", "pdf", "pgf")


def test_wide_intervals_are_ringed_and_counted(tmp_path):
    """Points whose interval exceeds ±15 % of the mean are ringed, and the note under the
    figure says how many and how many seeds each point has (read back from the SVG text)."""
    from tunnelsim import style
    root = tmp_path / "runs"
    # reorder 0: 80, 81, 79 (narrow); reorder 2: 10, 30, 20 (wide: ±124 %).
    for reorder, values in ((0, [80.0, 81.0, 79.0]), (2, [10.0, 30.0, 20.0])):
        for seed, goodput in enumerate(values, start=1):
            run = root / f"r{reorder}-s{seed}"
            run.mkdir(parents=True)
            document = _results("gre-over-ipsec", 64, reorder, seed)
            document["flows"][0]["goodput_mbps"] = goodput
            (run / "results.json").write_text(json.dumps(document))
    module = importlib.import_module("fig_goodput_vs_reorder")
    table = ts_results.load(root).table
    agg = importlib.import_module("plotlib").aggregate(table, "impairment.access.down.reorder",
                                                       "goodput_mbps")
    assert agg["wide"].tolist() == [False, True]
    assert agg["n"].tolist() == [3, 3]
    assert agg["ci"].iloc[1] == pytest.approx(scipy_half([10.0, 30.0, 20.0]))
    paths = module.make(ts_results.load(root), tmp_path / "fig")
    svg = next(p for p in paths if p.suffix == ".svg").read_text()
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", svg)))
    assert "n = 3 seeds per point" in text
    assert "Ringed: 1 of 2 points" in text
    assert style.WIDE_FRACTION == 0.15


def scipy_half(values):
    import numpy as np
    import scipy.stats
    return scipy.stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / len(values) ** 0.5


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


def test_report_embeds_every_figure(crafted, crafted_udp, tmp_path):
    out = write_report(crafted, tmp_path / "report.html", cross_check=crafted_udp)
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
    for heading in ("Finding", "Where packets were lost", "Analytic cross-check", "Provenance",
                    "How to reproduce"):
        assert f"<h2>{heading}</h2>" in text, heading
    assert "The model lies within the simulated 95 % interval at" in text
    assert "0123abc" in text and "Crafted CPU" in text


def test_report_leaves_the_model_off_tcp_runs(crafted, tmp_path):
    text = write_report(crafted, tmp_path / "report.html").read_text()
    assert 'id="fig-replay_drops_analytic"' not in text
    assert "the model does not apply to TCP" in text
    assert "No constant-rate UDP runs" in text


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


def test_analytic_cross_check_uses_constant_rate_udp_only(crafted, crafted_udp, tmp_path):
    module = importlib.import_module("fig_replay_analytic")
    numbers = module.table(ts_results.load(crafted_udp))
    assert len(numbers) == 9 and set(numbers["seeds"]) == {3}
    assert numbers["R pkt/s"].tolist() == pytest.approx([20_800 / 2.5] * 9)  # sent / active
    w32 = numbers[(numbers["window"] == 32) & (numbers["reorder %"] == 1)].iloc[0]
    assert w32["model drop %"] == pytest.approx(
        100 * analytic.replay_drop_probability(0.01, 0.010, 8320, 32))
    assert numbers["model in interval"].all()  # the crafted drops are the model's ± 2 %
    # TCP downloads are not a constant-rate flow: no model drawn against them.
    assert module.table(ts_results.load(crafted)) is None
    assert module.make(ts_results.load(crafted), tmp_path) == []
    svg = next(p for p in module.make(ts_results.load(crafted_udp), tmp_path)
               if p.suffix == ".svg").read_text()
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", svg)))
    assert "Model inputs: R = 8320 packets/s" in text and "D = 10 ms" in text


@pytest.mark.parametrize("width", ["column", "page"])
def test_labels_titles_and_legends_stay_inside_the_figure(crafted, crafted_udp, tmp_path,
                                                          width):
    """After the style's layout, no axis label, tick label, title or legend is cut off by the
    figure's edge (a long label at column width would be)."""
    import matplotlib.pyplot as plt
    from tunnelsim import style
    checked = []
    original = style.save

    def check(fig, out_dir, name, formats=None):
        style._reserve_space(fig)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        width_px, height_px = fig.bbox.width, fig.bbox.height
        texts = list(fig.legends) + list(fig.texts)
        for ax in fig.axes:
            if ax.get_visible():
                texts += [ax.xaxis.label, ax.yaxis.label, ax.title]
                (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
                texts += [t for t in ax.get_xticklabels()
                          if t.get_text() and x0 <= t.get_position()[0] <= x1]
                texts += [t for t in ax.get_yticklabels()
                          if t.get_text() and y0 <= t.get_position()[1] <= y1]
        for artist in texts:
            box = artist.get_window_extent(renderer)
            if box.width == 0:
                continue
            assert box.x0 >= -1 and box.y0 >= -1, (name, getattr(artist, "get_text", str)())
            assert box.x1 <= width_px + 1 and box.y1 <= height_px + 1, (
                name, getattr(artist, "get_text", str)())
        checked.append(name)
        plt.close(fig)
        return []

    style.configure("png", width)
    style.save = check
    try:
        for name in figures.FIGURE_MODULES:
            importlib.import_module(name).make(_results_for(name, crafted, crafted_udp),
                                               tmp_path)
    finally:
        style.save = original
        style.configure("png,svg", "screen")
        plt.close("all")
    assert len(checked) == len(figures.FIGURE_MODULES)

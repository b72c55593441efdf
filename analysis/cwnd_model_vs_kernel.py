"""The model's and the real kernel's congestion window in one figure (issue 16 part 4).

    /usr/bin/python3 analysis/cwnd_model_vs_kernel.py RUN_DIR... [--out DIR]
        [--figure-format png,svg,pdf,pgf] [--width screen|column|page]

Each RUN_DIR is one run: `tunnelsim run` (the model; its Linux-like stack's default congestion
control is cubic-linux) or `tunnelsim emulate` (real Linux TCP). Runs are paired by their
results.json: the same scenario in every key but tcp.stack (so the same name, seed, tunnel,
reordering, duration and output interval), one of them with tcp.stack = "kernel" and one
without. Every run must find its partner; a directory that is not a run, a run without
partner, or two runs for the same side of a pair is refused with exit code 2.

The figure has one column per pair: on top the bulk flow's cwnd in segments over time, model
and kernel in one panel, each one's ssthresh dotted where its timeseries.csv has the column
(the kernel's always; the model's since it writes ssthresh_segments and total_retrans as the
kernel's), and where each left slow start marked: the first sample whose ssthresh is set; for
a model run without that column, derived from its cwnd: the first sample after which cwnd no
longer grows 1.5 times within one minimum RTT (slow start doubles it), taken at the largest
cwnd of that round trip. Below it the cumulative retransmissions (total_retrans; a model run
without the column shows its run's total from results.json as one point at the end). The kernel's recovery states (ca_state 3/4)
are shaded. Writes cwnd_model_vs_kernel.{png,svg} to --out (default results/cwnd_model_vs_kernel).
"""

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plotlib  # noqa: E402

NAME = "cwnd_model_vs_kernel"
KERNEL_STACK = "kernel"
SSTHRESH_UNSET = 2147483647  # TCP_INFO's snd_ssthresh before slow start has ever ended
RETRANS_COLUMNS = ("total_retrans", "retransmissions")  # cumulative counts, if present
RECOVERY_STATES = (3, 4)  # TCP_CA_Recovery, TCP_CA_Loss
SLOW_START_GROWTH = 1.5  # slow start doubles cwnd per RTT; below this it has ended
EXIT_PEAK_FRACTION = 0.95  # the derived exit: first sample of its RTT this close to the peak
KERNEL_STYLE = dict(color=plotlib.style.STACK_STYLES["kernel"][0], linestyle="--")
MODEL_STYLE = dict(color=plotlib.style.STACK_STYLES["linux"][0], linestyle="-")


class RunError(ValueError):
    """A directory is not a usable run, or the runs do not pair up."""


def _flatten(tree, prefix=""):
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class Run:
    """One run directory: its scenario, side (kernel or model), bulk flow and time series."""

    def __init__(self, directory):
        self.dir = Path(directory)
        results_path = self.dir / "results.json"
        series_path = self.dir / "timeseries.csv"
        if not self.dir.is_dir():
            raise RunError(f"{self.dir}: not a directory")
        if not results_path.is_file() or not series_path.is_file():
            raise RunError(f"{self.dir}: not a run (needs results.json and timeseries.csv)")
        try:
            self.results = json.loads(results_path.read_text())
        except (OSError, ValueError) as error:
            raise RunError(f"{results_path}: not readable JSON ({error})") from None
        scenario = self.results.get("scenario") if isinstance(self.results, dict) else None
        if not isinstance(scenario, dict) or "name" not in scenario:
            raise RunError(f"{results_path}: no scenario with a name")
        self.scenario = _flatten(scenario)
        self.stack = self.scenario.get("tcp.stack", "linux")
        self.is_kernel = self.stack == KERNEL_STACK
        flows = self.results.get("flows")
        if not isinstance(flows, list):
            raise RunError(f"{results_path}: no list of flows")
        bulk = [f for f in flows if isinstance(f, dict) and f.get("kind") == "bulk"
                and isinstance(f.get("id"), str)]
        if not bulk:
            raise RunError(f"{results_path}: no bulk flow")
        self.flow = bulk[0]
        try:
            series = pd.read_csv(series_path)
        except (OSError, ValueError) as error:
            raise RunError(f"{series_path}: not a readable CSV ({error})") from None
        for column in ("time_s", "flow", "cwnd_bytes"):
            if column not in series.columns:
                raise RunError(f"{series_path}: no '{column}' column")
        series = series[series["flow"] == self.flow["id"]].copy()
        for column in series.columns:
            if column not in ("flow", "kind"):
                series[column] = pd.to_numeric(series[column], errors="coerce")
        series = series.dropna(subset=["time_s", "cwnd_bytes"])
        if series.empty:
            raise RunError(f"{series_path}: no cwnd samples of flow {self.flow['id']}")
        self.series = series.reset_index(drop=True)
        info = self.flow.get("kernel_tcp_info")
        mss = self.scenario.get("tcp.segment_size") or (
            info.get("snd_mss") if isinstance(info, dict) else None) or 1448
        try:
            self.mss = float(mss)
        except (TypeError, ValueError):
            raise RunError(f"{results_path}: tcp.segment_size {mss!r} is not a number") from None
        if not self.mss > 0:
            raise RunError(f"{results_path}: tcp.segment_size {mss!r} is not positive")

    @property
    def pair_key(self) -> tuple:
        """Everything of the scenario but the TCP stack: what must agree within a pair."""
        return tuple(sorted((k, json.dumps(v)) for k, v in self.scenario.items()
                            if k != "tcp.stack"))

    @property
    def side(self) -> str:
        return "kernel" if self.is_kernel else "model"

    @property
    def goodput(self) -> float:
        return float(self.flow.get("goodput_mbps", math.nan))

    def cwnd_segments(self) -> pd.Series:
        return self.series["cwnd_bytes"] / self.mss

    def retransmissions(self):
        """(times, cumulative counts, from_series): a series when timeseries.csv has a
        cumulative column, else the run's total at its end (from_series False)."""
        for column in RETRANS_COLUMNS:
            if column in self.series.columns:
                rows = self.series.dropna(subset=[column])
                if not rows.empty:
                    return rows["time_s"].to_numpy(), rows[column].to_numpy(), True
        total = self.flow.get("retransmissions")
        if total is None:
            return [], [], False
        return [float(self.flow.get("end_s", self.series["time_s"].iloc[-1]))], [total], False

    def slow_start_exit(self):
        """(time s, cwnd segments, how) where slow start ended, or None if it did not."""
        if "ssthresh_segments" in self.series.columns:
            set_rows = self.series[self.series["ssthresh_segments"].notna() &
                                   (self.series["ssthresh_segments"] < SSTHRESH_UNSET)]
            if set_rows.empty:
                return None
            row = set_rows.iloc[0]  # HyStart and a loss both set ssthresh from the exit cwnd
            return float(row["time_s"]), float(row["ssthresh_segments"]), "ssthresh set"
        return derived_slow_start_exit(self.series["time_s"].to_numpy(),
                                       self.cwnd_segments().to_numpy(),
                                       self.min_rtt_s())

    def min_rtt_s(self) -> float:
        rtt_stats = self.flow.get("rtt_ms")
        rtt = rtt_stats.get("min") if isinstance(rtt_stats, dict) else None
        if rtt is None and "rtt_ms" in self.series.columns:
            rtt = self.series["rtt_ms"].min()
        try:
            rtt = float(rtt)
        except (TypeError, ValueError):
            rtt = math.nan
        return rtt / 1000.0 if rtt > 0 else 0.1  # NaN compares False

    def recovery_intervals(self) -> list:
        """[(start s, end s)] of the samples in recovery or loss state (kernel only)."""
        if "ca_state" not in self.series.columns:
            return []
        times = self.series["time_s"].to_numpy()
        states = self.series["ca_state"].to_numpy()
        step = float(times[1] - times[0]) if len(times) > 1 else 0.0
        intervals = []
        for t, state in zip(times, states):
            if state in RECOVERY_STATES:
                if intervals and abs(intervals[-1][1] - t) < 1e-9:
                    intervals[-1][1] = t + step
                else:
                    intervals.append([t, t + step])
        return [tuple(i) for i in intervals]

    def recoveries(self):
        """The run's fast recoveries (results.json), or None where not counted."""
        return (self.flow.get("linux_tcp") or {}).get("fast_recoveries")


def derived_slow_start_exit(times, cwnd, rtt_s):
    """Slow start from the cwnd series alone: the first sample i after which cwnd does not grow
    SLOW_START_GROWTH times by the first sample one RTT later (or falls). The exit is the first
    sample of that round trip within EXIT_PEAK_FRACTION of its largest cwnd (after the exit
    CUBIC adds a few % per RTT, so this is the exit cwnd to within that). None when cwnd kept
    doubling to the end."""
    for i, t in enumerate(times):
        ahead = [j for j in range(i, len(times)) if times[j] >= t + rtt_s - 1e-9]
        if not ahead:
            return None  # not one RTT of samples left
        last = ahead[0]
        if cwnd[last] < SLOW_START_GROWTH * cwnd[i]:
            window = range(i, last + 1)
            peak = max(cwnd[j] for j in window)
            first = next(j for j in window if cwnd[j] >= EXIT_PEAK_FRACTION * peak)
            return float(times[first]), float(cwnd[first]), "derived from cwnd"
    return None


def pair_runs(runs) -> list:
    """[(model, kernel)] ordered by tunnel, reordering and seed; raises RunError on a run
    without partner or two runs on the same side of one pair."""
    groups = {}
    for run in runs:
        sides = groups.setdefault(run.pair_key, {})
        if run.side in sides:
            raise RunError(f"{run.dir} and {sides[run.side].dir}: two {run.side} runs of the "
                           f"same scenario point ({point_label(run)})")
        sides[run.side] = run
    pairs = []
    for sides in groups.values():
        if len(sides) != 2:
            (run,) = sides.values()
            missing = "model" if run.is_kernel else "kernel"
            raise RunError(f"{run.dir}: incomplete pair, no {missing} run of the same scenario "
                           f"point ({point_label(run)}); a pair differs in tcp.stack only")
        pairs.append((sides["model"], sides["kernel"]))

    def order(pair):
        s = pair[0].scenario
        return (str(s.get("tunnel.type", "")), float(s.get(plotlib.REORDER_KEY, 0) or 0),
                int(s.get("seed", 0) or 0))

    return sorted(pairs, key=order)


def point_label(run, with_name=True) -> str:
    s = run.scenario
    tunnel = s.get("tunnel.type", "none")
    window = s.get(plotlib.WINDOW_KEY) if tunnel in ("gre-over-ipsec", "ipsec") else None
    point = (f"{plotlib.tunnel_label(tunnel, window)}, reorder "
             f"{s.get(plotlib.REORDER_KEY, 0):g} %, seed {s.get('seed')}")
    return f"{s['name']}, {point}" if with_name else point


def build_figure(pairs):
    """The figure: two rows (cwnd, cumulative retransmissions), one column per pair."""
    width, _height = plotlib.figsize(panels=len(pairs))
    fig, axes = plotlib.plt.subplots(2, len(pairs), figsize=(width, max(3.2, 0.5 * width)),
                                     sharex="col", squeeze=False,
                                     gridspec_kw={"height_ratios": [3, 1.3]})
    for column, (model, kernel) in enumerate(pairs):
        top, bottom = axes[0][column], axes[1][column]
        for run, style in ((kernel, KERNEL_STYLE), (model, MODEL_STYLE)):
            label = "kernel" if run.is_kernel else f"model ({run.scenario.get('tcp.congestion')})"
            top.step(run.series["time_s"], run.cwnd_segments(), where="post",
                     label=f"{label}, cwnd", **style)
            exit_point = run.slow_start_exit()
            if exit_point:
                t, cwnd, how = exit_point
                top.plot([t], [cwnd], marker="o" if run.is_kernel else "s", markersize=6,
                         markerfacecolor="none", markeredgecolor=style["color"],
                         linestyle="none", label=f"{label}, leaves slow start ({how})")
                top.annotate(f"{cwnd:.0f}", (t, cwnd), textcoords="offset points",
                             xytext=(4, 4 if run.is_kernel else -10), fontsize="x-small",
                             color=style["color"])
            times, counts, from_series = run.retransmissions()
            if from_series:
                bottom.step(times, counts, where="post", label=label, **style)
            elif len(times):
                bottom.plot(times, counts, marker="s", color=style["color"], linestyle="none",
                            label=f"{label} (run total; no per-interval count)")
        for run, style in ((kernel, KERNEL_STYLE), (model, MODEL_STYLE)):
            if "ssthresh_segments" not in run.series.columns:
                continue
            ssthresh = run.series["ssthresh_segments"].where(
                run.series["ssthresh_segments"] < SSTHRESH_UNSET)
            top.step(run.series["time_s"], ssthresh, where="post", color=style["color"],
                     linestyle=":", linewidth=1.0, label=f"{run.side}, ssthresh")
        for start, end in kernel.recovery_intervals():
            for ax in (top, bottom):
                ax.axvspan(start, end, color=plotlib.style.GREY, alpha=0.25, linewidth=0)
        plotlib.title(top, f"{point_label(kernel, with_name=False)}\nkernel "
                           f"{kernel.goodput:.1f}, model {model.goodput:.1f} Mbit/s")
        top.set_ylim(bottom=0)
        bottom.set_ylim(bottom=0, top=max(1.0, bottom.get_ylim()[1]))
        bottom.yaxis.get_major_locator().set_params(integer=True)
        bottom.text(0.02, 0.95, f"fast recoveries: kernel {kernel.recoveries()}, "
                                f"model {model.recoveries()}", transform=bottom.transAxes,
                    va="top", fontsize="x-small")
        bottom.set_xlabel("time (s)")
        if column == 0:
            top.set_ylabel("cwnd (segments)")
            bottom.set_ylabel("retransmissions\n(cumulative)")
    names = sorted({model.scenario["name"] for model, _kernel in pairs})
    plotlib.suptitle(fig, f"{', '.join(names)}: cwnd and retransmissions of the bulk flow, "
                          f"model and real Linux TCP")
    plotlib.legend(axes[0][0], columns=2)
    plotlib.style.footnote(fig, "Grey: the kernel in recovery/loss state (ca_state 3/4). "
                                "Slow-start exit: where ssthresh is first set.")
    return fig


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run directories (tunnelsim run / emulate)")
    parser.add_argument("--out", default=str(plotlib.REPO_DIR / "results" / NAME))
    parser.add_argument("--figure-format", default=None)
    parser.add_argument("--width", default=None, choices=sorted(plotlib.style.WIDTHS_IN))
    args = parser.parse_args(argv)
    try:
        pairs = pair_runs([Run(directory) for directory in args.runs])
    except RunError as error:
        print(f"cwnd_model_vs_kernel: {error}", file=sys.stderr)
        return 2
    formats = plotlib.style.parse_formats(args.figure_format) if args.figure_format else None
    plotlib.style.configure(formats=formats, width=args.width)
    plotlib.style.apply()
    paths = plotlib.save(build_figure(pairs), args.out, NAME)
    for model, kernel in pairs:
        for run in (model, kernel):
            exit_point = run.slow_start_exit()
            where = (f"leaves slow start at {exit_point[0]:.2f} s, cwnd {exit_point[1]:.0f} "
                     f"({exit_point[2]})" if exit_point else "stays in slow start")
            times, counts, _ = run.retransmissions()
            print(f"{point_label(run)}: {run.side} {run.goodput:.1f} Mbit/s, {where}, "
                  f"retransmissions {int(counts[-1]) if len(counts) else '?'}, "
                  f"fast recoveries {run.recoveries()}")
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

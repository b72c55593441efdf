"""`diagnose --report DIR`: the fitted scenario and its trace replay, simulated for no tunnel,
WireGuard and GRE-over-IPsec with ESP windows 32, 64, 128 and 1024 over several seeds (two
sweeps through tunnelsim.sweep, run in parallel), and DIR/report.html: the measured path, the
per-window drops the capture predicts beside the simulated ones, the goodput of every tunnel
with 95 % intervals (tunnelsim.stats.mean_ci), and the figures (embedded PNG)."""

import base64
import html
import io
import json
from pathlib import Path

import pandas as pd

from .. import report as ts_report
from .. import results as ts_results
from ..stats import mean_ci
from ..sweep import SweepError, sweep
from .scenario import fitted_tables, scenario_document, write_scenarios

WINDOWS = (32, 64, 128, 1024)
# (tunnel.type, tunnel.ipsec.replay_window): the window only matters for gre-over-ipsec.
CONFIGURATIONS = [("none", 64), ("wireguard", 64)] + [("gre-over-ipsec", w) for w in WINDOWS]
DROP_PACKETS = "tunnel.counters.extra.home.esp_inbound.packets"


class VerdictError(RuntimeError):
    pass


def _label(tunnel, window):
    return f"gre-over-ipsec W={window}" if tunnel == "gre-over-ipsec" else tunnel


def run_variants(out_dir, documents, seeds, duration, jobs=None, binary=None):
    """({variant: sweep table}, {variant: {point: failure}}) for {variant: document}; the
    table holds the runs that finished."""
    tables, failures = {}, {}
    for variant, document in documents.items():
        spec = {"name": f"diagnose-{variant}", "scenario": document, "mode": "zip",
                "seeds": seeds, "set": {"duration": duration},
                "parameters": {"tunnel.type": [t for t, _ in CONFIGURATIONS],
                               "tunnel.ipsec.replay_window": [w for _, w in CONFIGURATIONS]}}
        try:
            tables[variant] = sweep(spec, out_dir=Path(out_dir) / variant, jobs=jobs,
                                    binary=binary, progress=False)
        except SweepError as error:
            # The finished runs are in sweep.csv; the report lists the failed ones.
            failures[variant] = error.failures
            done = Path(out_dir) / variant / "sweep.csv"
            if not done.is_file() or len(error.failures) == seeds * len(CONFIGURATIONS):
                raise VerdictError(f"simulating the {variant} scenario: {error}")
            tables[variant] = pd.read_csv(done)
        except FileNotFoundError as error:  # no tunnelsim CLI
            raise VerdictError(f"simulating the {variant} scenario: {error}")
    return tables, failures


def per_configuration(table):
    """Rows per (variant's) tunnel configuration: goodput mean ± 95 % half-width, replay drops
    and the simulated drop fraction of ESP packets (outside-window drops / packets arriving)."""
    rows = []
    for tunnel, window in CONFIGURATIONS:
        runs = table[(table["tunnel.type"] == tunnel)
                     & (table["tunnel.ipsec.replay_window"] == window)]
        goodput, half, n = mean_ci(runs["goodput_mbps"].tolist() if len(runs) else [])
        row = {"tunnel": _label(tunnel, window), "runs": n, "goodput_mbps": goodput,
               "goodput_ci95": half}
        drops = runs["replay_drops"] if "replay_drops" in runs else pd.Series(dtype=float)
        row["replay_drops"] = float(drops.mean()) if len(drops) else float("nan")
        if tunnel == "gre-over-ipsec" and DROP_PACKETS in runs:
            fractions = (drops / (runs[DROP_PACKETS] + drops)).tolist()
            mean, half, _ = mean_ci(fractions)
            row["drop_fraction"], row["drop_fraction_ci95"] = mean, half
        rows.append(row)
    return pd.DataFrame(rows)


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figures(summaries, predicted):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out = []
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.8 / len(summaries)
    for index, (variant, frame) in enumerate(summaries.items()):
        positions = [i + (index - (len(summaries) - 1) / 2) * width for i in range(len(frame))]
        ax.bar(positions, frame["goodput_mbps"], width, yerr=frame["goodput_ci95"].replace(
            float("inf"), 0), capsize=3, label=variant)
    ax.set_xticks(range(len(CONFIGURATIONS)))
    ax.set_xticklabels([_label(t, w) for t, w in CONFIGURATIONS], rotation=20, ha="right")
    ax.set_ylabel("goodput (Mbit/s)")
    ax.set_title("Simulated goodput on the diagnosed path (mean, 95 % interval)")
    ax.legend()
    out.append(("Goodput per tunnel", _png(fig)))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(WINDOWS, [predicted.get(str(w), 0.0) for w in WINDOWS], "ko-",
            label="predicted from the capture")
    for variant, frame in summaries.items():
        esp = frame[frame["tunnel"].str.startswith("gre-over-ipsec")]
        if "drop_fraction" in esp:
            ax.errorbar(WINDOWS, esp["drop_fraction"], yerr=esp["drop_fraction_ci95"].replace(
                float("inf"), 0), marker="s", capsize=3, label=f"simulated, {variant}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("ESP anti-replay window (packets)")
    ax.set_ylabel("fraction of packets dropped")
    ax.set_title("Anti-replay drops: capture vs simulation")
    ax.legend()
    out.append(("Anti-replay drops per window", _png(fig)))
    plt.close(fig)
    return out


def _flow_table(result):
    rows = []
    for flow in result["flows"]:
        row = {key: flow[key] for key in ("protocol", "id", "packets", "loss_fraction",
                                            "duplicates", "reordered_ratio", "reorder_extent_p50",
                                            "reorder_extent_max")}
        row["late_time_p50_ms"] = flow.get("reorder_late_time_ms", {}).get("p50", 0.0)
        row["rate_pps"] = flow.get("rate_pps", 0.0)
        row["rate_mbps"] = flow.get("rate_mbps", 0.0)
        for window, fraction in flow.get("replay_drop_fraction", {}).items():
            row[f"drops W={window}"] = fraction
        if flow["protocol"] == "tcp" and "ack_delay_ms" in flow:
            row["ack_delay_p50_ms"] = flow["ack_delay_ms"]["p50"]
            row["segments_per_ack"] = flow["segments_per_ack"]["mean"]
            row["retransmissions"] = flow["retransmissions"]
        rows.append(row)
    return pd.DataFrame(rows)


def _predicted_vs_simulated(predicted, summaries):
    rows = []
    for window in WINDOWS:
        row = {"window": window, "predicted (capture)": predicted.get(str(window), float("nan"))}
        for variant, frame in summaries.items():
            match = frame[frame["tunnel"] == _label("gre-over-ipsec", window)]
            if len(match) and "drop_fraction" in match:
                row[f"simulated, {variant}"] = (f"{match['drop_fraction'].iloc[0]:.4g} ± "
                                                f"{match['drop_fraction_ci95'].iloc[0]:.2g}")
        rows.append(row)
    return pd.DataFrame(rows)


def write_verdict(out_dir, result, flow, numbers, arrivals, fit, ack_fit, seeds=3,
                  duration="10s",
                  jobs=None, binary=None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fitted_path, trace_path, _ = write_scenarios(out_dir / "diagnosed.toml", result["capture"],
                                                 flow, arrivals, fit, ack_fit)
    tables = fitted_tables(fit, ack_fit)
    # Sweeps run each point from a temporary copy of the scenario: the trace path is absolute.
    documents = {"fitted": scenario_document(tables),
                 "trace": scenario_document(tables, trace_path=trace_path.resolve())}
    sweeps, failures = run_variants(out_dir, documents, seeds, duration, jobs, binary)
    summaries = {variant: per_configuration(table) for variant, table in sweeps.items()}
    predicted = flow.get("replay_drop_fraction", {})
    if not predicted:  # a TCP or GRE flow: predict from its order as for ESP
        from .metrics import replay_drops
        unique = len(set(numbers))
        sent = unique / (1 - flow["loss_fraction"]) if flow["loss_fraction"] < 1 else unique
        predicted = {str(w): replay_drops(numbers, w) / sent for w in WINDOWS}
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             "<title>tunnelsim diagnose: verdict</title>",
             f"<style>{ts_report._CSS}</style></head><body>",
             f"<h1>tunnelsim diagnose: {html.escape(result['capture'])}</h1>",
             "<h2>Measured path</h2>",
             f"<p>Flow fitted: {html.escape(flow['protocol'])} {html.escape(str(flow['id']))}. "
             f"Fitted netem model: reorder {100 * fit['reorder']:.3f} %, delay "
             f"{1e3 * fit['delay_s']:.3f} ms, loss {100 * fit['loss']:.3f} %"
             + (f"; ACK delay {1e3 * ack_fit['delay_s']:.2f} ms + [0, "
                f"{1e3 * ack_fit['jitter_s']:.2f}) ms" if ack_fit else "; no ACK delay "
                "(no clear TCP ACKs, or none above 1 ms)") + ".</p>",
             _flow_table(result).to_html(index=False, border=0, float_format=lambda v: f"{v:.4g}"),
             "<h3>Fit check</h3><pre>" + html.escape(json.dumps(fit["check"], indent=1))
             + "</pre>",
             "<h2>Anti-replay drops: predicted from the capture vs simulated</h2>",
             "<p>Fraction of the ESP packets sent that a window of W drops. Predicted: the "
             "capture's own order replayed through an RFC 4303 window. Simulated: "
             "outside-window drops / ESP packets arriving at the home gateway, GRE-over-IPsec, "
             f"{seeds} seeds of {html.escape(duration)}; the fitted netem scenario, and the "
             "trace replay of the capture's exact order and loss.</p>",
             _predicted_vs_simulated(predicted, summaries).to_html(
                 index=False, border=0, float_format=lambda v: f"{v:.4g}"),
             "<h2>Simulated goodput per tunnel</h2>"]
    for variant, frame in summaries.items():
        parts.append(f"<h3>{html.escape(variant)} scenario</h3>")
        parts.append(frame.to_html(index=False, border=0, float_format=lambda v: f"{v:.4g}"))
    if any(failures.values()):
        parts.append("<h2>Failed runs</h2><p>These runs did not finish; the numbers above are "
                     "over the others.</p><ul>")
        for variant, points in failures.items():
            for point, message in points.items():
                parts.append(f"<li>{html.escape(variant)} {html.escape(point)}: "
                             f"{html.escape(str(message))}</li>")
        parts.append("</ul>")
    parts.append("<h2>Figures</h2>")
    for title, data in figures(summaries, predicted):
        parts.append(f"<figure><h3>{html.escape(title)}</h3><img alt='{html.escape(title)}' "
                     f"src='data:image/png;base64,{data}'></figure>")
    parts.append("<h2>Every run</h2>")
    for variant in sweeps:
        rs = ts_results.load(out_dir / variant)
        parts.append(f"<h3>{html.escape(variant)}</h3>")
        parts.append(ts_report.summary_table(rs).to_html(index=False, border=0, na_rep=""))
    parts.append("<h2>Scenarios</h2>")
    for path in (fitted_path, out_dir / "diagnosed-trace.toml"):
        parts.append(f"<p>{html.escape(path.name)}</p><pre>{html.escape(path.read_text())}</pre>")
    parts.append("</body></html>")
    out = out_dir / "report.html"
    out.write_text("\n".join(parts))
    return out, sum(len(points) for points in failures.values())

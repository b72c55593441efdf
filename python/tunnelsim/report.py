"""`tunnelsim report RESULTS_DIR`: the study's story in one self-contained HTML file, plus the
numbers as CSV and LaTeX.

The report opens with the headline finding (one sentence, computed from the data, with its
95 % interval and number of seeds), then the per-drop attribution (where packets were lost:
the links, the queues, the replay window, authentication, the MTU), the analytic cross-check
(constant-rate UDP runs against tunnelsim.analytic, from the results themselves or from
--cross-check DIR), the figures (embedded as PNG; every configured format is written to
RESULTS_DIR/figures), the summary (mean, 95 % interval, n and a warning per point), the
scenarios, provenance and versions, and how to reproduce it all.

Written next to report.html: summary.csv (one row per point: swept keys, tunnel label, runs,
then for each metric <metric>_mean, <metric>_ci95 (Student-t half width), <metric>_n, and a
`warning` column naming every interval wider than ±15 % of its mean) and summary.tex (the
headline metrics as a LaTeX booktabs table, mean ± interval and n).
"""

import base64
import html
import importlib
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Optional

import pandas as pd

from . import results as ts_results
from . import stats, style
from .run import REPO_DIR

# Columns of the summary, when present.
SUMMARY_METRICS = ["goodput_mbps", "retransmissions", "replay_drops", "overhead_bytes",
                   "handshakes", "rekeys", "auth_failures"]
# The metrics summary.tex shows (the others are in summary.csv).
LATEX_METRICS = {"goodput_mbps": "goodput (Mbit/s)", "replay_drops": "replay drops (packets)",
                 "retransmissions": "retransmissions (segments)"}
# A point whose 95 % interval is wider than this fraction of its mean gets a warning.
WARN_FRACTION = style.WIDE_FRACTION
REORDER_KEY = "impairment.access.down.reorder"
TUNNEL_KEY = "tunnel.type"
WINDOW_KEY = "tunnel.ipsec.replay_window"
ANALYTIC_FIGURE = "replay_drops_analytic"


def analysis_dir() -> Path:
    if os.environ.get("TUNNELSIM_ANALYSIS_DIR"):
        return Path(os.environ["TUNNELSIM_ANALYSIS_DIR"])
    return REPO_DIR / "analysis"


def figure_modules() -> list:
    directory = str(analysis_dir())
    if not (Path(directory) / "figures.py").is_file():
        raise FileNotFoundError(f"no analysis scripts in {directory} (set TUNNELSIM_ANALYSIS_DIR)")
    if directory not in sys.path:
        sys.path.insert(0, directory)
    figures = importlib.import_module("figures")
    return figures.load_all()


def _versions(rs) -> dict:
    found: dict = {}
    for run in rs.runs:
        for key, value in run.results.get("versions", {}).items():
            found.setdefault(key, set()).add(str(value))
    versions = {k: ", ".join(sorted(v)) for k, v in sorted(found.items())}
    versions.update(ts_results.python_versions())
    return versions


def _scenarios(rs) -> list:
    """Distinct base scenarios (swept keys and seed blanked), with how many runs used each."""
    swept = set(rs.swept)
    distinct: dict = {}
    for run in rs.runs:
        scenario = json.loads(json.dumps(run.results.get("scenario", {})))
        for key in swept | {"seed"}:
            parts = key.split(".")
            node = scenario
            for part in parts[:-1]:
                node = node.get(part, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict) and parts[-1] in node:
                node[parts[-1]] = "(swept)"
        text = json.dumps(scenario, indent=2, sort_keys=True)
        distinct[text] = distinct.get(text, 0) + 1
    return list(distinct.items())


# --- the summary ---------------------------------------------------------------------------

def _group_keys(rs) -> list:
    table = rs.table
    keys = [k for k in rs.swept if k != "seed" and k in table.columns]
    if not keys:
        describing = [k for k in ts_results.DESCRIBING_KEYS if k in table.columns
                      and k not in ("seed", "name")]
        keys = [k for k in describing if table[k].nunique(dropna=True) > 1]
    return keys


def _with_tunnel_label(table: pd.DataFrame) -> pd.DataFrame:
    if TUNNEL_KEY not in table.columns:
        return table
    windows = table[WINDOW_KEY] if WINDOW_KEY in table.columns else pd.Series(
        math.nan, index=table.index)
    labels = [style.tunnel_label(t, w if t in ("gre-over-ipsec", "ipsec") else None)
              for t, w in zip(table[TUNNEL_KEY], windows)]
    return table.assign(tunnel=labels)


def summary_frame(rs) -> pd.DataFrame:
    """One row per point (combination of the swept keys): the keys, the tunnel label, runs,
    and per metric its mean, 95 % half width (tunnelsim.stats.mean_ci) and n; `warning`
    lists the metrics whose interval is wider than ±15 % of their mean."""
    table = _with_tunnel_label(rs.table)
    metrics = [m for m in SUMMARY_METRICS if m in table.columns]
    keys = _group_keys(rs)
    groups = (table.groupby(keys if len(keys) > 1 else keys[0], dropna=False, sort=True)
              if keys else [((), table)])
    rows = []
    for values, sub in groups:
        values = values if isinstance(values, tuple) else (values,)
        row = dict(zip(keys, values))
        if "tunnel" in sub.columns:
            row["tunnel"] = sub["tunnel"].iloc[0]
        row["runs"] = len(sub)
        warnings = []
        for metric in metrics:
            mean, half, n = stats.mean_ci(sub[metric].tolist())
            row[f"{metric}_mean"] = mean
            row[f"{metric}_ci95"] = half if math.isfinite(half) else math.nan
            row[f"{metric}_n"] = n
            if n and not (mean == 0 and half == 0):
                warning = stats.ci_warning(mean, half, WARN_FRACTION)
                if warning:
                    warnings.append(f"{metric}: {warning}")
        row["warning"] = "; ".join(warnings)
        rows.append(row)
    return pd.DataFrame(rows)


def summary_table(rs) -> pd.DataFrame:
    """The summary for reading: 'mean ± half width' per metric (n in the runs column)."""
    frame = summary_frame(rs)
    metrics = [m for m in SUMMARY_METRICS if f"{m}_mean" in frame.columns]
    shown = frame.drop(columns=[c for c in frame.columns if c.endswith(("_mean", "_ci95", "_n"))])
    for metric in metrics:
        shown[metric] = [_pm(m, h) for m, h in zip(frame[f"{metric}_mean"],
                                                    frame[f"{metric}_ci95"])]
    return shown[[c for c in shown.columns if c != "warning"] + ["warning"]]


def _pm(mean, half, digits: int = 4) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    if half is None or (isinstance(half, float) and math.isnan(half)):
        return f"{mean:.{digits}g}"
    return f"{mean:.{digits}g} ± {half:.2g}"


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "\\": r"\textbackslash{}"}


def latex_escape(text) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in str(text))


def _latex_number(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "--"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 10 ** digits:
        return f"{value:.0f}"  # no exponent: 170, not 1.7e+02
    return f"{value:.{digits}g}"


def summary_latex(frame: pd.DataFrame, keys: list) -> str:
    """summary.tex: a booktabs table of the headline metrics, mean $\\pm$ 95 % half width and
    n; a dagger marks an interval wider than ±15 % of the mean."""
    metrics = [m for m in LATEX_METRICS if f"{m}_mean" in frame.columns]
    columns = (["tunnel"] if "tunnel" in frame.columns else []) + [
        k for k in keys if k not in (TUNNEL_KEY, WINDOW_KEY) or "tunnel" not in frame.columns]
    heads = [latex_escape("reorder (%)" if c == REORDER_KEY else c.split(".")[-1]
                          if c != "tunnel" else "tunnel") for c in columns]
    heads += [latex_escape(LATEX_METRICS[m]) for m in metrics] + ["$n$"]
    lines = ["% Written by `tunnelsim report` (python/tunnelsim/report.py). Needs \\usepackage"
             "{booktabs}.",
             "% Mean $\\pm$ half width of the 95 % Student-t interval over seeds; $n$ seeds.",
             "\\begin{tabular}{" + "l" * len(columns) + "r" * (len(metrics) + 1) + "}",
             "\\toprule", " & ".join(heads) + " \\\\", "\\midrule"]
    flagged = False
    for _i, row in frame.iterrows():
        cells = [latex_escape(_latex_number(row[c]) if isinstance(row[c], float)
                              else row[c]) for c in columns]
        for metric in metrics:
            mean, half = row[f"{metric}_mean"], row[f"{metric}_ci95"]
            cell = f"${_latex_number(mean)}"
            if isinstance(half, float) and math.isfinite(half):
                cell += f" \\pm {_latex_number(half, 2)}"
            cell += "$"
            if metric + ":" in str(row.get("warning", "")):
                cell += "$^\\dagger$"
                flagged = True
            cells.append(cell)
        cells.append(str(int(row[f"{metrics[0]}_n"])) if metrics else str(row["runs"]))
        lines.append(" & ".join(cells) + " \\\\")
    if flagged:
        lines.append("\\midrule")
        lines.append(f"\\multicolumn{{{len(columns) + len(metrics) + 1}}}{{l}}{{\\footnotesize "
                     f"$^\\dagger$ 95\\,\\% interval wider than $\\pm${WARN_FRACTION * 100:g}"
                     f"\\,\\% of the mean}} \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


# --- the story -----------------------------------------------------------------------------

def _series_label(table: pd.DataFrame) -> pd.Series:
    return _with_tunnel_label(table)["tunnel"] if TUNNEL_KEY in table.columns else pd.Series(
        "runs", index=table.index)


def headline(rs) -> Optional[dict]:
    """The study's finding in one sentence, from the data: the tunnel configuration whose
    goodput fell furthest under reordering (relative to its own goodput without reordering),
    at the reorder level where it was lowest, against the best configuration at that level.
    None when the results are not a reordering sweep with goodput."""
    table = rs.table
    if REORDER_KEY not in table.columns or "goodput_mbps" not in table.columns:
        return None
    table = table.assign(series=_series_label(table))
    points = {}
    for (series, level), sub in table.groupby(["series", REORDER_KEY], sort=True):
        points[(series, float(level))] = style.point_stats(sub["goodput_mbps"])
    levels = sorted({lvl for _s, lvl in points})
    if len(levels) < 2 or levels[0] != 0:
        return None
    worst = None
    for series in sorted({s for s, _l in points}):
        base = points.get((series, 0.0))
        reordered = [(lvl, points[(series, lvl)]) for lvl in levels[1:]
                     if (series, lvl) in points]
        if not base or not reordered or not base["mean"] > 0:
            continue
        level, low = min(reordered, key=lambda item: item[1]["mean"])
        drop = 1 - low["mean"] / base["mean"]
        if worst is None or drop > worst["drop"]:
            worst = {"series": series, "level": level, "point": low, "base": base,
                     "drop": drop}
    if worst is None:
        return None
    rivals = [(s, p) for (s, lvl), p in points.items()
              if lvl == worst["level"] and s != worst["series"]]
    best = max(rivals, key=lambda item: item[1]["mean"]) if rivals else None
    low, base = worst["point"], worst["base"]

    def interval(point):
        if not math.isfinite(point["ci"]):
            return f"{point['mean']:.1f} Mbit/s (one seed, no interval)"
        return f"{point['mean']:.1f} ± {point['ci']:.1f} Mbit/s"

    sentence = (f"With {worst['level']:g} % reordering on the access link, "
                f"{worst['series']} delivered {interval(low)} against {interval(base)} "
                f"without reordering ({worst['drop']:.0%} less)")
    if best is not None:
        sentence += f", while {best[0]} kept {interval(best[1])} at the same reordering"
    ns = sorted({p["n"] for p in points.values()})
    sentence += (f" (means over seeds with 95 % Student-t intervals; "
                 f"{ns[0] if len(ns) == 1 else f'{ns[0]}-{ns[-1]}'} seeds per point).")
    return {"sentence": sentence, "series": worst["series"], "level": worst["level"],
            "mean": low["mean"], "ci": low["ci"], "n": low["n"], "base_mean": base["mean"],
            "best_series": best[0] if best else None,
            "best_mean": best[1]["mean"] if best else None}


def _sum_columns(table: pd.DataFrame, pattern: str) -> pd.Series:
    columns = [c for c in table.columns if re.fullmatch(pattern, c)]
    if not columns:
        return None
    return table[columns].fillna(0).sum(axis=1)


# Drop causes: a regular expression over sweep.csv / flattened results.json columns.
DROP_CAUSES = [
    ("link loss", r"impairments\..*\.netem\.lost"),
    ("queue overflow", r"impairments\..*\.netem\.queue_drops"),
    ("replay window", r"replay_drops"),
    ("ICV / authentication", r"auth_failures|tunnel\.counters\.extra\..*drop_icv"),
    ("MTU (too big)", r"tunnel\.counters\.extra\..*(too_big|mtu)[a-z_]*"),
]


def drop_attribution(rs) -> Optional[pd.DataFrame]:
    """Per tunnel configuration: packets lost per run (mean over its runs) to each cause the
    results count; a cause no run counts at all is reported as not counted (NaN)."""
    table = rs.table
    if table.empty:
        return None
    table = table.assign(series=_series_label(table))
    causes = {}
    for name, pattern in DROP_CAUSES:
        summed = _sum_columns(table, pattern)
        if summed is not None:
            causes[name] = summed
    if not causes:
        return None
    frame = pd.DataFrame(causes).assign(series=table["series"])
    rows = []
    for series, sub in frame.groupby("series", sort=True):
        row = {"tunnel": series, "runs": len(sub)}
        for name, _pattern in DROP_CAUSES:
            row[f"{name} per run"] = float(sub[name].mean()) if name in sub.columns else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _attribution_sentence(frame: pd.DataFrame) -> str:
    counted = [c for c in frame.columns if c.endswith(" per run")
               and frame[c].notna().any()]
    uncounted = [c[:-len(" per run")] for c in frame.columns if c.endswith(" per run")
                 and not frame[c].notna().any()]
    per_run = frame[counted].fillna(0)
    totals = (per_run.multiply(frame["runs"], axis=0)).sum()
    total = float(totals.sum())
    parts = []
    if total > 0:
        share = ", ".join(f"{c[:-len(' per run')]} {totals[c] / total:.0%}"
                          for c in counted if totals[c] > 0)
        parts.append(f"Of {total:.0f} packets lost in all runs: {share}.")
    else:
        parts.append("No run lost a packet to any counted cause.")
    if uncounted:
        parts.append("Not counted by these results: " + ", ".join(uncounted) + ".")
    return " ".join(parts)


def cross_check_summary(table: pd.DataFrame) -> str:
    inside = int(table["model in interval"].sum())
    diff = (table["simulated drop %"] - table["model drop %"]).abs()
    worst = table.loc[diff.idxmax()]
    return (f"The model lies within the simulated 95 % interval at {inside} of {len(table)} "
            f"points; the largest difference is {diff.max():.1f} percentage points (window "
            f"{int(worst['window'])}, {worst['reorder %']:g} % reordering: model "
            f"{worst['model drop %']:.1f} %, simulated {worst['simulated drop %']:.1f} ± "
            f"{worst['simulated ±']:.1f} %).")


def provenance_summary(rs) -> dict:
    """Commit(s), dirty state, build, host and libraries of the runs, from their provenance."""
    found: dict = {}

    def add(key, value):
        if value is not None:
            found.setdefault(key, set()).add(str(value))

    for run in rs.runs:
        prov = run.results.get("provenance")
        if not isinstance(prov, dict):
            continue
        tunnelsim = prov.get("tunnelsim", {})
        add("commit", tunnelsim.get("commit"))
        add("source tree dirty", tunnelsim.get("dirty"))
        build = prov.get("build", {})
        add("build", " ".join(str(build[k]) for k in ("type", "compiler") if k in build) or None)
        host = prov.get("host", {})
        add("host", ", ".join(str(host[k]) for k in ("cpu", "cores", "os", "kernel")
                              if k in host) or None)
        for name, version in (prov.get("libraries") or {}).items():
            add(name, version)
    return {k: ", ".join(sorted(v)) for k, v in found.items()}


def reproduce_commands(rs, results_dir: Path, cross_check: Optional[Path]) -> list:
    spec = rs.sweep_spec or {}
    lines = []
    if spec:
        sweep_file = f"scenarios/library/sweeps/{spec.get('name', 'SWEEP')}.toml"
        extra = ""
        if spec.get("ci_target"):
            extra = (f" --ci-target {spec['ci_target'] * 100:g}% --max-seeds "
                     f"{spec.get('max_seeds')}")
        lines.append(f"tunnelsim sweep {sweep_file} --out {results_dir}{extra}")
    if cross_check is not None:
        lines.append(f"tunnelsim sweep scenarios/library/sweeps/replay-window-udp.toml --out "
                     f"{cross_check}")
    lines.append(f"tunnelsim report {results_dir}"
                 + (f" --cross-check {cross_check}" if cross_check is not None else "")
                 + " --figure-format pdf,pgf,svg --width column")
    return lines


# --- HTML ----------------------------------------------------------------------------------

_CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
p.headline { font-size: 1.15em; background: #f3f7fb; padding: 0.8em; border-left: 4px solid #0072B2; }
"""


def _figure_html(module, paths, numbers=None) -> Optional[str]:
    png = next((p for p in paths if p.suffix == ".png"), None)
    if png is None:
        return None
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    caption = html.escape((module.__doc__ or "").strip())
    others = ", ".join(p.name for p in paths if p.suffix != ".png")
    numbers_html = "" if numbers is None else numbers.to_html(
        index=False, border=0, na_rep="", float_format=lambda v: f"{v:.3g}")
    return (f'<figure id="fig-{module.NAME}"><h3>{html.escape(module.TITLE)}</h3>'
            f'<img alt="{html.escape(module.TITLE)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}"
            + (f"<br>Also written: {html.escape(others)}." if others else "")
            + f"</figcaption>{numbers_html}</figure>")


def write_report(results_dir, out: Optional[Path] = None, analytic: bool = True,
                 formats=None, width: Optional[str] = None,
                 cross_check: Optional[Path] = None) -> Path:
    """Writes RESULTS_DIR/report.html (or `out`), summary.csv and summary.tex; figures go to
    RESULTS_DIR/figures in `formats` (png always; see tunnelsim.style) at `width`.
    cross_check: a results directory of constant-rate UDP runs (the replay-window-udp sweep)
    for the analytic cross-check, when RESULTS_DIR itself holds none."""
    results_dir = Path(results_dir)
    rs = ts_results.load(results_dir)
    cross_rs = ts_results.load(cross_check) if cross_check is not None else None
    style.configure(formats, width)
    out = Path(out) if out else results_dir / "report.html"
    figure_dir = results_dir / "figures"
    sections, missing = [], []
    cross_table = None
    for module in figure_modules():
        if module.NAME == ANALYTIC_FIGURE:
            if not analytic:
                continue
            source = cross_rs if cross_rs is not None else rs
            paths = module.make(source, figure_dir)
            cross_table = module.table(source) if paths else None
            block = _figure_html(module, paths, cross_table)
            if block is None:
                missing.append(f"{module.TITLE} (no constant-rate UDP runs: the model does "
                               f"not apply to TCP, whose rate reacts to the drops)")
            else:
                sections.append(block)
            continue
        paths = module.make(rs, figure_dir)
        numbers = module.table(rs) if hasattr(module, "table") and paths else None
        block = _figure_html(module, paths, numbers)
        if block is None:
            missing.append(module.TITLE)
        else:
            sections.append(block)

    summary = summary_frame(rs)
    summary.to_csv(results_dir / "summary.csv", index=False, float_format="%.6g")
    (results_dir / "summary.tex").write_text(summary_latex(summary, _group_keys(rs)))

    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
             f"<title>tunnelsim report: {html.escape(results_dir.name)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>tunnelsim report: {html.escape(results_dir.name)}</h1>",
             f"<p>{len(rs.runs)} runs from <code>{html.escape(str(results_dir))}</code>.</p>"]
    found = headline(rs)
    parts.append("<h2>Finding</h2>")
    if found:
        parts.append(f'<p class="headline">{html.escape(found["sentence"])}</p>')
    else:
        parts.append("<p>These results are not a reordering sweep with goodput, so there is "
                     "no headline comparison; the figures and the summary below give the "
                     "numbers.</p>")
    if "warning" in summary.columns and "goodput_mbps_mean" in summary.columns:
        wide = summary[summary["warning"].str.contains("goodput_mbps:", regex=False)]
        parts.append(f"<p>{len(wide)} of {len(summary)} points have a goodput interval wider "
                     f"than ±{WARN_FRACTION:.0%} of the mean (ringed in the figures; the "
                     f"<code>warning</code> column of the summary names them, and every other "
                     f"metric whose interval is that wide).</p>")

    attribution = drop_attribution(rs)
    parts.append("<h2>Where packets were lost</h2>")
    if attribution is not None:
        parts.append(f"<p>{html.escape(_attribution_sentence(attribution))} Per tunnel "
                     "configuration, mean packets per run lost to each cause (link loss: the "
                     "impairment's random loss; queue overflow: the links' drop-tail queues; "
                     "replay window: ESP packets older than the window; ICV: packets failing "
                     "authentication; MTU: packets too big for the tunnel):</p>")
        parts.append(attribution.to_html(index=False, border=0, na_rep="not counted",
                                         float_format=lambda v: f"{v:.4g}"))
    else:
        parts.append("<p>These results count no drops.</p>")

    parts.append("<h2>Analytic cross-check</h2>")
    if cross_table is not None and len(cross_table):
        parts.append(f"<p>{html.escape(cross_check_summary(cross_table))} The model "
                     "(tunnelsim.analytic) is for a constant-rate flow, so the check uses "
                     "constant-rate UDP runs"
                     + (f" from <code>{html.escape(str(cross_check))}</code>"
                        if cross_check is not None else "")
                     + "; TCP runs are not compared with it, because TCP's packet rate "
                     "reacts to the drops. See the figure below.</p>")
    else:
        parts.append("<p>No constant-rate UDP runs to compare with the analytic model "
                     "(pass <code>--cross-check DIR</code> with a replay-window-udp sweep)."
                     "</p>")

    if rs.sweep_spec:
        parts.append("<h2>Sweep</h2><pre>" + html.escape(json.dumps(rs.sweep_spec, indent=2))
                     + "</pre>")
    parts.append("<h2>Figures</h2>")
    parts.extend(sections)
    if missing:
        parts.append("<p>Not applicable to these results: " + html.escape("; ".join(missing))
                     + ".</p>")
    parts.append("<h2>Numbers</h2>")
    parts.append("<p>Mean ± half width of the 95 % Student-t interval over seeds "
                 "(<code>summary.csv</code> has the numbers, <code>summary.tex</code> the "
                 "LaTeX table).</p>")
    parts.append(summary_table(rs).to_html(index=False, border=0, na_rep="",
                                           classes="summary"))
    parts.append("<details><summary>Every run (all metrics)</summary>"
                 + rs.table.to_html(index=False, border=0, na_rep="", max_cols=60)
                 + "</details>")
    parts.append("<h2>Scenarios</h2>")
    for text, count in _scenarios(rs):
        parts.append(f"<p>{count} run(s):</p><pre>{html.escape(text)}</pre>")
    parts.append("<h2>Provenance</h2><table>")
    for key, value in provenance_summary(rs).items():
        parts.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Versions</h2><table>")
    for key, value in _versions(rs).items():
        parts.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>How to reproduce</h2><p>From the repository, after <code>make</code> "
                 "(<code>make reproduce</code> runs all of it):</p><pre>"
                 + html.escape("\n".join(reproduce_commands(rs, results_dir, cross_check)))
                 + "</pre></body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts))
    return out

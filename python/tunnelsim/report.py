"""`tunnelsim report RESULTS_DIR`: a self-contained HTML report (figures embedded as base64
PNG) with the figures, a table of the numbers, the scenarios used and the versions."""

import base64
import html
import importlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Optional

import pandas as pd

from . import results as ts_results
from .run import REPO_DIR

# Columns of the summary table, when present.
SUMMARY_METRICS = ["goodput_mbps", "retransmissions", "replay_drops", "overhead_bytes",
                   "handshakes", "rekeys", "auth_failures"]


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
    import matplotlib
    import numpy
    versions.update({"python": platform.python_version(), "numpy": numpy.__version__,
                     "pandas": pd.__version__, "matplotlib": matplotlib.__version__})
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


def summary_table(rs) -> pd.DataFrame:
    table = rs.table
    metrics = [m for m in SUMMARY_METRICS if m in table.columns]
    keys = [k for k in rs.swept if k != "seed" and k in table.columns]
    if not keys:
        describing = [k for k in ts_results.DESCRIBING_KEYS if k in table.columns
                      and k not in ("seed", "name")]
        keys = [k for k in describing if table[k].nunique(dropna=True) > 1]
    if not keys:
        cols = [c for c in ["run", "name", "tunnel.type", "seed"] if c in table.columns]
        return table[cols + metrics]
    rows = []
    for values, sub in table.groupby(keys if len(keys) > 1 else keys[0], dropna=False,
                                     sort=True):
        values = values if isinstance(values, tuple) else (values,)
        row = dict(zip(keys, values))
        row["runs"] = len(sub)
        for metric in metrics:
            mean, half, _n = ts_results.mean_ci(sub[metric].tolist())
            row[metric] = f"{mean:.4g} ± {half:.2g}" if len(sub) > 1 else f"{mean:.4g}"
        rows.append(row)
    return pd.DataFrame(rows)


_CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
"""


def write_report(results_dir, out: Optional[Path] = None, analytic: bool = True) -> Path:
    """Writes RESULTS_DIR/report.html (or `out`); figures also go to RESULTS_DIR/figures."""
    results_dir = Path(results_dir)
    rs = ts_results.load(results_dir)
    out = Path(out) if out else results_dir / "report.html"
    figure_dir = results_dir / "figures"
    sections, missing = [], []
    for module in figure_modules():
        if not analytic and module.NAME == "replay_drops_analytic":
            continue
        paths = module.make(rs, figure_dir)
        png = next((p for p in paths if p.suffix == ".png"), None)
        if png is None:
            missing.append(module.TITLE)
            continue
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        caption = html.escape((module.__doc__ or "").strip())
        # A figure module may also give the numbers behind its figure as a table.
        numbers = module.table(rs) if hasattr(module, "table") else None
        numbers_html = "" if numbers is None else numbers.to_html(
            index=False, border=0, na_rep="", float_format=lambda v: f"{v:.3g}")
        sections.append(
            f'<figure id="fig-{module.NAME}"><h3>{html.escape(module.TITLE)}</h3>'
            f'<img alt="{html.escape(module.TITLE)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption>{numbers_html}</figure>")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
             f"<title>tunnelsim report: {html.escape(results_dir.name)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>tunnelsim report: {html.escape(results_dir.name)}</h1>",
             f"<p>{len(rs.runs)} runs from <code>{html.escape(str(results_dir))}</code>.</p>"]
    if rs.sweep_spec:
        parts.append("<h2>Sweep</h2><pre>" + html.escape(json.dumps(rs.sweep_spec, indent=2))
                     + "</pre>")
    parts.append("<h2>Figures</h2>")
    parts.extend(sections)
    if missing:
        parts.append("<p>Not applicable to these results: " + html.escape(", ".join(missing))
                     + ".</p>")
    parts.append("<h2>Numbers</h2>")
    parts.append(summary_table(rs).to_html(index=False, border=0, na_rep="",
                                           classes="summary"))
    parts.append("<details><summary>Every run (all metrics)</summary>"
                 + rs.table.to_html(index=False, border=0, na_rep="", max_cols=60)
                 + "</details>")
    parts.append("<h2>Scenarios</h2>")
    for text, count in _scenarios(rs):
        parts.append(f"<p>{count} run(s):</p><pre>{html.escape(text)}</pre>")
    parts.append("<h2>Versions</h2><table>")
    for key, value in _versions(rs).items():
        parts.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>")
    parts.append("</table></body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts))
    return out

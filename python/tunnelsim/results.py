"""Reading results: one run's results.json flattened to a row, and results directories
(a single run, a directory of runs, or a sweep) loaded for the figures and the report."""

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

# Parts of results.json that describe the run rather than measure it.
_NOT_METRICS = {"scenario", "versions", "description", "provenance"}

# The provenance fields a sweep row carries (results.json "provenance"; docs/scenarios.md).
# The wall-clock ones differ from run to run; WALL_CLOCK_COLUMNS names them for comparisons.
PROVENANCE_COLUMNS = {
    "provenance.commit": ("tunnelsim", "commit"),
    "provenance.dirty": ("tunnelsim", "dirty"),
    "provenance.scenario_sha256": ("scenario_sha256",),
    "provenance.wall_seconds": ("wall_seconds",),
    "provenance.sim_to_wall_ratio": ("sim_to_wall_ratio",),
}
WALL_CLOCK_COLUMNS = ("provenance.wall_seconds", "provenance.sim_to_wall_ratio")


def python_versions() -> dict:
    """The interpreter and the Debian Python packages a sweep or report ran with: the
    "python" block of a sweep run's provenance and of sweep.json (the C++ CLI cannot know)."""
    import importlib.metadata
    import platform

    versions = {"python": platform.python_version()}
    for package in ("numpy", "pandas", "matplotlib", "scipy", "dask", "distributed"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def provenance_columns(results: dict) -> dict:
    """The PROVENANCE_COLUMNS of one results.json (absent fields are left out)."""
    provenance = results.get("provenance")
    if not isinstance(provenance, dict):
        return {}
    row = {}
    for column, path in PROVENANCE_COLUMNS.items():
        value = provenance
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            row[column] = value
    return row


def _flatten_into(prefix: str, value, row: dict) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten_into(f"{prefix}.{key}" if prefix else str(key), sub, row)
    elif isinstance(value, bool):
        row[prefix] = int(value)
    elif isinstance(value, (int, float)):
        row[prefix] = value


def flatten(results: dict) -> dict:
    """Every number of a results.json as {dotted.path: value}.

    Flows are keyed by their id (flows.bulk0.goodput_mbps, flows.bulk0.rtt_ms.p50), tunnel
    counters keep their path (tunnel.counters.replay_drops), impairments too
    (impairments.access.down.netem.reordered). A few totals are added for convenience:
    goodput_mbps (sum over bulk flows), retransmissions, and the tunnel counters
    replay_drops, overhead_bytes, handshakes, rekeys under their short names.
    """
    row: dict = {}
    for key, value in results.items():
        if key in _NOT_METRICS:
            continue
        if key == "flows" and isinstance(value, list):
            for flow in value:
                fid = flow.get("id", "flow")
                _flatten_into(f"flows.{fid}",
                              {k: v for k, v in flow.items() if k not in {"id"}}, row)
        elif key == "tunnel" and isinstance(value, dict):
            _flatten_into("tunnel", {k: v for k, v in value.items() if k != "events"}, row)
        else:
            _flatten_into(key, value, row)
    bulk = [f for f in results.get("flows", []) if f.get("kind") == "bulk"]
    if bulk:
        row["goodput_mbps"] = sum(float(f.get("goodput_mbps", 0.0)) for f in bulk)
        row["retransmissions"] = sum(int(f.get("retransmissions", 0)) for f in bulk)
        row["data_segments_sent"] = sum(int(f.get("data_segments_sent", 0)) for f in bulk)
    counters = results.get("tunnel", {}).get("counters", {})
    for name in ("replay_drops", "overhead_bytes", "handshakes", "rekeys",
                 "packets_encapsulated", "packets_decapsulated", "auth_failures"):
        if isinstance(counters.get(name), (int, float)):
            row[name] = counters[name]
    return row


def get_path(document: dict, dotted: str, default=None):
    """document["a"]["b"]["c"] for "a.b.c", or default."""
    node = document
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return default
    return node


@dataclass
class Run:
    """One run: its results, its time series and the swept values that produced it."""
    results: dict
    timeseries: pd.DataFrame
    params: dict = field(default_factory=dict)
    path: Optional[Path] = None

    def scenario(self, dotted: str, default=None):
        return get_path(self.results.get("scenario", {}), dotted, default)

    @property
    def label(self) -> str:
        if self.params:
            return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in self.params.items())
        return self.results.get("scenario", {}).get("name", self.path.name if self.path else "run")


@dataclass
class ResultsSet:
    """What a results directory holds: a table with a row per run, and the runs."""
    root: Path
    table: pd.DataFrame
    runs: list
    swept: list  # the swept keys (columns of the table), empty for plain runs
    sweep_spec: Optional[dict] = None


def _read_run(directory: Path, params: Optional[dict] = None) -> Run:
    with open(directory / "results.json") as f:
        results = json.load(f)
    ts_path = directory / "timeseries.csv"
    timeseries = pd.read_csv(ts_path) if ts_path.is_file() else pd.DataFrame()
    return Run(results, timeseries, dict(params or {}), directory)


def _scenario_column_values(run: Run, keys: list) -> dict:
    return {key: run.scenario(key) for key in keys}


# Scenario keys that are worth a column even when nothing was swept.
DESCRIBING_KEYS = ["name", "seed", "tunnel.type", "tunnel.ipsec.replay_window", "tcp.stack",
                    "impairment.access.down.reorder", "impairment.access.down.delay",
                    "impairment.access.down.gap", "impairment.access.down.reorder_correlation"]


def load(directory) -> ResultsSet:
    """Loads a sweep directory (sweep.csv + runs/), a run directory (results.json) or a
    directory whose subdirectories are runs."""
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"no results directory at {root}")
    manifest = root / "sweep.json"
    if manifest.is_file() and (root / "runs").is_dir():
        spec = json.loads(manifest.read_text())
        swept = list(spec.get("swept", []))
        table = pd.read_csv(root / "sweep.csv") if (root / "sweep.csv").is_file() else None
        runs = []
        for point_dir in sorted((root / "runs").iterdir()):
            point_file = point_dir / "point.json"
            if not (point_file.is_file() and (point_dir / "results.json").is_file()):
                continue
            point = json.loads(point_file.read_text())
            params = dict(point.get("params", {}))
            params["seed"] = point.get("seed")
            runs.append(_read_run(point_dir, params))
        if table is None:
            table = pd.DataFrame([{**r.params, **flatten(r.results)} for r in runs])
        return ResultsSet(root, table, runs, swept + ["seed"], spec)
    if (root / "results.json").is_file():
        run_dirs = [root]
    else:
        run_dirs = sorted(p for p in root.rglob("results.json"))
        run_dirs = [p.parent for p in run_dirs]
    if not run_dirs:
        raise FileNotFoundError(f"{root} holds no results.json")
    runs = [_read_run(d) for d in run_dirs]
    rows = []
    for run in runs:
        described = {k: v for k, v in _scenario_column_values(run, DESCRIBING_KEYS).items()
                     if v is not None}
        run.params = {k: v for k, v in described.items() if k not in ("name",)}
        rows.append({"run": str(run.path.relative_to(root)) if run.path != root else ".",
                     **described, **flatten(run.results)})
    return ResultsSet(root, pd.DataFrame(rows), runs, [])


@functools.lru_cache(maxsize=None)
def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with df degrees of freedom (p > 0.5), by bisection on
    its CDF integrated with Simpson's rule (no SciPy needed)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(x):
        return math.exp(log_norm - (df + 1) / 2 * math.log1p(x * x / df))

    def cdf_above_zero(x, steps=2000):  # P(0 < T < x)
        h = x / steps
        total = density(0) + density(x)
        for i in range(1, steps):
            total += (4 if i % 2 else 2) * density(i * h)
        return total * h / 3

    target = p - 0.5
    lo, hi = 0.0, 1.0
    while cdf_above_zero(hi) < target:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if cdf_above_zero(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci(values, confidence: float = 0.95) -> tuple:
    """(mean, half-width of the two-sided Student-t confidence interval, n)."""
    clean = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    n = len(clean)
    if n == 0:
        return math.nan, math.nan, 0
    mean = sum(clean) / n
    if n == 1:
        return mean, 0.0, 1
    var = sum((v - mean) ** 2 for v in clean) / (n - 1)
    half = t_quantile(0.5 + confidence / 2, n - 1) * math.sqrt(var / n)
    return mean, half, n

"""tunnelsim.sweep: a scenario run over a grid (or zip) of keys times seeds.

A sweep file (TOML):

    scenario = "reorder-collapse"       # library name, path (relative to this file) or table
    seeds = [1, 2, 3]                   # or a count: seeds = 3 means 1, 2, 3
    mode = "grid"                       # "grid": every combination; "zip": i-th with i-th
    [set]                               # fixed overrides for every point
    duration = "5s"
    [parameters]                        # the swept keys and their values
    "tunnel.type" = ["wireguard", "gre-over-ipsec"]
    "impairment.access.down.reorder" = [0, 1, 2, 5]

Every point (one combination and one seed) is one `tunnelsim run` process. Points run on
all local cores (threads that each wait on their subprocess), on a Dask distributed
cluster given `scheduler="tcp://host:port"`, or on a local Dask cluster of N worker processes
started for the sweep (`dask_workers=N`, `tunnelsim sweep --dask-workers N`). Points with tcp.stack = "kernel" (real Linux TCP
through `tunnelsim emulate`) run in real time: always locally, one at a time, after the
simulated points. The output directory holds

    runs/<point>/results.json, timeseries.csv, point.json   one directory per finished point
    sweep.csv (and sweep.parquet when pyarrow is there)     a row per run: point, the swept
                                                            keys, seed, then the metrics
    sweep.json                                              the sweep as it was run

A point whose runs/<point>/point.json exists is finished and is not run again, so an
interrupted sweep picks up where it stopped.

With ci_target (`tunnelsim sweep --ci-target 5% --max-seeds 10`), seeds are added to each
combination of the swept keys whose 95 % interval of ci_metric (default goodput_mbps) is
wider than ci_target times its mean, round by round, until every interval is narrow enough
or the combination has max_seeds seeds. Each round adds to a wide combination the seeds its
current spread says it needs (at most doubling them); the seeds added are the next integers
after the combination's largest. Which seeds a combination gets follows from the finished
runs alone, so an interrupted sweep resumes the same way; sweep.json records them
("added_seeds", by combination index) so that sweep.csv keeps them.
"""

import concurrent.futures
import contextlib
import hashlib
import itertools
import json
import math
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional, Union

import pandas as pd

from . import stats
from .run import find_cli, resolve_scenario_path, run as run_scenario, scenario_text
from .results import (DESCRIBING_KEYS, flatten, get_path, provenance_columns,
                      python_versions)

# Seeds per combination when --ci-target is given without --max-seeds.
DEFAULT_MAX_SEEDS = 10


class SweepError(RuntimeError):
    def __init__(self, message: str, failures: Optional[dict] = None):
        super().__init__(message)
        self.failures = failures or {}


@dataclass
class SweepSpec:
    scenario: Union[str, dict]
    parameters: dict = field(default_factory=dict)
    seeds: list = field(default_factory=lambda: [1])
    mode: str = "grid"
    fixed: dict = field(default_factory=dict)
    name: str = "sweep"
    base_dir: Path = field(default_factory=Path.cwd)
    # Seeds added by ci_target rounds: {combination index: [seed, ...]}.
    added_seeds: dict = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Union[str, Path]) -> "SweepSpec":
        path = Path(path)
        with open(path, "rb") as f:
            data = tomllib.load(f)
        return cls.from_dict(data, base_dir=path.resolve().parent,
                             default_name=path.stem)

    @classmethod
    def from_dict(cls, data: Mapping, base_dir: Optional[Path] = None,
                  default_name: str = "sweep") -> "SweepSpec":
        known = {"scenario", "parameters", "seeds", "mode", "set", "name"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown sweep keys {sorted(unknown)}; allowed: {sorted(known)}")
        if "scenario" not in data:
            raise ValueError("a sweep needs 'scenario' (a library name, a path or a table)")
        spec = cls(scenario=data["scenario"], parameters=dict(data.get("parameters", {})),
                   seeds=data.get("seeds", [1]), mode=data.get("mode", "grid"),
                   fixed=dict(data.get("set", {})), name=data.get("name", default_name),
                   base_dir=base_dir or Path.cwd())
        spec.validate()
        return spec

    def validate(self) -> None:
        if isinstance(self.seeds, int):
            if self.seeds < 1:
                raise ValueError("seeds = N needs N >= 1")
            self.seeds = list(range(1, self.seeds + 1))
        if not self.seeds or not all(isinstance(s, int) and s >= 0 for s in self.seeds):
            raise ValueError("seeds must be a count or a list of non-negative integers")
        if self.mode not in ("grid", "zip"):
            raise ValueError(f"mode must be 'grid' or 'zip', not '{self.mode}'")
        for key, values in self.parameters.items():
            if key == "seed":
                raise ValueError("sweep seeds with 'seeds', not a 'seed' parameter")
            if not isinstance(values, (list, tuple)) or not values:
                raise ValueError(f"parameter '{key}' needs a non-empty list of values")
        if self.mode == "zip":
            lengths = {len(v) for v in self.parameters.values()}
            if len(lengths) > 1:
                raise ValueError(f"mode 'zip' needs equally long value lists, got "
                                 f"{ {k: len(v) for k, v in self.parameters.items()} }")

    def combinations(self) -> list:
        keys = list(self.parameters)
        if not keys:
            return [{}]
        if self.mode == "grid":
            rows = itertools.product(*(self.parameters[k] for k in keys))
        else:
            rows = zip(*(self.parameters[k] for k in keys))
        return [dict(zip(keys, row)) for row in rows]

    def scenario_source(self) -> tuple:
        """(TOML text of the base scenario, a label for it). The text travels to the workers,
        so they need no access to the client's files."""
        if isinstance(self.scenario, Mapping):
            return scenario_text(self.scenario), "inline"
        candidate = self.base_dir / str(self.scenario)
        if candidate.is_file():
            return candidate.read_text(), str(candidate)
        path = resolve_scenario_path(self.scenario)
        return path.read_text(), str(path)

    def seeds_of(self, combination: int) -> list:
        """The seeds of one combination: the sweep's, then those ci_target added."""
        return list(self.seeds) + [s for s in self.added_seeds.get(combination, [])
                                   if s not in self.seeds]

    def points(self) -> list:
        text, label = self.scenario_source()
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        points = []
        index = 0
        for combination, params in enumerate(self.combinations()):
            for seed in self.seeds_of(combination):
                overrides = {**self.fixed, **params, "seed": seed}
                ident = json.dumps({"scenario": digest, "overrides": overrides},
                                   sort_keys=True, default=str)
                point_id = "p" + hashlib.sha256(ident.encode()).hexdigest()[:12]
                points.append({"id": point_id, "index": index, "combination": combination,
                               "params": params, "seed": seed, "overrides": overrides,
                               "scenario_text": text, "scenario_label": label})
                index += 1
        return points

    def to_json(self) -> dict:
        return {"name": self.name, "scenario": self.scenario if isinstance(
            self.scenario, Mapping) else str(self.scenario),
            "parameters": self.parameters, "seeds": self.seeds, "mode": self.mode,
            "set": self.fixed, "swept": list(self.parameters),
            "added_seeds": {str(k): v for k, v in sorted(self.added_seeds.items()) if v}}


def run_point(point: dict, binary: Optional[str] = None, timeout: Optional[float] = None) -> dict:
    """Runs one sweep point with the tunnelsim CLI; what a worker executes.

    Returns {"results": dict, "timeseries_csv": str}. It writes only to a temporary
    directory, so it works on cluster workers that do not share the client's disk.
    """
    with tempfile.TemporaryDirectory(prefix="tunnelsim-point-") as tmp:
        scenario_file = Path(tmp) / "scenario.toml"
        scenario_file.write_text(point["scenario_text"])
        cli = None
        if binary and Path(binary).is_file():
            cli = binary
        result = run_scenario(scenario_file, point["overrides"], binary=cli,
                                out_dir=Path(tmp) / "out", timeout=timeout)
        ts = Path(tmp) / "out" / "timeseries.csv"
        if isinstance(result.results.get("provenance"), dict):
            result.results["provenance"]["python"] = python_versions()
        return {"results": result.results,
                "timeseries_csv": ts.read_text() if ts.is_file() else ""}


def _is_done(out_dir: Path, point: dict) -> bool:
    return (out_dir / "runs" / point["id"] / "point.json").is_file()


def _store(out_dir: Path, point: dict, outcome: dict) -> None:
    """Writes a finished point; point.json last, via a rename, marks it finished."""
    point_dir = out_dir / "runs" / point["id"]
    point_dir.mkdir(parents=True, exist_ok=True)
    (point_dir / "results.json").write_text(json.dumps(outcome["results"], indent=2))
    if outcome.get("timeseries_csv"):
        (point_dir / "timeseries.csv").write_text(outcome["timeseries_csv"])
    record = {k: point[k] for k in ("id", "index", "params", "seed", "overrides",
                                    "scenario_label")}
    tmp = point_dir / "point.json.tmp"
    tmp.write_text(json.dumps(record, indent=2, default=str))
    os.replace(tmp, point_dir / "point.json")


def _progress(total: int, initial: int, enabled: bool, desc: str):
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="run",
                dynamic_ncols=True)


def is_real_time(point: dict) -> bool:
    """True for a point that runs in real time on this machine: tcp.stack = "kernel" (real
    Linux TCP through `tunnelsim emulate`, which needs root and network namespaces here)."""
    stack = point["overrides"].get("tcp.stack")
    if stack is None:
        try:
            stack = tomllib.loads(point["scenario_text"]).get("tcp", {}).get("stack")
        except tomllib.TOMLDecodeError:
            return False  # the run itself reports the broken scenario
    return stack == "kernel"


def _run_local(todo, out_dir, runner, jobs, bar, failures):
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(runner, point): point for point in todo}
        for future in concurrent.futures.as_completed(futures):
            point = futures[future]
            try:
                _store(out_dir, point, future.result())
            except Exception as error:  # one failed point must not lose the others
                failures[point["id"]] = f"{type(error).__name__}: {error}"
            bar.update(1)


def _run_dask(todo, out_dir, runner, scheduler, bar, failures):
    from distributed import Client, as_completed
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout=30)
    try:
        futures = {client.submit(runner, point, pure=False,
                                 key=f"tunnelsim-{point['id']}-{os.getpid()}"): point
                   for point in todo}
        for future in as_completed(list(futures)):
            point = futures[future]
            try:
                _store(out_dir, point, future.result())
            except Exception as error:
                failures[point["id"]] = f"{type(error).__name__}: {error}"
            bar.update(1)
    finally:
        if client is not scheduler:
            client.close()


def table(out_dir: Union[str, Path], spec: SweepSpec) -> pd.DataFrame:
    """The tidy table of a sweep's finished points: point, swept keys, seed, a few describing
    scenario keys (tunnel.type, replay window, reorder settings), then the metrics."""
    out_dir = Path(out_dir)
    rows = []
    for point in spec.points():
        point_dir = out_dir / "runs" / point["id"]
        if not (point_dir / "point.json").is_file():
            continue
        results = json.loads((point_dir / "results.json").read_text())
        described = {key: get_path(results.get("scenario", {}), key)
                     for key in DESCRIBING_KEYS if key not in point["params"] and key != "seed"}
        rows.append({"point": point["id"], **point["params"], "seed": point["seed"],
                     **{k: v for k, v in described.items() if v is not None},
                     **flatten(results), **provenance_columns(results)})
    return pd.DataFrame(rows)


def write_table(frame: pd.DataFrame, out_dir: Path) -> list:
    written = [out_dir / "sweep.csv"]
    frame.to_csv(written[0], index=False)
    try:
        import pyarrow  # noqa: F401  Parquet only where an engine is installed
    except ImportError:
        return written
    frame.to_parquet(out_dir / "sweep.parquet", index=False)
    written.append(out_dir / "sweep.parquet")
    return written


def parse_ci_target(text) -> float:
    """'5%' or '0.05' -> 0.05."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(f"--ci-target wants a fraction of the mean such as 5% or 0.05, "
                         f"got {text!r}") from None
    if not (0.0 < value < 10.0) or math.isnan(value):
        raise ValueError(f"--ci-target must be above 0 (e.g. 5%), got {text!r}")
    return value


def _metric_of(out_dir: Path, point: dict, metric: str):
    results = json.loads((out_dir / "runs" / point["id"] / "results.json").read_text())
    return flatten(results).get(metric)


def _seeds_needed(values: list, target: float, cap: int) -> int:
    """How many seeds to add to a combination with these values (0: narrow enough, or at
    the cap). The interval is Student t at 95 %; the estimate is the smallest n whose
    interval would be narrow enough if the spread stayed what it is now, and a round at most
    doubles the seeds (the spread of a few seeds is itself uncertain)."""
    n = len(values)
    if n >= cap:
        return 0
    mean, half, _n = stats.mean_ci(values)
    if n >= 2 and math.isfinite(half) and half <= target * abs(mean):
        return 0
    if n < 2:
        return 1
    limit = min(cap, 2 * n)
    std_dev = half / stats.student_t_quantile(0.975, n - 1) * math.sqrt(n)
    needed = n + 1
    while needed < limit and (mean == 0 or stats.student_t_quantile(0.975, needed - 1)
                              * std_dev / math.sqrt(needed) > target * abs(mean)):
        needed += 1
    return needed - n


def _ci_rounds(spec: SweepSpec, out_dir: Path, run_points: Callable, target: float,
               cap: int, metric: str, failures: dict) -> None:
    """Adds seeds to wide combinations, round by round (see the module docstring)."""
    while True:
        by_combination: dict = {}  # combination -> metric values; None while unfinished
        for point in spec.points():
            combination = point["combination"]
            if point["id"] in failures or not _is_done(out_dir, point):
                by_combination[combination] = None
                continue
            values = by_combination.setdefault(combination, [])
            if values is not None:
                value = _metric_of(out_dir, point, metric)
                if value is not None:
                    values.append(float(value))
        finished = [v for v in by_combination.values() if v is not None]
        if finished and not any(finished):
            raise ValueError(f"--ci-target: no run has the metric '{metric}' (choose one "
                             f"with --ci-metric)")
        new = []
        for combination, values in sorted(by_combination.items()):
            if not values:
                continue
            count = _seeds_needed(values, target, cap)
            if count == 0:
                continue
            seeds = spec.seeds_of(combination)
            start = max(seeds) + 1
            spec.added_seeds.setdefault(combination, []).extend(range(start, start + count))
            new.append(combination)
        if not new:
            return
        (out_dir / "sweep.json").write_text(json.dumps(_manifest(spec, target, cap, metric),
                                                       indent=2, default=str))
        run_points([p for p in spec.points() if p["combination"] in new
                    and not _is_done(out_dir, p)])


def _manifest(spec: SweepSpec, target, cap, metric) -> dict:
    manifest = spec.to_json()
    manifest["python"] = python_versions()
    if target is not None:
        manifest.update({"ci_target": target, "max_seeds": cap, "ci_metric": metric})
    return manifest


def _previous_added_seeds(out_dir: Path, spec: SweepSpec) -> dict:
    """Seeds an earlier --ci-target run of this same sweep added (so that running it again
    without --ci-target keeps them in sweep.csv)."""
    try:
        old = json.loads((out_dir / "sweep.json").read_text())
    except (OSError, ValueError):
        return {}
    same = {k: old.get(k) for k in ("scenario", "parameters", "seeds", "mode", "set")}
    mine = {k: v for k, v in json.loads(json.dumps(spec.to_json(), default=str)).items()
            if k in same}
    if same != mine:
        return {}
    return {int(k): list(v) for k, v in (old.get("added_seeds") or {}).items()}


def sweep(spec: Union[str, Path, Mapping, SweepSpec] = None, *, out_dir=None,
          scheduler=None, jobs: Optional[int] = None, runner: Optional[Callable] = None,
          binary: Optional[str] = None, timeout: Optional[float] = None,
          progress: bool = True, ci_target=None, max_seeds: Optional[int] = None,
          ci_metric: str = "goodput_mbps", dask_workers: Optional[int] = None,
          **spec_fields) -> pd.DataFrame:
    """Runs a sweep and returns its table (one row per run).

    spec: a sweep file, a dict with its keys, or a SweepSpec; or pass its fields as keyword
    arguments (scenario=..., parameters=..., seeds=..., mode=..., set=...).
    out_dir: where runs/ and sweep.csv go (default: sweeps/<name>).
    scheduler: "tcp://host:port" of a Dask scheduler, or a distributed.Client; local otherwise.
    jobs: local concurrency (default: all cores).
    dask_workers: run on a local Dask cluster of this many worker processes (one thread
    each), started for the sweep and stopped after it; not with scheduler.
    runner: runner(point) -> {"results": dict, "timeseries_csv": str}; run_point by default.
    ci_target: add seeds until each combination's 95 % interval of ci_metric is within this
    fraction of its mean (0.05 or "5%"), up to max_seeds seeds (default DEFAULT_MAX_SEEDS).
    Raises SweepError naming the points that failed (finished points are kept).
    """
    if spec is None:
        spec = SweepSpec.from_dict(spec_fields)
    elif isinstance(spec, SweepSpec):
        spec.validate()
    elif isinstance(spec, Mapping):
        spec = SweepSpec.from_dict(spec)
    else:
        spec = SweepSpec.from_file(spec)
    if dask_workers is not None:
        if scheduler is not None:
            raise ValueError("give either a Dask scheduler or dask_workers, not both")
        if int(dask_workers) < 1:
            raise ValueError(f"dask_workers must be at least 1, not {dask_workers}")
    target = parse_ci_target(ci_target) if ci_target is not None else None
    cap = max_seeds if max_seeds is not None else DEFAULT_MAX_SEEDS
    if target is not None and cap < len(spec.seeds):
        raise ValueError(f"--max-seeds {cap} is below the sweep's own {len(spec.seeds)} seeds")
    out_dir = Path(out_dir) if out_dir is not None else Path("sweeps") / spec.name
    out_dir.mkdir(parents=True, exist_ok=True)
    if not spec.added_seeds:
        spec.added_seeds = _previous_added_seeds(out_dir, spec)
    (out_dir / "sweep.json").write_text(json.dumps(_manifest(spec, target, cap, ci_metric),
                                                   indent=2, default=str))

    if runner is None:
        cli = str(find_cli(binary))
        runner = _CliRunner(cli, timeout)
    points = spec.points()
    todo = [p for p in points if not _is_done(out_dir, p)]
    failures: dict = {}
    with contextlib.ExitStack() as cleanup, \
            _progress(len(points), len(points) - len(todo), progress, spec.name) as bar:
        if dask_workers is not None:
            scheduler = cleanup.enter_context(_local_dask_client(int(dask_workers)))

        def run_points(batch):
            # Real-time points measure wall-clock behaviour (a relay's timers, the kernel's
            # TCP): they run here, one at a time, after the simulations, so that nothing
            # competes for the CPU.
            real_time = [p for p in batch if is_real_time(p)]
            simulated = [p for p in batch if not is_real_time(p)]
            if bar.total is not None and batch is not todo:
                bar.total += len(batch)
                bar.refresh()
            if simulated:
                if scheduler is not None:
                    _run_dask(simulated, out_dir, runner, scheduler, bar, failures)
                else:
                    _run_local(simulated, out_dir, runner, jobs or os.cpu_count() or 1, bar,
                               failures)
            if real_time:
                _run_local(real_time, out_dir, runner, 1, bar, failures)

        run_points(todo)
        if target is not None:
            _ci_rounds(spec, out_dir, run_points, target, cap, ci_metric, failures)
    points = spec.points()
    frame = table(out_dir, spec)
    write_table(frame, out_dir)
    if failures:
        lines = "\n".join(f"  {pid}: {message}" for pid, message in failures.items())
        raise SweepError(f"{len(failures)} of {len(points)} points failed (the others are "
                         f"saved; run the sweep again to retry):\n{lines}", failures)
    return frame


@contextlib.contextmanager
def _local_dask_client(workers: int):
    """A Dask LocalCluster of `workers` processes with one thread each on 127.0.0.1 (each
    point's simulation is a subprocess, so one thread per worker keeps one run per worker), and
    a client to it. The workers inherit this process's environment (PYTHONPATH, TUNNELSIM_CLI)."""
    import logging

    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


class _CliRunner:
    """run_point bound to a CLI path; a picklable callable for Dask."""

    def __init__(self, binary: str, timeout: Optional[float]):
        self.binary = binary
        self.timeout = timeout

    def __call__(self, point: dict) -> dict:
        return run_point(point, self.binary, self.timeout)


def clean(out_dir: Union[str, Path]) -> None:
    """Removes a sweep's outputs (to start it afresh)."""
    shutil.rmtree(out_dir, ignore_errors=True)

"""`python3 -m tunnelsim sweep|report|run ...`: the Python half of the tunnelsim command.

The C++ `tunnelsim` binary runs, validates and lists scenarios; it hands `sweep` and
`report` to this module (see docs/python.md).
"""

import argparse
import json
import sys
from pathlib import Path


def _parse_set(items):
    overrides = {}
    for item in items or []:
        if "=" not in item or item.startswith("="):
            raise SystemExit(f"tunnelsim: --set expects key=value, got '{item}'")
        key, value = item.split("=", 1)
        overrides[key] = value
    return overrides


def cmd_sweep(args) -> int:
    from .sweep import SweepError, SweepSpec, sweep
    try:
        spec = SweepSpec.from_file(args.sweep_file)
    except (OSError, ValueError) as error:
        print(f"tunnelsim sweep: {args.sweep_file}: {error}", file=sys.stderr)
        return 2
    spec.fixed.update(_parse_set(args.set))
    out_dir = Path(args.out) if args.out else Path("sweeps") / spec.name
    if args.dask_workers is not None and (args.dask_workers < 1 or args.scheduler):
        print("tunnelsim sweep: --dask-workers needs N >= 1 and no --scheduler", file=sys.stderr)
        return 2
    if args.max_seeds is not None and args.ci_target is None:
        print("tunnelsim sweep: --max-seeds needs --ci-target", file=sys.stderr)
        return 2
    if args.max_seeds is not None and args.max_seeds < 1:
        print("tunnelsim sweep: --max-seeds needs N >= 1", file=sys.stderr)
        return 2
    try:
        frame = sweep(spec, out_dir=out_dir, scheduler=args.scheduler, jobs=args.jobs,
                      binary=args.binary, timeout=args.timeout, progress=not args.quiet,
                      ci_target=args.ci_target, max_seeds=args.max_seeds,
                      ci_metric=args.ci_metric, dask_workers=args.dask_workers)
    except SweepError as error:
        print(f"tunnelsim sweep: {error}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as error:
        print(f"tunnelsim sweep: {error}", file=sys.stderr)
        return 2
    print(f"{len(frame)} runs in {out_dir / 'sweep.csv'}")
    return 0


def cmd_report(args) -> int:
    from .report import write_report
    from .report import headline
    from .results import load
    try:
        path = write_report(args.results_dir, args.out, analytic=not args.no_analytic,
                            formats=args.figure_format, width=args.width,
                            cross_check=args.cross_check)
    except (FileNotFoundError, ValueError) as error:
        print(f"tunnelsim report: {error}", file=sys.stderr)
        return 2
    found = headline(load(args.results_dir))
    if found:
        print(found["sentence"])
    print(f"report in {path} (summary.csv, summary.tex and figures/ beside it)")
    return 0


def cmd_run(args) -> int:
    from .run import ScenarioRunError, run
    try:
        result = run(args.scenario, _parse_set(args.set), out_dir=args.out, binary=args.binary)
    except ScenarioRunError as error:
        print(error, file=sys.stderr)
        return error.returncode
    except FileNotFoundError as error:
        print(f"tunnelsim run: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.metrics(), indent=2))
    return 0


def cmd_rerun(args) -> int:
    from .rerun import rerun
    from .run import ScenarioRunError
    try:
        identical, found = rerun(args.results, out_dir=args.out, binary=args.binary)
    except ValueError as error:
        print(f"tunnelsim rerun: {error}", file=sys.stderr)
        return 2
    except ScenarioRunError as error:
        print(error, file=sys.stderr)
        return error.returncode
    if identical:
        print(f"identical: {args.results} re-ran to the same result")
        return 0
    print(f"differs: {args.results} re-ran to a different result; first differences:")
    for line in found:
        print(f"  {line}")
    return 1


def _describe(overrides: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the scenario as it is"


def cmd_compare(args) -> int:
    import pandas as pd
    from . import style
    from .compare import compare, compare_variants, figure
    variants = bool(args.set_a or args.set_b or args.seeds is not None)
    try:
        style.configure(args.figure_format, args.width)
        if variants:
            if args.b is not None:
                raise ValueError("with --set-a/--set-b give one SCENARIO, not two paths")
            set_a, set_b = _parse_set(args.set_a), _parse_set(args.set_b)
            table, dir_a, dir_b = compare_variants(
                args.a, set_a, set_b, args.seeds if args.seeds is not None else 3,
                fixed=_parse_set(args.set), out_dir=args.out, jobs=args.jobs,
                binary=args.binary, progress=not args.quiet)
            out = dir_a.parent
            labels = (f"A: {_describe(set_a)}", f"B: {_describe(set_b)}")
        else:
            if args.b is None:
                raise ValueError("give two runs or sweeps (A B), or one SCENARIO with "
                                 "--set-a/--set-b")
            if args.set:
                raise ValueError("--set applies to the SCENARIO form (with --set-a/--set-b)")
            table = compare(args.a, args.b)
            out = Path(args.out) if args.out else None
            labels = (f"A: {args.a}", f"B: {args.b}")
    except (ValueError, FileNotFoundError) as error:
        print(f"tunnelsim compare: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a variant's run failed (SweepError names the points)
        print(f"tunnelsim compare: {error}", file=sys.stderr)
        return 1
    if args.csv:
        table.to_csv(args.csv, index=False)
    with pd.option_context("display.max_rows", None, "display.width", 160):
        print(labels[0])
        print(labels[1])
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if out is not None and len(table):
        table.to_csv(out / "compare.csv", index=False)
        paths = figure(table, out, metrics=args.metric, labels=labels)
        print("figure: " + ", ".join(str(p) for p in paths))
    return 0


def _add_figure_options(parser) -> None:
    parser.add_argument("--figure-format", metavar="FORMATS",
                        help="figure formats, comma-separated among png,svg,pdf,pgf (default "
                             "png,svg; PNG is always written)")
    parser.add_argument("--width", choices=["screen", "column", "page"],
                        help="figure width: screen (6.4 in, default), column (3.5 in) or page "
                             "(7.16 in)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tunnelsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sweep", help="run a sweep file (grid or zip of keys x seeds)")
    p.add_argument("sweep_file")
    p.add_argument("--out", help="output directory (default sweeps/<name>)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--jobs", "-j", type=int, help="local parallel runs (default: all cores)")
    p.add_argument("--dask-workers", type=int, metavar="N",
                   help="run on a local Dask cluster of N worker processes started for the "
                        "sweep (instead of threads, or of --scheduler)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="fixed override for every point (repeatable)")
    p.add_argument("--binary", help="the tunnelsim CLI to run points with")
    p.add_argument("--timeout", type=float, help="seconds allowed per run")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--ci-target", metavar="FRACTION",
                   help="add seeds to each point until its 95%% interval is within this "
                        "fraction of the mean (e.g. 5%% or 0.05)")
    p.add_argument("--max-seeds", type=int, metavar="N",
                   help="at most N seeds per point with --ci-target (default 10)")
    p.add_argument("--ci-metric", default="goodput_mbps",
                   help="the metric --ci-target looks at (a sweep.csv column; default "
                        "goodput_mbps)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="self-contained HTML report of a results directory")
    p.add_argument("results_dir")
    p.add_argument("--out", help="HTML file (default RESULTS_DIR/report.html)")
    p.add_argument("--no-analytic", action="store_true",
                   help="leave out the analytic replay-drop cross-check")
    p.add_argument("--cross-check", metavar="DIR",
                   help="constant-rate UDP results (the replay-window-udp sweep) for the "
                        "analytic cross-check")
    _add_figure_options(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("run", help="run one scenario and print its metrics")
    p.add_argument("scenario")
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--out")
    p.add_argument("--binary")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("rerun", help="re-run a results.json's configuration; is it identical?")
    p.add_argument("results", help="a results.json written by tunnelsim run")
    p.add_argument("--out", help="where the new run writes (default: a temporary directory)")
    p.add_argument("--binary")
    p.set_defaults(func=cmd_rerun)

    p = sub.add_parser("compare", help="two runs, two sweeps or two variants of a scenario "
                                        "side by side, with tests and a figure")
    p.add_argument("a", help="results.json, run directory or sweep directory; or a SCENARIO "
                             "with --set-a/--set-b")
    p.add_argument("b", nargs="?", help="the other results.json, run or sweep directory")
    p.add_argument("--set-a", action="append", metavar="KEY=VALUE",
                   help="variant A's override of SCENARIO (repeatable)")
    p.add_argument("--set-b", action="append", metavar="KEY=VALUE",
                   help="variant B's override of SCENARIO (repeatable)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override for both variants (repeatable)")
    p.add_argument("--seeds", type=int, help="seeds per variant (default 3)")
    p.add_argument("--out", help="variants: where the runs, compare.csv and the figure go "
                                 "(default compare/<scenario>); two paths: where compare.csv "
                                 "and the figure go (none by default)")
    p.add_argument("--metric", action="append",
                   help="metric the figure shows (repeatable; default goodput, "
                        "retransmissions, replay drops, overhead, RTT)")
    p.add_argument("--jobs", "-j", type=int, help="parallel runs (default: all cores)")
    p.add_argument("--binary", help="the tunnelsim CLI to run the variants with")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--csv", help="also write the table as CSV")
    _add_figure_options(p)
    p.set_defaults(func=cmd_compare)

    from .diagnose.cli import add_parser as add_diagnose_parser
    add_diagnose_parser(sub)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

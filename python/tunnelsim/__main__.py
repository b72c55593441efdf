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
                      ci_metric=args.ci_metric)
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
    try:
        path = write_report(args.results_dir, args.out, analytic=not args.no_analytic)
    except FileNotFoundError as error:
        print(f"tunnelsim report: {error}", file=sys.stderr)
        return 2
    print(f"report in {path}")
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


def cmd_compare(args) -> int:
    import pandas as pd
    from .compare import compare
    try:
        table = compare(args.a, args.b)
    except (ValueError, FileNotFoundError) as error:
        print(f"tunnelsim compare: {error}", file=sys.stderr)
        return 2
    if args.csv:
        table.to_csv(args.csv, index=False)
    with pd.option_context("display.max_rows", None, "display.width", 160):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tunnelsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sweep", help="run a sweep file (grid or zip of keys x seeds)")
    p.add_argument("sweep_file")
    p.add_argument("--out", help="output directory (default sweeps/<name>)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--jobs", "-j", type=int, help="local parallel runs (default: all cores)")
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

    p = sub.add_parser("compare", help="two runs or two sweeps side by side, with tests")
    p.add_argument("a", help="results.json, run directory or sweep directory")
    p.add_argument("b")
    p.add_argument("--csv", help="also write the table as CSV")
    p.set_defaults(func=cmd_compare)

    from .diagnose.cli import add_parser as add_diagnose_parser
    add_diagnose_parser(sub)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""The `diagnose` subcommand: capture -> per-flow metrics (JSON or a readable summary), and
optionally a fitted scenario (--scenario) and a simulated verdict (--report)."""

import json
import sys

from .capture import CaptureError, read_capture
from .metrics import STANDARD_WINDOWS, flow_summary
from .tcp import tcp_flows


def analyse(path, windows=()):
    """(the JSON result, the capture) for `path`."""
    capture = read_capture(path)
    all_windows = tuple(sorted(set(STANDARD_WINDOWS) | set(windows)))
    flows = []
    for (protocol, flow_id), flow in sorted(capture.ordered.items()):
        summary = flow_summary(flow.numbers, all_windows,
                               replay=protocol in ("esp", "wireguard"),
                               times=flow.times, sizes=flow.sizes)
        flows.append({"protocol": protocol, "id": flow_id, **summary})
    flows.extend(tcp_flows(capture.tcp))
    return {"capture": str(path), "flows": flows}, capture


def diagnose(path, windows=()):
    return analyse(path, windows)[0]


def main_flow(result, capture):
    """The flow to fit: the ordered flow (ESP, WireGuard, GRE) with the most packets, else the
    TCP data direction with the most segments; (flow entry, numbers, times, link arrivals for
    its trace) or None."""
    from .fit import link_arrivals
    ordered = [f for f in result["flows"] if f["protocol"] != "tcp"]
    if ordered:
        flow = max(ordered, key=lambda f: f["packets"])
        data = capture.ordered[(flow["protocol"], flow["id"])]
        return (flow, data.numbers, data.times,
                link_arrivals(capture.destinations, data.frames, data.numbers))
    tcp = [f for f in result["flows"] if f["protocol"] == "tcp"]
    if tcp:
        from .tcp import data_order
        flow = max(tcp, key=lambda f: f["packets"])
        numbers, times, _, counts = data_order(capture.tcp[flow["id"]])
        return (flow, numbers, times,
                link_arrivals(capture.destinations, counts["frames"], numbers))
    return None


def _print_summary(result):
    print(f"capture {result['capture']}: {len(result['flows'])} flows")
    for flow in result["flows"]:
        print(f"{flow['protocol']} {flow['id']}: {flow['packets']} packets, "
              f"loss {flow['loss_fraction']:.4f}, duplicates {flow['duplicates']}, "
              f"reordered {flow['reordered_ratio']:.4f} (extent p50 "
              f"{flow['reorder_extent_p50']}, max {flow['reorder_extent_max']}; late time p50 "
              f"{flow.get('reorder_late_time_ms', {}).get('p50', 0):.3f} ms), "
              f"{flow.get('rate_pps', 0):.0f} packets/s, {flow.get('rate_mbps', 0):.2f} Mbit/s")
        for window, fraction in flow.get("replay_drop_fraction", {}).items():
            print(f"  anti-replay window {window}: drops {fraction:.4f}")
        if flow["protocol"] == "tcp" and "ack_delay_ms" in flow:
            delay = flow["ack_delay_ms"]
            print(f"  {flow['acks']} ACKs, spacing p50 {flow['ack_spacing_us']['p50']:.0f} us, "
                  f"{flow['segments_per_ack']['mean']:.2f} segments/ACK, thinned "
                  f"{flow['ack_thinned_fraction']:.3f}, compressed "
                  f"{flow['ack_compressed_fraction']:.3f}, SACK {flow['sack_acks']} "
                  f"(D-SACK {flow['dsack_acks']}), retransmissions {flow['retransmissions']}")
            print(f"  ACK delay after the data here: p10 {delay['p10']:.2f} p50 "
                  f"{delay['p50']:.2f} p90 {delay['p90']:.2f} ms ({delay['matched']} matched; "
                  f"{flow['inference']})")


def cmd_diagnose(args) -> int:
    try:
        result, capture = analyse(args.capture, args.window or ())
    except CaptureError as error:
        print(f"tunnelsim diagnose: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        _print_summary(result)
    if not (args.scenario or args.report):
        return 0
    picked = main_flow(result, capture)
    if picked is None:
        print(f"tunnelsim diagnose: {args.capture}: no ESP, WireGuard, GRE or TCP flow to fit",
              file=sys.stderr)
        return 2
    from .fit import fit_flow
    from .scenario import fit_ack_delay, write_scenarios
    flow, numbers, times, arrivals = picked
    fit = fit_flow(flow, numbers, times)
    tcp = [f for f in result["flows"] if f["protocol"] == "tcp"]
    ack_fit = fit_ack_delay(max(tcp, key=lambda f: f["packets"]) if tcp else None)
    out = sys.stderr if args.json else sys.stdout
    if args.scenario:
        paths = write_scenarios(args.scenario, args.capture, flow, arrivals, fit, ack_fit)
        print(f"fitted scenario {paths[0]} (reorder {100 * fit['reorder']:.3f} %, delay "
              f"{1e3 * fit['delay_s']:.3f} ms, loss {100 * fit['loss']:.3f} %); trace "
              f"{paths[1]}; trace-replay scenario {paths[2]}", file=out)
    if args.report:
        from .verdict import VerdictError, write_verdict
        try:
            path, failed = write_verdict(args.report, result, flow, numbers, arrivals, fit, ack_fit,
                                 seeds=args.seeds, duration=args.duration, jobs=args.jobs,
                                 binary=args.binary)
        except VerdictError as error:
            print(f"tunnelsim diagnose: {error}", file=sys.stderr)
            return 1
        print(f"report in {path}", file=out)
        if failed:
            print(f"tunnelsim diagnose: {failed} simulated runs failed (listed in {path})",
                  file=sys.stderr)
            return 1
    return 0


def add_parser(sub):
    p = sub.add_parser("diagnose", help="per-flow reordering/loss/replay/ACK metrics of a "
                       "capture; fitted scenario; simulated verdict per tunnel")
    p.add_argument("capture")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--window", type=int, action="append", help="extra anti-replay window")
    p.add_argument("--scenario", metavar="OUT.toml",
                   help="write a fitted scenario, its trace (OUT.trace) and the trace-replay "
                   "variant (OUT-trace.toml)")
    p.add_argument("--report", metavar="DIR",
                   help="simulate the fitted and trace scenarios per tunnel and window; "
                   "write DIR/report.html")
    p.add_argument("--seeds", type=int, default=3, help="seeds per report point (default 3)")
    p.add_argument("--duration", default="10s", help="simulated time per report run "
                   "(default 10s)")
    p.add_argument("--jobs", type=int, default=None, help="report runs at once (default: cores)")
    p.add_argument("--binary", default=None, help="the tunnelsim binary (default: the build's)")
    p.set_defaults(func=cmd_diagnose)

"""The `diagnose` subcommand: capture -> per-flow metrics, as JSON or a readable summary."""

import json
import sys

from .capture import CaptureError, read_flows
from .metrics import STANDARD_WINDOWS, flow_summary


def diagnose(path, windows=()):
    flows = []
    all_windows = tuple(sorted(set(STANDARD_WINDOWS) | set(windows)))
    for (protocol, flow_id), sequence in sorted(read_flows(path).items()):
        summary = flow_summary(sequence, all_windows, replay=protocol in ("esp", "wireguard"))
        flows.append({"protocol": protocol, "id": flow_id, **summary})
    return {"capture": str(path), "flows": flows}


def cmd_diagnose(args) -> int:
    try:
        result = diagnose(args.capture, args.window or ())
    except CaptureError as error:
        print(f"tunnelsim diagnose: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"capture {result['capture']}: {len(result['flows'])} ordered flows")
    for flow in result["flows"]:
        print(f"{flow['protocol']} {flow['id']}: {flow['packets']} packets, "
              f"loss {flow['loss_fraction']:.4f}, duplicates {flow['duplicates']}, "
              f"reordered {flow['reordered_ratio']:.4f} (extent p50 "
              f"{flow['reorder_extent_p50']}, max {flow['reorder_extent_max']})")
        for window, fraction in flow.get("replay_drop_fraction", {}).items():
            print(f"  anti-replay window {window}: drops {fraction:.4f}")
    return 0


def add_parser(sub):
    p = sub.add_parser("diagnose", help="per-flow reordering/loss/replay metrics of a capture")
    p.add_argument("capture")
    p.add_argument("--json", action="store_true")
    p.add_argument("--window", type=int, action="append", help="extra anti-replay window")
    p.set_defaults(func=cmd_diagnose)

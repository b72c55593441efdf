"""`diagnose --scenario OUT.toml`: a scenario whose impairments reproduce the capture.

The fitted impairments go on the access link's downstream direction (the data direction of
the library's reorder-collapse path, whose topology, traffic and TCP settings the scenario
keeps); a fitted ACK delay, when the capture shows clear TCP, on its upstream direction. Next
to OUT.toml goes OUT.trace (tunnelsim-trace 1): the flow's exact order and loss, and
OUT-trace.toml, the same scenario replaying it (`impairment.access.down.trace`).
"""

import copy
from pathlib import Path

from .. import tomlwrite
from ..run import load_scenario
from .fit import write_trace

BASE_SCENARIO = "reorder-collapse"


def _percent(fraction):
    return round(100.0 * fraction, 4)


def _ms(seconds):
    return f"{max(seconds * 1e3, 0.0):.3f}ms"


def fitted_tables(fit, ack_fit=None):
    """{"down": {...}, "up": {...}} impairment tables of the fit (netem-style keys)."""
    down = {}
    if fit["reorder"] > 0 and fit["delay_s"] > 0:
        down["delay"] = _ms(fit["delay_s"])
        down["reorder"] = _percent(fit["reorder"])
    if fit["loss"] > 0:
        down["loss"] = _percent(fit["loss"])
    up = {}
    if ack_fit:
        up = {"ack_delay": _ms(ack_fit["delay_s"]),
              "ack_delay_jitter": _ms(ack_fit["jitter_s"]),
              "ack_classifier": "size", "ack_max_size": 200}
    return {"down": down, "up": up}


def fit_ack_delay(tcp_flow):
    """Constant plus uniform jitter matching the ACK delay p10 and p90 (a uniform [d, d+J)
    has p10 = d + 0.1 J and p90 = d + 0.9 J); None without matched ACKs."""
    delays = tcp_flow.get("ack_delay_ms") if tcp_flow else None
    if not delays or delays.get("matched", 0) < 20:
        return None
    jitter = max((delays["p90"] - delays["p10"]) / 0.8, 0.0)
    delay = max(delays["p10"] - 0.1 * jitter, 0.0)
    if delay + jitter < 1.0:  # below a millisecond: the receiver's own ACK timing, not a path
        return None
    return {"delay_s": delay / 1e3, "jitter_s": jitter / 1e3}


def scenario_document(tables, base=BASE_SCENARIO, trace_path=None):
    document = copy.deepcopy(load_scenario(base))
    document["name"] = "diagnosed"
    impairment = {}
    if trace_path is not None:
        impairment["down"] = {"trace": str(trace_path)}
    elif tables["down"]:
        impairment["down"] = tables["down"]
    if tables["up"]:
        impairment["up"] = tables["up"]
    if impairment:
        document["impairment"] = {"access": impairment}
    else:
        document.pop("impairment", None)
    return document


def _header(capture, flow, fit, ack_fit, trace_note):
    check = fit["check"]
    lines = [
        f"diagnosed: the path of {capture} (flow {flow['protocol']} {flow['id']}), fitted by "
        "tunnelsim diagnose",
        "",
        f"Measured: {flow['packets']} packets, loss {flow['loss_fraction']:.5f}, reordered "
        f"ratio {flow['reordered_ratio']:.4f}, extent p50 {flow['reorder_extent_p50']} / max "
        f"{flow['reorder_extent_max']} packets, late time p50 "
        f"{flow.get('reorder_late_time_ms', {}).get('p50', 0):.3f} ms, rate "
        f"{flow.get('rate_pps', 0):.0f} packets/s.",
        f"Fitted (netem model): reorder {_percent(fit['reorder'])} % (from {fit['early']} early "
        f"of {fit['eligible']} packets that could overtake), delay {fit['delay_s'] * 1e3:.3f} ms, "
        f"loss {_percent(fit['loss'])} %.",
        f"Fit error (the fitted model applied to the flow's estimated send times): reordered "
        f"ratio {check['model_reordered_ratio']:.4f} vs measured "
        f"{check['measured_reordered_ratio']:.4f} "
        f"({_relative(check['model_reordered_ratio'], check['measured_reordered_ratio'])}), "
        f"late time p50 {check['model_late_time_p50_ms']:.3f} ms vs "
        f"{check['measured_late_time_p50_ms']:.3f} ms "
        f"({_relative(check['model_late_time_p50_ms'], check['measured_late_time_p50_ms'])}).",
    ]
    if ack_fit:
        lines.append(f"ACK delay fitted from the clear TCP ACKs: {ack_fit['delay_s'] * 1e3:.3f} ms "
                     f"+ uniform [0, {ack_fit['jitter_s'] * 1e3:.3f} ms).")
    else:
        lines.append("No ACK delay: the capture shows no clear TCP ACKs to measure it on (an "
                     "encrypted tunnel) or their delay is below 1 ms.")
    lines.append("The rest (topology, traffic, TCP) is the library's reorder-collapse scenario;"
                 " the measured rate may differ from its access link's.")
    lines.append(trace_note)
    return "\n".join(lines)


def _relative(model, measured):
    if measured == 0:
        return "measured 0"
    return f"{100.0 * (model - measured) / measured:+.1f} %"


def write_scenarios(out_path, capture, flow, arrivals, fit, ack_fit=None):
    """Writes OUT.toml, OUT.trace (of `arrivals`, fit.link_arrivals) and OUT-trace.toml;
    returns their paths."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    trace_path = out_path.with_suffix(".trace")
    trace_scenario = out_path.with_name(out_path.stem + "-trace.toml")
    entries = write_trace(trace_path, arrivals, f"{capture} flow {flow['protocol']} {flow['id']}")
    tables = fitted_tables(fit, ack_fit)
    note = (f"Trace replay of the exact order and loss of the link direction ({entries} "
            "packets, looped): "
            f"{trace_scenario.name}, which sets impairment.access.down.trace = "
            f"\"{trace_path.name}\" (relative to the scenario's directory).")
    header = _header(capture, flow, fit, ack_fit, note)
    out_path.write_text(tomlwrite.dumps(scenario_document(tables), header=header))
    trace_header = header + "\nThis variant replays the trace instead of the fitted netem model."
    trace_scenario.write_text(tomlwrite.dumps(
        scenario_document(tables, trace_path=trace_path.name), header=trace_header))
    return out_path, trace_path, trace_scenario

"""Fits netem-style impairments to one flow of a capture, and writes its replay trace.

The model is netem's `delay D reorder P%` (docs/impairments.md): each packet is sent at once
with probability p, otherwise D later; delayed packets keep their order. At the receiver the
packets sent at once are the *early* ones: some lower number arrives after them. Their
advance over the delayed packets around them (in number) is D minus nothing, so

- D is the median advance of early packets over the arrival time their in-order neighbours
  imply for them (linear interpolation by sequence number);
- p is early packets / packets that could have been seen early: those sent less than D after
  their predecessor (a packet sent at once when nothing is in the delay line overtakes
  nothing, so it cannot be told from a delayed one and is left out of both counts);
- loss is the flow's loss fraction (netem `loss`, independent).

The fit error is stated by applying the fitted model (netem's draws, tunnelsim.analytic) to
the flow's estimated send times and comparing its reordered ratio and reordering late time
with the capture's.
"""

import bisect
import math
import statistics


from .. import analytic
from .metrics import late_time_offsets, percentile, rfc4737


def _unique_arrivals(numbers, times):
    seen = set()
    out_numbers, out_times = [], []
    for number, time in zip(numbers, times):
        if number not in seen:
            seen.add(number)
            out_numbers.append(number)
            out_times.append(time)
    return out_numbers, out_times


def early_flags(numbers):
    """True for each arrival after which some lower number arrives (suffix minimum)."""
    flags = [False] * len(numbers)
    lowest_after = math.inf
    for index in range(len(numbers) - 1, -1, -1):
        flags[index] = numbers[index] > lowest_after
        lowest_after = min(lowest_after, numbers[index])
    return flags


def fit_reorder(numbers, times):
    """{"reorder": p (0..1), "delay_s": D, "early": n, "eligible": n} from one flow."""
    numbers, times = _unique_arrivals(numbers, times)
    early = early_flags(numbers)
    in_order = sorted((n, t) for n, t, e in zip(numbers, times, early) if not e)
    if len(in_order) < 2:
        return {"reorder": 0.0, "delay_s": 0.0, "early": 0, "eligible": 0}
    trend_numbers = [n for n, _ in in_order]
    trend_times = [t for _, t in in_order]
    advances = []
    for number, time, is_early in zip(numbers, times, early):
        if not is_early:
            continue
        expected = _interpolate(trend_numbers, trend_times, number)
        if expected is not None:
            advances.append(expected - time)
    delay = statistics.median(advances) if advances else 0.0
    if delay <= 0:
        return {"reorder": 0.0, "delay_s": 0.0, "early": 0, "eligible": len(numbers)}
    # Send time: delayed packets left D before they arrived, early ones when they arrived.
    sent = {n: (t if e else t - delay) for n, t, e in zip(numbers, times, early)}
    eligible = early_count = 0
    for number, is_early in zip(numbers, early):
        previous = sent.get(number - 1)
        if previous is None:
            continue
        if sent[number] - previous < delay:
            eligible += 1
            early_count += is_early
    return {"reorder": early_count / eligible if eligible else 0.0, "delay_s": delay,
            "early": early_count, "eligible": eligible}


def _interpolate(numbers, times, number):
    index = bisect.bisect_left(numbers, number)
    if index == 0 or index >= len(numbers):
        return None
    n_lo, n_hi = numbers[index - 1], numbers[index]
    t_lo, t_hi = times[index - 1], times[index]
    return t_lo + (t_hi - t_lo) * (number - n_lo) / (n_hi - n_lo)


def send_times(numbers, times, delay_s):
    """Estimated send time of each unique number: early packets left when they arrived,
    the others delay_s before (the path's own constant delay cancels out)."""
    numbers, times = _unique_arrivals(numbers, times)
    early = early_flags(numbers)
    return sorted((n, t if e else t - delay_s) for n, t, e in zip(numbers, times, early))


def model_check(reorder, delay_s, sent, seed=1):
    """Reordered ratio and late-time p50 (ms) of the fitted netem model applied to the flow's
    estimated send times `sent` [(number, time)] (its real burstiness, not a constant rate)."""
    if reorder <= 0 or delay_s <= 0 or len(sent) < 2:
        return {"reordered_ratio": 0.0, "late_time_p50_ms": 0.0}
    immediate = analytic.simulate_immediate(reorder, len(sent), seed=seed)
    due = [(t if now else t + delay_s, 0 if now else 1, n)
           for (n, t), now in zip(sent, immediate)]
    due.sort()
    numbers = [n for _, _, n in due]
    arrival = [t for t, _, _ in due]
    ratio, _ = rfc4737(numbers)
    offsets = [o * 1e3 for o in late_time_offsets(numbers, arrival)]
    return {"reordered_ratio": ratio, "late_time_p50_ms": percentile(offsets, 0.5)}


def fit_flow(flow_summary_entry, numbers, times):
    """The fitted impairment of one flow and its fit error against the capture."""
    fitted = fit_reorder(numbers, times)
    fitted["loss"] = flow_summary_entry["loss_fraction"]
    sent = send_times(numbers, times, fitted["delay_s"])
    check = model_check(fitted["reorder"], fitted["delay_s"], sent)
    measured_ratio = flow_summary_entry["reordered_ratio"]
    measured_late = flow_summary_entry.get("reorder_late_time_ms", {}).get("p50", 0.0)
    fitted["check"] = {
        "measured_reordered_ratio": measured_ratio,
        "model_reordered_ratio": check["reordered_ratio"],
        "measured_late_time_p50_ms": measured_late,
        "model_late_time_p50_ms": check["late_time_p50_ms"],
    }
    return fitted


def trace_lines(arrivals):
    """tunnelsim-trace 1 entries, in send order, for the packets of one link direction in
    arrival order: a flow's sequence number, or None for another packet of that direction
    (docs/impairments.md, "Trace replay"). Numbers never seen are `drop`; a packet some K
    later-sent packets arrived before is `after K`; the rest `pass`. Another packet is taken
    to have been sent right after the highest number that arrived before it (it overtook
    nothing, and what arrives after it below that number was overtaken by it too)."""
    keys = []  # (send-order key, arrival index) of every arrival
    seen = set()
    running_max = None
    numbers = [a for a in arrivals if a is not None]
    if not numbers:
        return []
    low, high = min(numbers), max(numbers)
    for index, number in enumerate(arrivals):
        if number is None:
            after = running_max if running_max is not None else low - 1
            keys.append(((after, 1, index), index))
            continue
        if number in seen:
            continue  # a duplicate: the original's fate is the one replayed
        seen.add(number)
        running_max = number if running_max is None else max(running_max, number)
        keys.append(((number, 0, 0), index))
    order = sorted(range(len(keys)), key=lambda k: keys[k][0])
    send_rank = {k: rank for rank, k in enumerate(order)}
    # K of each arrival: earlier arrivals with a larger send rank (a Fenwick tree over ranks,
    # filled in arrival order).
    size = len(keys)
    tree = [0] * (size + 1)
    later_before = {}
    for arrived, k in enumerate(sorted(range(size), key=lambda k: keys[k][1])):
        position, total = send_rank[k] + 1, 0
        while position > 0:
            total += tree[position]
            position -= position & -position
        later_before[k] = arrived - total
        position = send_rank[k] + 1
        while position <= size:
            tree[position] += 1
            position += position & -position
    lines = []
    by_number = {keys[k][0][0]: k for k in range(size) if keys[k][0][1] == 0}
    others = sorted((keys[k][0], k) for k in range(size) if keys[k][0][1] == 1)
    other_index = 0

    def emit(k):
        lines.append(f"after {later_before[k]}" if later_before[k] > 0 else "pass")

    while other_index < len(others) and others[other_index][0][0] < low:
        emit(others[other_index][1])
        other_index += 1
    for number in range(low, high + 1):
        if number in by_number:
            emit(by_number[number])
        else:
            lines.append("drop")
        while other_index < len(others) and others[other_index][0][0] == number:
            emit(others[other_index][1])
            other_index += 1
    return lines


def link_arrivals(destinations, frames, numbers):
    """The arrivals of the fitted flow's link direction (frames to the flow's destination), as
    trace_lines wants them: the flow's number for its own frames, None for the others."""
    if not frames:
        return list(numbers)
    destination = destinations[frames[0]]
    number_of_frame = dict(zip(frames, numbers))
    return [number_of_frame.get(index) for index, d in enumerate(destinations)
            if d == destination]


def write_trace(path, arrivals, source):
    """Writes the trace of `arrivals` (see trace_lines); returns its number of entries."""
    lines = trace_lines(arrivals)
    with open(path, "w") as out:
        out.write(f"# per-packet order and loss of {source}, written by tunnelsim diagnose\n")
        out.write("tunnelsim-trace 1\n")
        out.write("\n".join(lines) + "\n")
    return len(lines)

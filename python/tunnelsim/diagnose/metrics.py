"""Ordering metrics of one flow, from its sequence numbers in arrival order.

RFC 4737: a packet is reordered when its sequence number is below the next
expected one (the highest seen + 1); its extent is the distance back to the
earliest packet that arrived before it with a larger sequence number.
RFC 5236: reorder density, the distribution of displacement receive index - sequence
number, the receive index stepping through the sequence numbers and skipping lost ones (as
RFC 5236's authors publish the algorithm; see reorder_density).
"""

import bisect
from collections import Counter, deque

STANDARD_WINDOWS = (32, 64, 128, 1024, 8128)


def reordered_packets(sequence):
    """RFC 4737 over unique arrivals: [(arrival index i, extent, position of j, position of i)]
    for every reordered packet, j being the earliest earlier arrival with a larger number
    (extent = i - j; positions index `sequence`), and the number of unique arrivals."""
    next_expected = None
    seen = set()
    positions = []       # unique arrivals' positions in `sequence`
    running_max = []     # running maximum of the unique arrivals' numbers (non-decreasing)
    reordered = []
    for position, number in enumerate(sequence):
        if number in seen:
            continue  # duplicates are not counted as arrivals (RFC 4737 section 3)
        seen.add(number)
        if next_expected is not None and number < next_expected:
            # Arrivals before the first whose running maximum exceeds `number` are all below
            # it, so that one is the earliest earlier arrival with a larger number.
            index = bisect.bisect_right(running_max, number)
            reordered.append((len(positions), len(positions) - index, positions[index],
                              position))
        else:
            next_expected = number + 1
        positions.append(position)
        running_max.append(max(number, running_max[-1]) if running_max else number)
    return reordered, len(positions)


def rfc4737(sequence):
    """Reordered ratio and per-packet extents (in packets) over unique arrivals."""
    reordered, unique = reordered_packets(sequence)
    ratio = len(reordered) / unique if unique else 0.0
    return ratio, [extent for _, extent, _, _ in reordered]


def late_time_offsets(sequence, times):
    """RFC 4737 reordering extent in time (its late time offset): for every reordered packet,
    its arrival time minus the arrival time of the earliest earlier packet with a larger
    number (the same packet its extent in packets counts back to), in seconds."""
    reordered, _ = reordered_packets(sequence)
    return [times[position] - times[j_position] for _, _, j_position, position in reordered]


def reorder_density(sequence, threshold=3):
    """RFC 5236 RD: {displacement: fraction} for displacements in [-threshold, threshold].

    Follows the algorithm RFC 5236's authors publish (CSU CNRL, rd_algo.txt): a receive index
    walks the sequence numbers; each arrival is displaced by receive index - its number
    (positive: late, negative: early). The next `threshold` + 1 arrivals are held in a look-ahead
    window and early arrivals counted so far are remembered, so a number neither held nor
    remembered is lost and the index moves past it (to the smallest number held, if that is
    higher). An arrival displaced by more than `threshold` is treated as lost: it is not counted
    and takes no receive index. Repeats of a held, remembered or already passed number are
    duplicates and skipped. The fractions are over the packets counted, so they sum to 1.
    """
    if threshold < 0:
        raise ValueError(f"reorder density threshold must be >= 0, got {threshold}")
    arrivals = iter(sequence)
    window = deque()    # look-ahead of at most threshold + 1 arrivals, in arrival order
    early = set()       # numbers counted as early arrivals whose receive index is still ahead
    receive_index = None

    def next_arrival():
        """The next arrival that is not a duplicate, or None at the end of the stream."""
        for number in arrivals:
            passed = receive_index is not None and number < receive_index
            if not passed and number not in early and number not in window:
                return number
        return None

    while len(window) < threshold + 1:
        number = next_arrival()
        if number is None:
            break
        window.append(number)
    if not window:
        return {}
    # The authors start the index at 1 for streams numbered from 1; starting at the smallest
    # number held gives the same result there and works for any first number (WireGuard's 0).
    receive_index = min(window)
    counts = Counter()
    while window:
        if receive_index in early or receive_index in window:
            arrival = window.popleft()
            displacement = receive_index - arrival
            if abs(displacement) <= threshold:
                counts[displacement] += 1
                early.discard(receive_index)
                if displacement < 0:
                    early.add(arrival)
                receive_index += 1
            number = next_arrival()  # (a discarded arrival leaves the index where it was)
            if number is not None:
                window.append(number)
        else:
            # Nothing holds the number at the receive index: it is lost. Move to the smallest
            # number held if that is ahead, otherwise one step.
            smallest = min(min(window), min(early, default=window[0]))
            receive_index = smallest if receive_index < smallest else receive_index + 1
    total = sum(counts.values())
    return {d: counts[d] / total for d in range(-threshold, threshold + 1)} if total else {}


def loss_and_duplicates(sequence):
    """(lost numbers between min and max never seen, duplicate arrivals)."""
    if not sequence:
        return 0, 0
    unique = set(sequence)
    lost = (max(unique) - min(unique) + 1) - len(unique)
    return lost, len(sequence) - len(unique)


def replay_drops(sequence, window):
    """Packets a sliding anti-replay window of `window` packets (RFC 4303 3.4.3) drops."""
    highest = None
    accepted = set()
    drops = 0
    for number in sequence:
        if highest is None or number > highest:
            highest = number
            accepted.add(number)
        elif number <= highest - window or number in accepted:
            drops += 1
        else:
            accepted.add(number)
    return drops


def percentile(values, fraction):
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timing(times, sizes):
    """Inter-arrival percentiles (microseconds) and mean rate over the flow's span."""
    gaps = [(b - a) * 1e6 for a, b in zip(times, times[1:])]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "interarrival_us": {"p10": percentile(gaps, 0.1), "p50": percentile(gaps, 0.5),
                            "p90": percentile(gaps, 0.9), "max": max(gaps) if gaps else 0},
        "duration_s": span,
        # n packets span n-1 gaps
        "rate_pps": (len(times) - 1) / span if span > 0 else 0.0,
        "rate_mbps": 8 * sum(sizes[1:]) / span / 1e6 if span > 0 else 0.0,
    }


def flow_summary(sequence, windows=STANDARD_WINDOWS, replay=True, times=None, sizes=None):
    ratio, extents = rfc4737(sequence)
    lost, duplicates = loss_and_duplicates(sequence)
    sent = len(set(sequence)) + lost
    summary = {
        "packets": len(sequence),
        "loss_fraction": lost / sent if sent else 0.0,
        "duplicates": duplicates,
        "reordered_ratio": ratio,
        "reorder_extent_p50": percentile(extents, 0.5),
        "reorder_extent_max": max(extents) if extents else 0,
    }
    if replay:  # right after the extents: the order `--json` promises (docs/diagnose.md)
        summary["replay_drop_fraction"] = {
            str(w): (replay_drops(sequence, w) / sent if sent else 0.0) for w in windows}
    summary["reorder_density"] = {str(k): v for k, v in reorder_density(sequence).items()}
    if times is not None:
        offsets_ms = [o * 1e3 for o in late_time_offsets(sequence, times)]
        summary["reorder_late_time_ms"] = {
            "p50": percentile(offsets_ms, 0.5), "p90": percentile(offsets_ms, 0.9),
            "max": max(offsets_ms) if offsets_ms else 0.0}
        summary.update(timing(times, sizes if sizes is not None else [0] * len(times)))
    return summary

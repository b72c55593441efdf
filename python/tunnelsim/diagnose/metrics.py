"""Ordering metrics of one flow, from its sequence numbers in arrival order.

RFC 4737: a packet is reordered when its sequence number is below the next
expected one (the highest seen + 1); its extent is the distance back to the
earliest packet that arrived before it with a larger sequence number.
RFC 5236: reorder density, the distribution of displacement arrival_index -
receive_index, where duplicates and lost numbers are skipped.
"""

from collections import Counter

STANDARD_WINDOWS = (32, 64, 128, 1024, 8128)


def rfc4737(sequence):
    """Reordered ratio and per-packet extents (in packets) over unique arrivals."""
    next_expected = None
    seen = set()
    arrivals = []
    extents = []
    for number in sequence:
        if number in seen:
            continue  # duplicates are not counted as arrivals (RFC 4737 section 3)
        seen.add(number)
        if next_expected is not None and number < next_expected:
            # Extent: distance to the earliest earlier arrival with a larger number.
            for index, earlier in enumerate(arrivals):
                if earlier > number:
                    extents.append(len(arrivals) - index)
                    break
        else:
            next_expected = number + 1
        arrivals.append(number)
    ratio = len(extents) / len(arrivals) if arrivals else 0.0
    return ratio, extents


def reorder_density(sequence, threshold=3):
    """RFC 5236 RD: {displacement: fraction} for displacements in [-threshold, threshold]."""
    unique = []
    seen = set()
    for number in sequence:
        if number not in seen:
            seen.add(number)
            unique.append(number)
    expected_order = {number: index for index, number in enumerate(sorted(unique))}
    counts = Counter()
    for arrival_index, number in enumerate(unique):
        displacement = arrival_index - expected_order[number]
        if -threshold <= displacement <= threshold:
            counts[displacement] += 1
    total = len(unique)
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


def flow_summary(sequence, windows=STANDARD_WINDOWS, replay=True):
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
        "reorder_density": {str(k): v for k, v in reorder_density(sequence).items()},
    }
    if replay:
        summary["replay_drop_fraction"] = {
            str(w): (replay_drops(sequence, w) / sent if sent else 0.0) for w in windows}
    return summary

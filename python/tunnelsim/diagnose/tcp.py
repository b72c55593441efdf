"""Metrics of one TCP data direction and the ACKs coming back, from a single capture point.

The data segments are put in send order by their sequence numbers (segment starts ranked), so
the RFC 4737/5236 metrics of metrics.py apply to them as to ESP sequence numbers. What one
capture point can tell (docs/diagnose.md, "TCP from one capture point"):

- reordering and loss of the data *before* the capture point: a segment whose bytes were never
  seen before but which arrives below the highest byte seen is either reordered or a
  retransmission of data lost before the capture point. With TCP timestamps the two are told
  apart: a reordered segment was sent no later than the segment that overtook it (TSval not
  newer); a retransmission was sent later. Without timestamps every such segment counts as
  reordered (an upper bound) and loss_fraction is 0 (unknown).
- segments whose bytes were all seen before are duplicates here (spurious retransmissions,
  or network duplicates); `retransmissions` is tshark's flag, whichever the cause.
- ACK delay: the time from the first arrival of the data segment whose end an ACK
  acknowledges to the ACK passing the same point. At or near the receiver that is the
  receiver's ACK policy plus whatever delays ACKs before the capture point; at the sender it
  is a whole round trip. Delays *after* the capture point (ACKs held on the return path) are
  invisible from one point; so is any delay of the data before it, except as reordering.
- ACK spacing, thinning (segments acknowledged per ACK) and compression (ACKs closer together
  than the data they acknowledge) describe the ACK stream as it passes the capture point.
"""

from collections import Counter

from .metrics import flow_summary, percentile


def _reverse(key):
    source, destination = key.split(">")
    return f"{destination}>{source}"


def data_order(segments):
    """(send-order numbers in arrival order for first arrivals and retransmissions, arrival
    times, sizes, counts) of the data segments of one direction."""
    data = [s for s in segments if s.length > 0]
    starts = sorted({s.seq for s in data})
    rank = {seq: index for index, seq in enumerate(starts)}
    numbers, times, sizes, frames = [], [], [], []
    covered = []  # byte ranges seen, to tell duplicates
    highest_end = None
    highest_tsval = None  # TSval of the segment that set highest_end
    reordered_originals, hole_fills, duplicates = 0, 0, 0
    seen_ranges = set()
    for segment in data:
        end = segment.seq + segment.length
        if (segment.seq, end) in seen_ranges or _covered(covered, segment.seq, end):
            duplicates += 1  # counted here, not an arrival for the ordering metrics
            continue
        seen_ranges.add((segment.seq, end))
        covered.append((segment.seq, end))
        if highest_end is not None and segment.seq < highest_end:
            sent_later = (segment.tsval is not None and highest_tsval is not None
                          and segment.tsval > highest_tsval)
            if sent_later:
                hole_fills += 1
                continue  # a retransmission of data lost before this point: not an arrival
            reordered_originals += 1
        if highest_end is None or end > highest_end:
            highest_end, highest_tsval = end, segment.tsval
        numbers.append(rank[segment.seq])
        times.append(segment.time)
        sizes.append(segment.length)
        frames.append(segment.frame)
    return numbers, times, sizes, {"hole_fills": hole_fills, "duplicates": duplicates,
                                   "with_timestamps": sum(s.tsval is not None for s in data),
                                   "data_segments": len(data), "frames": frames}


def _covered(ranges, start, end):
    # Enough for the few hundred thousand segments of a capture: recent ranges first.
    for left, right in reversed(ranges[-256:]):
        if left <= start and end <= right:
            return True
    return False


def ack_metrics(data_segments, acks):
    """ACK stream metrics for the ACKs `acks` of the data `data_segments` (both arrival order)."""
    data = [s for s in data_segments if s.length > 0]
    pure = [a for a in acks if a.length == 0 and a.ack and not a.syn_fin_rst]
    result = {"acks": len(pure)}
    if not data or len(pure) < 2:
        return result
    mss = Counter(s.length for s in data).most_common(1)[0][0]
    first_arrival_by_end = {}
    for segment in data:
        first_arrival_by_end.setdefault(segment.seq + segment.length, segment.time)
    spacing_us = [(b.time - a.time) * 1e6 for a, b in zip(pure, pure[1:])]
    segments_per_ack = []
    delays_ms = []
    compression = []
    previous_ack, previous_data_time, previous_ack_time = None, None, None
    sack_acks = dsacks = 0
    for ack in pure:
        if ack.sack:
            sack_acks += 1
            left, right = ack.sack[0]
            # RFC 2883: a first block below the cumulative ACK, or inside the second block,
            # reports a duplicate segment.
            if right <= ack.ack or (len(ack.sack) > 1 and ack.sack[1][0] <= left
                                    and right <= ack.sack[1][1]):
                dsacks += 1
        data_time = first_arrival_by_end.get(ack.ack)
        if data_time is not None and data_time <= ack.time:
            delays_ms.append((ack.time - data_time) * 1e3)
        if previous_ack is not None and ack.ack > previous_ack:
            segments_per_ack.append((ack.ack - previous_ack) / mss)
            if data_time is not None and previous_data_time is not None \
                    and data_time > previous_data_time:
                compression.append((ack.time - previous_ack_time)
                                   / (data_time - previous_data_time))
        if previous_ack is None or ack.ack > previous_ack:
            previous_ack, previous_data_time, previous_ack_time = ack.ack, data_time, ack.time
    result.update({
        "ack_spacing_us": {"p10": percentile(spacing_us, 0.1), "p50": percentile(spacing_us, 0.5),
                           "p90": percentile(spacing_us, 0.9)},
        "segments_per_ack": {"mean": sum(segments_per_ack) / len(segments_per_ack)
                             if segments_per_ack else 0.0,
                             "p50": percentile(segments_per_ack, 0.5),
                             "p90": percentile(segments_per_ack, 0.9)},
        # thinning: ACKs covering more than the two segments a delayed-ACK receiver acks
        "ack_thinned_fraction": (sum(n > 2.5 for n in segments_per_ack) / len(segments_per_ack)
                                 if segments_per_ack else 0.0),
        # compression: ACK spacing below half the spacing of the data they acknowledge
        "ack_compressed_fraction": (sum(r < 0.5 for r in compression) / len(compression)
                                    if compression else 0.0),
        "ack_delay_ms": {"matched": len(delays_ms), "p10": percentile(delays_ms, 0.1),
                         "p50": percentile(delays_ms, 0.5), "p90": percentile(delays_ms, 0.9),
                         "max": max(delays_ms) if delays_ms else 0.0},
        "sack_acks": sack_acks,
        "dsack_acks": dsacks,
        "mss": mss,
    })
    return result


ONE_POINT_NOTE = ("one capture point: ack_delay_ms is data arrival here to ACK here (receiver "
                  "policy plus delays before this point); ACK delay after this point and data "
                  "delay before it are not observable; loss before this point is counted only "
                  "with TCP timestamps")


def tcp_flows(tcp_directions, windows=()):
    """A flows-list entry per TCP direction that carries data."""
    flows = []
    for key, segments in sorted(tcp_directions.items()):
        if not any(s.length > 0 for s in segments):
            continue
        numbers, times, sizes, counts = data_order(segments)
        summary = flow_summary(numbers, replay=False, times=times, sizes=sizes)
        # flow_summary counts rank gaps as loss; TCP ranks have none, so loss here is the
        # data retransmitted into a hole (timestamps needed to tell it from reordering).
        unique = len(set(numbers))
        summary["loss_fraction"] = (counts["hole_fills"] / (unique + counts["hole_fills"])
                                    if unique else 0.0)
        summary["duplicates"] = counts["duplicates"]
        summary["packets"] = counts["data_segments"]
        summary["retransmissions"] = sum(s.retransmission for s in segments if s.length > 0)
        summary["timestamps_fraction"] = (counts["with_timestamps"] / counts["data_segments"])
        summary.update(ack_metrics(segments, tcp_directions.get(_reverse(key), [])))
        summary["inference"] = ONE_POINT_NOTE
        flows.append({"protocol": "tcp", "id": key, **summary})
    return flows

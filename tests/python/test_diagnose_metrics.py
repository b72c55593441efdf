"""`tunnelsim diagnose` metrics against hand-computed sequences (no simulator): extent in
time, reorder density with loss, inter-arrival and rate, TCP reordering vs retransmission,
ACK spacing/thinning/compression/delay, SACK and D-SACK, the netem fit on a synthetic stream
with known parameters, and the trace lines of a recorded order."""

import random

import pytest

from tunnelsim.diagnose.capture import TcpSegment
from tunnelsim.diagnose.fit import early_flags, fit_reorder, trace_lines
from tunnelsim.diagnose.metrics import (flow_summary, late_time_offsets, reorder_density,
                                        reordered_packets, rfc4737, timing)
from tunnelsim.diagnose.tcp import ack_metrics, data_order, tcp_flows


def test_rfc4737_burst_overtaken_by_one_packet():
    # Sent 1..6, 5 overtakes 2,3,4: each of them arrives after 5 (the first larger arrival,
    # at index 1), so extents are 2, 3, 4 arrivals back; 6 is in order.
    ratio, extents = rfc4737([1, 5, 2, 3, 4, 6])
    assert extents == [1, 2, 3]  # 2 is one back from 5, 3 two back, 4 three back
    assert ratio == pytest.approx(3 / 6)


def test_rfc4737_extent_counts_back_to_the_earliest_larger_arrival():
    # 4, 5, 1: for 1 the earliest earlier arrival above it is 4 (two back), not 5.
    reordered, unique = reordered_packets([4, 5, 1])
    assert unique == 3
    assert [(i, extent) for i, extent, _, _ in reordered] == [(2, 2)]


def test_rfc4737_duplicate_of_a_reordered_packet_is_not_an_arrival():
    ratio, extents = rfc4737([1, 3, 2, 2, 4])
    assert extents == [1] and ratio == pytest.approx(1 / 4)


def test_late_time_offset_is_time_since_the_packet_extent_counts_back_to():
    # 1 at 0 ms, 3 at 1 ms, 4 at 2 ms, 2 at 5 ms: 2's earliest larger earlier arrival is 3
    # (1 ms), so its late time offset is 4 ms.
    offsets = late_time_offsets([1, 3, 4, 2], [0.000, 0.001, 0.002, 0.005])
    assert offsets == [pytest.approx(0.004)]
    assert late_time_offsets([1, 2, 3], [0, 1, 2]) == []


def test_rfc5236_density_ignores_lost_numbers_and_duplicates():
    # 3 lost, the rest in order: every displacement is 0 (expected position = rank).
    assert reorder_density([1, 2, 4, 5], threshold=1) == {-1: 0.0, 0: 1.0, 1: 0.0}
    # 1,3,2 with a duplicate 3: 3 one early, 2 one late.
    density = reorder_density([1, 3, 3, 2], threshold=1)
    assert density == {-1: pytest.approx(1 / 3), 0: pytest.approx(1 / 3),
                       1: pytest.approx(1 / 3)}


def test_rfc5236_density_of_a_displacement_beyond_the_threshold_is_left_out():
    # 4,1,2,3: 4 would be three early (-3); with threshold 2 RFC 5236 treats it as lost, so it
    # takes no receive index and 1..3 are in place (the density is over those three).
    density = reorder_density([4, 1, 2, 3], threshold=2)
    assert density == {-2: 0.0, -1: 0.0, 0: 1.0, 1: 0.0, 2: 0.0}
    # With threshold 3 it is counted: 4 three early, 1..3 one late each.
    density = reorder_density([4, 1, 2, 3], threshold=3)
    assert density[-3] == pytest.approx(1 / 4) and density[1] == pytest.approx(3 / 4)


def test_interarrival_and_rate():
    result = timing([0.0, 0.001, 0.003, 0.006], [100, 100, 200, 300])
    assert result["interarrival_us"]["p50"] == pytest.approx(2000)
    assert result["interarrival_us"]["max"] == pytest.approx(3000)
    assert result["rate_pps"] == pytest.approx(3 / 0.006)
    assert result["rate_mbps"] == pytest.approx(8 * 600 / 0.006 / 1e6)


def segment(time, seq, length=1000, ack=0, tsval=None, sack=(), flags=False):
    return TcpSegment(time=time, seq=seq, ack=ack, length=length, sack=list(sack), tsval=tsval,
                      syn_fin_rst=flags)


def test_tcp_reordered_original_vs_retransmission_by_timestamp():
    # Segments 0,1000,2000 sent with TSval 10; 3000 arrives first (TSval 11). 1000 then
    # arrives with TSval 10 (sent before 3000: reordered); 2000 with TSval 20 (sent after:
    # a retransmission of a segment lost before the capture point).
    data = [segment(0.0, 0, tsval=10), segment(0.1, 3000, tsval=11), segment(0.2, 1000, tsval=10),
            segment(0.3, 2000, tsval=20), segment(0.4, 2000, tsval=21)]
    numbers, times, _, counts = data_order(data)
    assert counts["hole_fills"] == 1 and counts["duplicates"] == 1
    # Ranks: 0 -> 0, 1000 -> 1, 2000 -> 2, 3000 -> 3; neither the retransmission nor the
    # later copy of 2000 (a duplicate) is an arrival for the ordering metrics.
    assert numbers == [0, 3, 1]
    assert rfc4737(numbers)[1] == [1]  # only the reordered original 1000 (one back: 3000)


def test_tcp_without_timestamps_counts_every_hole_filler_as_reordered():
    data = [segment(0.0, 0), segment(0.1, 2000), segment(0.2, 1000)]
    numbers, _, _, counts = data_order(data)
    assert counts["hole_fills"] == 0 and rfc4737(numbers)[1] == [1]


def test_ack_spacing_thinning_delay_and_dsack():
    data = [segment(0.000 + 0.001 * i, 1000 * i) for i in range(8)]
    # ACKs: every 2 segments at first, then one ACK for 4 segments (thinned); each 5 ms after
    # the data segment it acknowledges the end of. The last carries a D-SACK (block below the
    # cumulative ACK, RFC 2883) and the one before an ordinary SACK block above it.
    acks = [segment(0.001 + 0.005, 0, 0, ack=2000),
            segment(0.003 + 0.005, 0, 0, ack=4000),
            segment(0.007 + 0.005, 0, 0, ack=8000, sack=[(9000, 10000)]),
            segment(0.0125, 0, 0, ack=8000, sack=[(1000, 2000)])]
    result = ack_metrics(data, acks)
    assert result["acks"] == 4
    assert result["ack_delay_ms"]["matched"] == 4  # the repeated ACK matches the same data
    assert result["ack_delay_ms"]["p10"] == pytest.approx(5.0)
    assert result["segments_per_ack"]["mean"] == pytest.approx((2 + 4) / 2)
    assert result["ack_thinned_fraction"] == pytest.approx(1 / 2)
    assert result["ack_spacing_us"]["p50"] == pytest.approx(2000)
    assert result["sack_acks"] == 2 and result["dsack_acks"] == 1
    assert result["mss"] == 1000


def test_dsack_inside_the_second_block():
    data = [segment(0.0, 0), segment(0.001, 1000)]
    acks = [segment(0.002, 0, 0, ack=1000),
            segment(0.003, 0, 0, ack=1000, sack=[(3000, 4000), (2000, 5000)])]
    assert ack_metrics(data, acks)["dsack_acks"] == 1


def test_ack_compression_when_acks_bunch_up():
    data = [segment(0.010 * i, 1000 * i) for i in range(6)]
    # The data arrive 10 ms apart, their ACKs all within 1 ms: compressed.
    acks = [segment(0.1 + 0.0002 * i, 0, 0, ack=1000 * (i + 1)) for i in range(6)]
    assert ack_metrics(data, acks)["ack_compressed_fraction"] == pytest.approx(1.0)


def test_tcp_flows_keep_the_required_keys_in_order():
    directions = {"a:1>b:2": [segment(0.001 * i, 1000 * i) for i in range(4)],
                  "b:2>a:1": [segment(0.01, 0, 0, ack=4000), segment(0.02, 0, 0, ack=4000)]}
    flows = tcp_flows(directions)
    assert len(flows) == 1
    assert list(flows[0])[:8] == ["protocol", "id", "packets", "loss_fraction", "duplicates",
                                  "reordered_ratio", "reorder_extent_p50", "reorder_extent_max"]
    assert "replay_drop_fraction" not in flows[0] and "inference" in flows[0]


def netem_stream(p, delay, rate, n, seed):
    """Arrival order and times of a constant-rate stream through netem's delay/reorder."""
    rng = random.Random(seed)
    due = []
    for i in range(n):
        now = rng.random() < p
        due.append((i / rate + (0 if now else delay), 0 if now else 1, i))
    due.sort()
    return [i for _, _, i in due], [t for t, _, _ in due]


@pytest.mark.parametrize("p,delay", [(0.01, 0.010), (0.05, 0.010), (0.10, 0.004)])
def test_fit_recovers_known_reorder_and_delay(p, delay):
    numbers, times = netem_stream(p, delay, 2000.0, 40000, seed=7)
    fit = fit_reorder(numbers, times)
    assert fit["reorder"] == pytest.approx(p, rel=0.10)
    assert fit["delay_s"] == pytest.approx(delay, abs=0.0006)


def test_fit_of_an_ordered_stream_is_no_reordering():
    fit = fit_reorder(list(range(100)), [i * 0.001 for i in range(100)])
    assert fit["reorder"] == 0.0 and fit["delay_s"] == 0.0


def test_early_flags():
    assert early_flags([1, 4, 2, 3, 5]) == [False, True, False, False, False]


def test_trace_lines_of_a_recorded_order():
    # Sent 1..6; 4 lost; arrived 1, 3, 2, 6, 5: 2 after one later packet (3), 5 after one (6).
    assert trace_lines([1, 3, 2, 6, 5]) == ["pass", "after 1", "pass", "drop", "after 1",
                                            "pass"]
    # 3 held behind 4 and 5: after 2; a duplicate arrival is ignored.
    assert trace_lines([1, 2, 4, 5, 3, 3]) == ["pass", "pass", "after 2", "pass", "pass"]


def replay(lines, packets):
    """The order the trace-replay semantics (docs/impairments.md) give `packets` packets:
    pass leaves now, drop never, after K once K later packets have left; packets freed by one
    departure leave earliest first, each counted before the next."""
    held = {}  # index -> remaining
    order = []

    def depart(index):
        order.append(index)
        for other in sorted(held):
            if other < index:
                held[other] -= 1
        for other in sorted(held):
            if held[other] == 0:
                del held[other]
                depart(other)
                return

    for index in range(packets):
        verb = lines[index % len(lines)]
        if verb == "drop":
            continue
        if verb.startswith("after"):
            held[index] = int(verb.split()[1])
            continue
        depart(index)
    return order


def test_trace_of_a_random_order_replays_it_packet_for_packet():
    rng = random.Random(3)
    for _ in range(50):
        sent = list(range(60))
        received = [n for n in sent if rng.random() > 0.05]
        for _ in range(10):  # local swaps
            i = rng.randrange(len(received) - 3)
            j = i + rng.randrange(1, 4)
            received[i], received[j] = received[j], received[i]
        lines = trace_lines(received)
        low = min(received)
        assert [low + i for i in replay(lines, len(lines))] == received


def test_esp_summary_keys_in_the_promised_order():
    summary = flow_summary([1, 3, 2], windows=(32, 64, 128, 1024, 8128), times=[0, 1, 2],
                           sizes=[1, 1, 1])
    assert list(summary)[:6] == ["packets", "loss_fraction", "duplicates", "reordered_ratio",
                                 "reorder_extent_p50", "reorder_extent_max"]
    assert list(summary)[6] == "replay_drop_fraction"
    assert list(summary["replay_drop_fraction"]) == ["32", "64", "128", "1024", "8128"]


def test_block_of_three_overtaken_by_three():
    # Sent 1..11; 7, 8, 9 overtake 4, 5, 6 (one arrival per millisecond). RFC 4737: 4, 5, 6 are
    # reordered; each counts back to 7 (arrival 3): extents 3, 4, 5, late times 3, 4, 5 ms.
    # RFC 5236: 7, 8, 9 are three early (-3), 4, 5, 6 three late (+3), the rest in place.
    arrivals = [1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11]
    ratio, extents = rfc4737(arrivals)
    assert ratio == pytest.approx(3 / 11) and extents == [3, 4, 5]
    late = late_time_offsets(arrivals, [i / 1000 for i in range(len(arrivals))])
    assert late == [pytest.approx(0.003), pytest.approx(0.004), pytest.approx(0.005)]
    density = reorder_density(arrivals, threshold=3)
    assert density[-3] == pytest.approx(3 / 11) and density[3] == pytest.approx(3 / 11)
    assert density[0] == pytest.approx(5 / 11)

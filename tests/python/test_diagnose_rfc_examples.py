"""`tunnelsim diagnose` ordering metrics against the worked examples of RFC 4737 (issue #18).

Each test feeds one example's arrival order (and, where the RFC tabulates them, its destination
times in ms) to tunnelsim.diagnose.metrics and asserts the results the RFC states for it. The
RFC numbers arrivals from 1; `reordered_packets` returns 0-based arrival indices and positions,
so the tests convert. Metrics tunnelsim does not compute (byte offset, n-reordering, the q
counter of reordering-free runs) are left out; see the report of #18 and docs/diagnose.md.
The reorder density tests at the end are not RFC 5236 examples (its text was not at hand) but
sequences hand-traced through the RD algorithm its authors publish, which
tunnelsim.diagnose.metrics.reorder_density follows."""

import pytest

from tunnelsim.diagnose.metrics import (flow_summary, late_time_offsets, reorder_density,
                                        reordered_packets, rfc4737)


def reordered_numbers(sequence):
    """{sequence number: (extent, 1-based arrival index of its reordering discontinuity)}."""
    reordered, _ = reordered_packets(sequence)
    return {sequence[position]: (extent, j_position + 1)
            for _, extent, j_position, position in reordered}


def discontinuity_gaps(sequence):
    """RFC 4737 4.5.4 Gap: distance in arrivals between successive distinct reordering
    discontinuities, from the discontinuity positions `reordered_packets` reports."""
    reordered, _ = reordered_packets(sequence)
    discontinuities = sorted({j_position for _, _, j_position, _ in reordered})
    return [b - a for a, b in zip(discontinuities, discontinuities[1:])]


def reordering_free_runs(sequence):
    """RFC 4737 4.6.3 run lengths ending at each reordered arrival: the in-order arrivals
    counted since the previous reordered one."""
    reordered, _ = reordered_packets(sequence)
    runs, previous = [], -1
    for index, _, _, _ in reordered:
        runs.append(index - previous - 1)
        previous = index
    return runs


def test_rfc4737_section1_only_the_late_packet_is_reordered():
    # RFC 4737 section 1: 3 arrives after 4 and 5; the late packet (3) is the reordered one,
    # not the two that came early.
    assert set(reordered_numbers([1, 2, 4, 5, 3])) == {3}
    ratio, _ = rfc4737([1, 2, 4, 5, 3])
    assert ratio == pytest.approx(1 / 5)


def test_rfc4737_section5_3_a_late_block_is_reordered_in_the_singleton_sense():
    # RFC 4737 section 5.3 (note to Definition 1): with 7, 8, 9 ahead of 4, 5, 6, all three
    # late packets are reordered by the singleton metric of section 3 (only 4 is n-reordered,
    # which tunnelsim does not compute).
    sequence = [1, 2, 3, 7, 8, 9, 4, 5, 6]
    assert set(reordered_numbers(sequence)) == {4, 5, 6}
    ratio, _ = rfc4737(sequence)
    assert ratio == pytest.approx(3 / 9)


def test_rfc4737_section7_1_single_packet_reordered():
    # RFC 4737 section 7.1, Table 1: 4 arrives after 5..8. It is the only reordered packet,
    # its extent is 4, it is associated with the discontinuity at 5 (arrival 4), and its late
    # time is 210 - 148 = 62 ms.
    sequence = [1, 2, 3, 5, 6, 7, 8, 4, 9, 10]
    dst_time_ms = [68, 88, 108, 148, 168, 188, 208, 210, 228, 248]
    assert reordered_numbers(sequence) == {4: (4, 4)}
    ratio, extents = rfc4737(sequence)
    assert extents == [4] and ratio == pytest.approx(1 / 10)
    offsets = late_time_offsets(sequence, [t / 1e3 for t in dst_time_ms])
    assert [o * 1e3 for o in offsets] == [pytest.approx(62)]


def test_rfc4737_section7_2_two_packets_reordered_share_one_discontinuity():
    # RFC 4737 section 7.2, Table 2: 5 and 6 arrive just behind 7. Extents 1 and 2, both
    # associated with the discontinuity at 7 (arrival 5), late times 1 and 2 ms.
    sequence = [1, 2, 3, 4, 7, 5, 6, 8, 9, 10]
    dst_time_ms = [68, 88, 108, 128, 188, 189, 190, 208, 228, 248]
    assert reordered_numbers(sequence) == {5: (1, 5), 6: (2, 5)}
    offsets = late_time_offsets(sequence, [t / 1e3 for t in dst_time_ms])
    assert [o * 1e3 for o in offsets] == [pytest.approx(1), pytest.approx(2)]
    assert discontinuity_gaps(sequence) == []  # one discontinuity, so no gap


def test_rfc4737_section7_3_three_packets_reordered_extent_histogram():
    # RFC 4737 section 7.3, Table 3: 4, 5, 6 arrive after 7..10. Extent histogram: one each in
    # bins 4, 5 and 6; all three associated with the discontinuity at 7 (arrival 4); late
    # times 62, 64 and 68 ms.
    sequence = [1, 2, 3, 7, 8, 9, 10, 4, 5, 6, 11]
    dst_time_ms = [68, 88, 108, 188, 208, 228, 248, 250, 252, 256, 268]
    assert reordered_numbers(sequence) == {4: (4, 4), 5: (5, 4), 6: (6, 4)}
    ratio, extents = rfc4737(sequence)
    assert sorted(extents) == [4, 5, 6] and ratio == pytest.approx(3 / 11)
    offsets_ms = [o * 1e3 for o in late_time_offsets(sequence, [t / 1e3 for t in dst_time_ms])]
    assert offsets_ms == [pytest.approx(62), pytest.approx(64), pytest.approx(68)]
    # The same numbers through the summary `tunnelsim diagnose` reports.
    summary = flow_summary(sequence, replay=False, times=[t / 1e3 for t in dst_time_ms])
    assert summary["reorder_extent_max"] == 6 and summary["reorder_extent_p50"] == 5
    assert summary["reorder_late_time_ms"]["max"] == pytest.approx(68)
    assert summary["loss_fraction"] == 0.0 and summary["duplicates"] == 0


def test_rfc4737_section7_4_two_discontinuities_gap_and_free_runs():
    # RFC 4737 section 7.4, Table 4: extents 2 (packet 4), 3 (packet 5) and 2 (packet 11);
    # discontinuities at packet 6 (arrival 4) and packet 12 (arrival 11), so the gap is
    # 11 - 4 = 7; reordering-free runs of 5, 0 and 5 in-order packets.
    sequence = [1, 2, 3, 6, 7, 4, 5, 8, 9, 10, 12, 13, 11, 14, 15, 16]
    assert reordered_numbers(sequence) == {4: (2, 4), 5: (3, 4), 11: (2, 11)}
    assert discontinuity_gaps(sequence) == [7]
    assert reordering_free_runs(sequence) == [5, 0, 5]
    ratio, _ = rfc4737(sequence)
    assert ratio == pytest.approx(3 / 16)


def density(counts, threshold):
    """The RD `reorder_density` should return: {displacement: fraction} from hand counts."""
    total = sum(counts.values())
    return {d: pytest.approx(counts.get(d, 0) / total) for d in range(-threshold, threshold + 1)}


def test_rfc5236_a_lost_number_widens_the_displacement():
    # Not an RFC example; hand-traced through the algorithm of RFC 5236's authors. Receive
    # index 2 holds 4 (two early, -2); 3 is in neither the look-ahead nor the early set, so it
    # is lost and the index moves on to 4, which 4's early arrival already claimed: 2 takes it
    # (two late, +2). 1 and 5 are in place.
    assert reorder_density([1, 4, 2, 5], threshold=3) == density({-2: 1, 0: 2, 2: 1}, 3)


def test_rfc5236_an_arrival_beyond_the_threshold_is_lost():
    # 3 would be two early with threshold 1: discarded as lost without taking index 1, so 1 and
    # 2 are found in place and the density is over those two.
    assert reorder_density([3, 1, 2], threshold=1) == density({0: 2}, 1)


def test_rfc5236_a_late_arrival_beyond_the_threshold_is_lost():
    # 2 arrives after 3, 4, 5. Threshold 2: the look-ahead (3 arrivals) at index 2 holds 3, 4, 5,
    # so 2 counts as lost and the index jumps to 3; when 2 comes it is behind the index and
    # skipped; the other five are in place.
    assert reorder_density([1, 3, 4, 5, 2, 6], threshold=2) == density({0: 5}, 2)
    # Threshold 3: the look-ahead reaches 2, so 3, 4, 5 are one early each, taking indices
    # 2, 3, 4, and 2 takes index 5 (three late).
    assert reorder_density([1, 3, 4, 5, 2, 6], threshold=3) == density({-1: 3, 0: 2, 3: 1}, 3)


def test_rfc5236_duplicates_are_skipped():
    # The second 3 repeats a number counted early and not yet reached by the index; the second
    # 2 repeats one the index has passed. Both are skipped: the same density as 1, 3, 2, 4.
    assert reorder_density([1, 3, 2, 3, 2, 4], threshold=1) == density({-1: 1, 0: 2, 1: 1}, 1)
    assert reorder_density([1, 3, 2, 3, 2, 4], threshold=1) == reorder_density([1, 3, 2, 4], 1)


def test_rfc5236_numbering_from_zero():
    # WireGuard counters start at 0: the index starts at the smallest number in the first
    # look-ahead, so 0 is in place, 2 one early, 1 one late.
    assert reorder_density([0, 2, 1, 3], threshold=1) == density({-1: 1, 0: 2, 1: 1}, 1)

"""Reads a pcap/pcapng through tshark (Wireshark's parsers) into per-flow packet lists.

Ordered flows (ESP by SPI, WireGuard by receiver index, GRE with sequence numbers by
addresses and key) keep (arrival time, sequence number, captured length) per packet; TCP
directions keep every segment's sequence, ACK, SACK blocks, timestamps and tshark's
retransmission flag.
"""

import subprocess
from dataclasses import dataclass, field

FIELDS = ["frame.time_epoch", "esp.spi", "esp.sequence", "wg.receiver", "wg.counter",
          "gre.key", "gre.sequence_number", "ip.src", "ip.dst", "frame.cap_len",
          "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags.syn",
          "tcp.flags.fin", "tcp.flags.reset", "tcp.options.sack_le", "tcp.options.sack_re",
          "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
          "tcp.analysis.retransmission", "tcp.flags.ack"]

PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
               b"\xa1\xb2\x3c\x4d")
PCAP_FILE_HEADER = 24
PCAP_RECORD_HEADER = 16


PCAPNG_SECTION_HEADER = b"\x0a\x0d\x0d\x0a"


class CaptureError(Exception):
    pass


def pcap_damage_offset(path):
    """Byte offset of the first classic-pcap record whose header is cut short, whose captured
    length exceeds the file's snapshot length (or 256 KiB) or runs past the end of the file;
    None when the record framing is intact."""
    try:
        data = open(path, "rb").read()
    except OSError:
        return None
    if len(data) < PCAP_FILE_HEADER:
        return 0
    order = "little" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else "big"
    snaplen = int.from_bytes(data[16:20], order) or 262144
    limit = max(snaplen, 262144)
    offset = PCAP_FILE_HEADER
    while offset < len(data):
        if offset + PCAP_RECORD_HEADER > len(data):
            return offset
        captured = int.from_bytes(data[offset + 8:offset + 12], order)
        if captured > limit or offset + PCAP_RECORD_HEADER + captured > len(data):
            return offset
        offset += PCAP_RECORD_HEADER + captured
    return None


def pcapng_damage_offset(path):
    """Byte offset of the first pcapng block whose length framing is broken (it runs past the
    end of the file, or its trailing length differs), or None. Only the block framing is
    walked, to say where the damage is; tshark reads the packets."""
    try:
        data = open(path, "rb").read()
    except OSError:
        return None
    if len(data) < 12 or data[:4] != PCAPNG_SECTION_HEADER:
        return 0
    order = "little" if data[8:12] == b"\x4d\x3c\x2b\x1a" else "big"
    offset = 0
    while offset < len(data):
        if offset + 12 > len(data):
            return offset
        length = int.from_bytes(data[offset + 4:offset + 8], order)
        if length < 12 or length % 4 or offset + length > len(data) or \
                int.from_bytes(data[offset + length - 4:offset + length], order) != length:
            return offset
        offset += length
    return None


@dataclass
class OrderedFlow:
    """A flow with per-packet sequence numbers, in arrival order."""
    numbers: list = field(default_factory=list)
    times: list = field(default_factory=list)
    sizes: list = field(default_factory=list)
    frames: list = field(default_factory=list)  # index of each packet in Capture.destinations


@dataclass
class TcpSegment:
    time: float
    seq: int
    ack: int           # 0 when the ACK flag is clear
    length: int        # payload bytes
    sack: list         # [(left, right), ...] in option order
    tsval: int = None
    tsecr: int = None
    retransmission: bool = False
    syn_fin_rst: bool = False
    frame: int = -1    # index in Capture.destinations


@dataclass
class Capture:
    path: str
    frames: int
    ordered: dict   # (protocol, id) -> OrderedFlow
    tcp: dict       # "src:port>dst:port" -> [TcpSegment] in arrival order
    destinations: list = field(default_factory=list)  # every frame's (outer) IP destination


def _first(value):
    return value.split(",", 1)[0] if value else ""


def _numbers(value):
    return [int(v) for v in value.split(",") if v] if value else []


def _flag(value):
    return _first(value) in ("1", "True", "true")


def _run_tshark(path):
    command = ["tshark", "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t",
               "-E", "occurrence=a", "-E", "aggregator=,"]
    for name in FIELDS:
        command += ["-e", name]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CaptureError(f"{path}: cannot run tshark: {error}")


def read_capture(path):
    """The capture's flows; raises CaptureError naming the file (and where it is damaged)."""
    try:
        with open(path, "rb") as capture:
            magic = capture.read(4)
    except OSError as error:
        raise CaptureError(f"{path}: cannot read: {error.strerror}")
    result = _run_tshark(path)
    ordered, tcp = {}, {}
    destinations = []
    frames = 0
    record_bytes = 0
    for line in result.stdout.splitlines():
        columns = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        row = dict(zip(FIELDS, columns))
        frames += 1
        try:
            cap_len = int(_first(row["frame.cap_len"]) or 0)
            time = float(_first(row["frame.time_epoch"]) or 0.0)
        except ValueError:
            continue
        record_bytes += PCAP_RECORD_HEADER + cap_len
        src, dst = _first(row["ip.src"]), _first(row["ip.dst"])
        frame = len(destinations)
        destinations.append(dst)
        spi, esp_seq = _first(row["esp.spi"]), _first(row["esp.sequence"])
        wg_index, wg_counter = _first(row["wg.receiver"]), _first(row["wg.counter"])
        gre_seq = _first(row["gre.sequence_number"])
        key = None
        if spi and esp_seq:
            key, number = ("esp", spi), int(esp_seq)
        elif wg_index and wg_counter:
            key, number = ("wireguard", wg_index), int(wg_counter)
        elif gre_seq:
            key, number = ("gre", f"{src}>{dst}/{_first(row['gre.key']) or '-'}"), int(gre_seq)
        if key is not None:
            flow = ordered.setdefault(key, OrderedFlow())
            flow.numbers.append(number)
            flow.times.append(time)
            flow.sizes.append(cap_len)
            flow.frames.append(frame)
        if row["tcp.seq"]:
            # The innermost TCP header is the flow's (a clear tunnel may carry it inside).
            sport = row["tcp.srcport"].split(",")[-1]
            dport = row["tcp.dstport"].split(",")[-1]
            inner_src = row["ip.src"].split(",")[-1]
            inner_dst = row["ip.dst"].split(",")[-1]
            lefts, rights = _numbers(row["tcp.options.sack_le"]), _numbers(
                row["tcp.options.sack_re"])
            tsval, tsecr = _first(row["tcp.options.timestamp.tsval"]), _first(
                row["tcp.options.timestamp.tsecr"])
            segment = TcpSegment(
                time=time, seq=int(row["tcp.seq"].split(",")[-1]),
                ack=int(row["tcp.ack"].split(",")[-1]) if _flag(row["tcp.flags.ack"])
                and row["tcp.ack"] else 0,
                length=int(row["tcp.len"].split(",")[-1] or 0),
                sack=list(zip(lefts, rights)),
                tsval=int(tsval) if tsval else None, tsecr=int(tsecr) if tsecr else None,
                retransmission=bool(row["tcp.analysis.retransmission"]),
                syn_fin_rst=_flag(row["tcp.flags.syn"]) or _flag(row["tcp.flags.fin"])
                or _flag(row["tcp.flags.reset"]), frame=frame)
            tcp.setdefault(f"{inner_src}:{sport}>{inner_dst}:{dport}", []).append(segment)
    if result.returncode != 0 or "appears to have been cut short" in result.stderr \
            or "appears to be damaged" in result.stderr:
        # tshark's root warning is not the error; the first other line is.
        message = [m for m in result.stderr.splitlines()
                   if m.strip() and not m.startswith("Running as user")]
        detail = message[0] if message else f"tshark exited with {result.returncode}"
        where = f" after frame {frames}"
        if magic in PCAP_MAGICS:
            offset = pcap_damage_offset(path)
            if offset is None:  # framing intact: the record after the last frame tshark read
                offset = PCAP_FILE_HEADER + record_bytes
            where += f", record at byte offset {offset}"
        elif magic == PCAPNG_SECTION_HEADER:
            offset = pcapng_damage_offset(path)
            if offset is not None:
                where += f", block at byte offset {offset}"
        raise CaptureError(f"{path}{where}: {detail}")
    return Capture(str(path), frames, ordered, tcp, destinations)


def read_flows(path):
    """{(protocol, id): [sequence numbers in arrival order]} of the ordered flows."""
    return {key: flow.numbers for key, flow in read_capture(path).ordered.items()}

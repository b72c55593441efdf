"""Reads a pcap/pcapng through tshark (Wireshark's parsers) into per-flow sequences."""

import subprocess

FIELDS = ["frame.time_epoch", "esp.spi", "esp.sequence", "wg.receiver", "wg.counter",
          "gre.key", "gre.sequence_number", "ip.src", "ip.dst", "frame.cap_len"]


PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
               b"\xa1\xb2\x3c\x4d")
PCAP_FILE_HEADER = 24
PCAP_RECORD_HEADER = 16


class CaptureError(Exception):
    pass


def read_flows(path):
    """{(protocol, id): [sequence numbers in arrival order]}; raises CaptureError."""
    try:
        with open(path, "rb") as capture:
            magic = capture.read(4)
    except OSError as error:
        raise CaptureError(f"{path}: cannot read: {error.strerror}")
    command = ["tshark", "-r", str(path), "-n", "-T", "fields",
               "-E", "separator=\t", "-E", "occurrence=f"]
    for field in FIELDS:
        command += ["-e", field]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CaptureError(f"{path}: cannot run tshark: {error}")
    flows = {}
    frames = 0
    record_bytes = 0
    for line in result.stdout.splitlines():
        columns = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        _, spi, esp_seq, wg_index, wg_counter, gre_key, gre_seq, src, dst, cap_len = columns
        frames += 1
        record_bytes += PCAP_RECORD_HEADER + int(cap_len or 0)
        if spi and esp_seq:
            key, number = ("esp", f"{spi}"), int(esp_seq)
        elif wg_index and wg_counter:
            key, number = ("wireguard", f"{wg_index}"), int(wg_counter)
        elif gre_seq:
            key, number = ("gre", f"{src}>{dst}/{gre_key or '-'}"), int(gre_seq)
        else:
            continue
        flows.setdefault(key, []).append(number)
    if result.returncode != 0 or "appears to have been cut short" in result.stderr \
            or "appears to be damaged" in result.stderr:
        # tshark's root warning is not the error; the first other line is.
        message = [m for m in result.stderr.splitlines()
                   if m.strip() and not m.startswith("Running as user")]
        detail = message[0] if message else f"tshark exited with {result.returncode}"
        where = f" after frame {frames}"
        if magic in PCAP_MAGICS:  # classic pcap: the damaged record starts right after these
            where += f", record at byte offset {PCAP_FILE_HEADER + record_bytes}"
        raise CaptureError(f"{path}{where}: {detail}")
    return flows

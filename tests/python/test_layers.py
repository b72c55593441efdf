"""The layers of docs/architecture.md, checked on the source tree: the protocol cores include no
ns-3 and no JSON, the non-ns-3 hosts include no ns-3, and nothing under model/ has a main()."""

import re
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "model"

# Pure sans-IO cores: bytes, time and config in, actions out.
CORES = ["common", "crypto", "wireguard", "ipsec", "gre", "impairment", "tunnel"]
# The Linux-like TCP's pure parts (its ns-3 socket and congestion control sit beside them).
TCP_CORE_FILES = ["buffer_autotuning", "cubic_core", "cwnd_limited", "dsack", "frto",
                  "rack_tlp", "seq_range", "ts_recent", "windowed_min"]
# Hosts that are not ns-3: the real-interface daemons, the emulate relay, the JSON views.
NON_NS3_HOSTS = ["realnet", "emulate", "json"]
# Where ns-3 glue may live.
NS3_ADAPTERS = ["ns3", "tcp"]

NS3_INCLUDE = re.compile(r'#\s*include\s*[<"]ns3/')
JSON_INCLUDE = re.compile(r'#\s*include\s*[<"]nlohmann/')
MAIN = re.compile(r"^\s*int\s+main\s*\(", re.MULTILINE)


def sources(folder: Path):
    return sorted(p for p in folder.rglob("*") if p.suffix in (".h", ".cc"))


def core_files():
    for core in CORES:
        yield from sources(MODEL / core)
    for stem in TCP_CORE_FILES:
        yield from sorted((MODEL / "tcp").glob(stem + ".*"))


def test_every_model_folder_has_a_layer():
    layered = set(CORES) | set(NON_NS3_HOSTS) | {a.split("/")[0] for a in NS3_ADAPTERS}
    folders = {p.name for p in MODEL.iterdir() if p.is_dir()}
    assert folders <= layered, f"model/ folders without a layer: {sorted(folders - layered)}"


def test_cores_include_neither_ns3_nor_json():
    offenders = [str(path.relative_to(MODEL)) for path in core_files()
                 if NS3_INCLUDE.search(path.read_text()) or JSON_INCLUDE.search(path.read_text())]
    assert not offenders, f"protocol cores that include ns-3 or JSON: {offenders}"


def test_tcp_core_files_exist():
    for stem in TCP_CORE_FILES:
        assert (MODEL / "tcp" / (stem + ".h")).exists(), stem


def test_non_ns3_hosts_include_no_ns3():
    for host in NON_NS3_HOSTS:
        for path in sources(MODEL / host):
            assert not NS3_INCLUDE.search(path.read_text()), path


def test_no_main_under_model():
    for path in sources(MODEL):
        assert not MAIN.search(path.read_text()), f"{path}: programs belong in programs/"

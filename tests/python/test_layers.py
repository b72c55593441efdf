"""The layers of docs/architecture.md, checked on the source tree: the protocol cores include no
ns-3 and no JSON, only model/ns3/ includes ns-3, nothing under model/ has a main(), and the
sources are named in snake_case."""

import re
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "model"

# Pure sans-IO cores: bytes, time and config in, actions out.
CORES = ["common", "crypto", "wireguard", "ipsec", "gre", "impairment", "tcp", "tunnel"]
# Hosts that are not ns-3: the real-interface daemons, the emulate relay, the JSON views.
NON_NS3_HOSTS = ["realnet", "emulate", "json"]
# Where ns-3 glue lives: all of it.
NS3_ADAPTERS = ["ns3"]

NS3_INCLUDE = re.compile(r'#\s*include\s*[<"]ns3/')
JSON_INCLUDE = re.compile(r'#\s*include\s*[<"]nlohmann/')
MAIN = re.compile(r"^\s*int\s+main\s*\(", re.MULTILINE)


def sources(folder: Path):
    return sorted(p for p in folder.rglob("*") if p.suffix in (".h", ".cc"))


def core_files():
    for core in CORES:
        yield from sources(MODEL / core)


def test_every_model_folder_has_a_layer():
    layered = set(CORES) | set(NON_NS3_HOSTS) | {a.split("/")[0] for a in NS3_ADAPTERS}
    folders = {p.name for p in MODEL.iterdir() if p.is_dir()}
    assert folders <= layered, f"model/ folders without a layer: {sorted(folders - layered)}"


def test_cores_include_neither_ns3_nor_json():
    offenders = [str(path.relative_to(MODEL)) for path in core_files()
                 if NS3_INCLUDE.search(path.read_text()) or JSON_INCLUDE.search(path.read_text())]
    assert not offenders, f"protocol cores that include ns-3 or JSON: {offenders}"


def test_only_the_ns3_adapters_include_ns3():
    for folder in NON_NS3_HOSTS:
        for path in sources(MODEL / folder):
            assert not NS3_INCLUDE.search(path.read_text()), path


def test_one_file_naming_convention():
    """C++ sources under model/ are snake_case (programs keep their commands' names)."""
    offenders = [str(p.relative_to(MODEL)) for p in MODEL.rglob("*")
                 if "-" in p.name and (p.is_dir() or p.suffix in (".h", ".cc"))]
    assert not offenders, f"not snake_case: {offenders}"


def test_no_main_under_model():
    for path in sources(MODEL):
        assert not MAIN.search(path.read_text()), f"{path}: programs belong in programs/"

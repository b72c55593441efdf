"""Re-run the configuration a results.json recorded and say whether the result is the same.

``rerun(path)`` reads the resolved "scenario" object of a results.json (or of a run
directory's), runs it again and compares the two documents with the wall-clock-dependent
parts removed ("provenance" and any key naming wall time). Returns (identical, differences),
differences being human lines "path: old -> new", first ones first.
"""

import json
from pathlib import Path

from .run import run

_WALL_CLOCK_KEYS = {"provenance", "python"}


def _without_wall_clock(value):
    if isinstance(value, dict):
        return {key: _without_wall_clock(item) for key, item in value.items()
                if key not in _WALL_CLOCK_KEYS and "wall" not in key}
    if isinstance(value, list):
        return [_without_wall_clock(item) for item in value]
    return value


def differences(old, new, path="", limit=20) -> list:
    found = []
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                found.append(f"{where}: {old.get(key, '<absent>')} -> {new.get(key, '<absent>')}")
            else:
                found += differences(old[key], new[key], where, limit - len(found))
            if len(found) >= limit:
                break
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new)):
            found += differences(a, b, f"{path}[{index}]", limit - len(found))
            if len(found) >= limit:
                break
    elif old != new:
        found.append(f"{path}: {old!r} -> {new!r}")
    return found[:limit]


def load_recorded(path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"{path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: line {error.lineno}: {error.msg}") from error
    if not isinstance(document, dict) or not isinstance(document.get("scenario"), dict):
        raise ValueError(f"{path}: key 'scenario': missing or not an object")
    return document


def rerun(path, out_dir=None, binary=None) -> tuple:
    recorded = load_recorded(path)
    fresh = run(recorded["scenario"], out_dir=out_dir, binary=binary,
                description=recorded.get("description", "")).results
    found = differences(_without_wall_clock(recorded), _without_wall_clock(fresh))
    return (not found, found)

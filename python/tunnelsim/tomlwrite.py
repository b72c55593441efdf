"""A small TOML writer for scenario dicts (the stdlib's tomllib only reads).

Covers what scenario files use: scalars, arrays of scalars, tables and arrays of tables.
"""

import datetime as _dt
import json
import math
import re

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _scalar(value.item())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML: {value!r}")


def _is_table_array(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, dict) for v in value)


def _emit(table: dict, path: list, lines: list) -> None:
    plain = [(k, v) for k, v in table.items()
             if not isinstance(v, dict) and not _is_table_array(v)]
    for k, v in plain:
        if v is None:
            continue
        lines.append(f"{_key(k)} = {_scalar(v)}")
    for k, v in table.items():
        if isinstance(v, dict):
            sub = path + [_key(k)]
            lines.append("")
            lines.append("[" + ".".join(sub) + "]")
            _emit(v, sub, lines)
        elif _is_table_array(v):
            sub = path + [_key(k)]
            for item in v:
                lines.append("")
                lines.append("[[" + ".".join(sub) + "]]")
                _emit(item, sub, lines)


def dumps(document: dict, header: str = "") -> str:
    """TOML text for `document`; `header` becomes the leading comment (the description)."""
    if not isinstance(document, dict):
        raise TypeError("a TOML document is a dict")
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    _emit(document, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"

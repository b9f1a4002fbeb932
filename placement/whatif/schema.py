"""Scenario files: the TOML schema (docs/whatif.md), read with `tomllib`, every error located.

A scenario names a base module (a path relative to the scenario file) and a list of edits. Any
mistake (a TOML syntax error, an unknown key, a missing base, a value of the wrong type) is a
`PlacementError` at its line and column in the TOML file, so it prints as `file:line:col:
error: ...` with the line and a caret. Names that must exist in the module (devices, ops,
globals) are checked when the edits are applied (`placement.whatif.edits`), located the same
way through `Scenario.where`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placement.diagnostics import PlacementError

# Keys each edit kind takes (besides `kind`); exactly one of the TARGET keys names what a
# pin/unpin edit applies to.
TARGETS = ("op", "global", "function", "argument", "result", "hal")
EDIT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys, optional keys)
    "add_device": (("name",), ("copy", "target", "links")),
    "remove_device": (("name",), ()),
    "pin": (("device",), (*TARGETS, "in")),
    "unpin": ((), (*TARGETS, "in")),
    "retarget_transfer": (("op", "device"), ("in",)),
    "set_default": (("device",), ("function",)),
    "replicate_global": (("global",), ("devices",)),
    "budget": (("device", "bytes"), ()),
}
TOP_KEYS = ("base", "description", "place", "edit", "time_limit")
LINK_KEYS = ("from", "to", "weight")
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d[\d_]*)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)\s*=")
_HEADER = re.compile(r"^\s*\[\[\s*edit\s*\]\]")
_TABLE = re.compile(r"^\s*\[")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass
class Edit:
    """One edit: its kind, its keys as written, and its index in the file."""

    kind: str
    index: int
    values: dict[str, Any]

    def get(self, key: str) -> Any:
        """The value of `key`, None when absent."""
        return self.values.get(key)


@dataclass
class Scenario:
    """A parsed scenario file."""

    path: Path
    text: str
    base: Path
    description: str
    edits: list[Edit]
    place: bool = False
    time_limit: float = 30.0
    _keys: dict[tuple[int | None, str], int] = field(default_factory=dict)
    _headers: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The scenario's display name (its file name without `.toml`)."""
        return self.path.stem

    def where(self, edit: int | None, key: str | None = None) -> int:
        """Offset in the TOML text of an edit's key (or of the edit's header, or the file's
        key when `edit` is None)."""
        if key is not None and (edit, key) in self._keys:
            return self._keys[(edit, key)]
        if edit is not None and edit < len(self._headers):
            return self._headers[edit]
        return 0

    def error(self, message: str, edit: int | None, key: str | None = None) -> PlacementError:
        """A located error in the scenario file."""
        return PlacementError(message, str(self.path), self.text, self.where(edit, key))


def _index_keys(text: str) -> tuple[dict[tuple[int | None, str], int], list[int]]:
    """Where each top-level key and each `[[edit]]` key stands (offset of the key)."""
    keys: dict[tuple[int | None, str], int] = {}
    headers: list[int] = []
    current: int | None = None
    in_other_table = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _HEADER.match(line):
            headers.append(offset + len(line) - len(line.lstrip()))
            current = len(headers) - 1
            in_other_table = False
        elif _TABLE.match(line):
            in_other_table = True
        else:
            m = _KEY.match(line)
            if m and not in_other_table:
                name = m.group(1).strip("\"'")
                keys.setdefault((current, name), offset + m.start(1))
        offset += len(line)
    return keys, headers


def parse_size(value: Any) -> int | None:
    """Bytes from an integer or a string with a K/M/G/T suffix (`"24G"`), None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            return int(m.group(1).replace("_", "")) * _SUFFIX[m.group(2).upper()]
    return None


def device_symbol(value: str) -> str:
    """`@device_a` for `device_a` or `@device_a`."""
    return "@" + value.strip().lstrip("@")


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file (see the module docstring for the errors)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PlacementError(f"cannot read scenario: {e.strerror or e}", str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PlacementError("scenario is not UTF-8", str(path), raw.decode("latin-1"),
                             e.start) from None
    keys, headers = _index_keys(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _TOML_POS.search(message)
        offset = 0
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
            offset = starts[min(line, len(starts)) - 1] + col - 1
            message = message[:m.start()].strip()
        raise PlacementError(f"invalid TOML: {message}", str(path), text,
                             min(offset, len(text))) from None
    sc = Scenario(path, text, path, "", [], _keys=keys, _headers=headers)
    for key in data:
        if key not in TOP_KEYS:
            raise sc.error(f"unknown key '{key}' (expected one of: {', '.join(TOP_KEYS)})",
                           None, key)
    if "base" not in data:
        raise sc.error("missing key 'base' (the module, relative to this file)", None)
    if not isinstance(data["base"], str):
        raise sc.error("'base' must be a string (a path relative to this file)", None, "base")
    base = (path.parent / data["base"]).resolve()
    if not base.is_file():
        raise sc.error(f"base module not found: {data['base']} (looked for {base})", None,
                       "base")
    sc.base = base
    sc.description = str(data.get("description", ""))
    place = data.get("place", False)
    if not isinstance(place, bool):
        raise sc.error("'place' must be true or false", None, "place")
    sc.place = place
    limit = data.get("time_limit", 30.0)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        raise sc.error("'time_limit' must be a positive number of seconds", None, "time_limit")
    sc.time_limit = float(limit)
    edits = data.get("edit", [])
    if not isinstance(edits, list) or not all(isinstance(e, dict) for e in edits):
        raise sc.error("'edit' must be an array of tables ([[edit]])", None, "edit")
    for i, values in enumerate(edits):
        sc.edits.append(_check_edit(sc, i, values))
    return sc


def _check_edit(sc: Scenario, i: int, values: dict[str, Any]) -> Edit:
    kind = values.get("kind")
    if kind is None:
        raise sc.error("edit without 'kind' (one of: " + ", ".join(EDIT_KEYS) + ")", i)
    if kind not in EDIT_KEYS:
        raise sc.error(f"unknown edit kind '{kind}' (expected one of: {', '.join(EDIT_KEYS)})",
                       i, "kind")
    required, optional = EDIT_KEYS[kind]
    for key in values:
        if key != "kind" and key not in required and key not in optional:
            allowed = ", ".join((*required, *optional))
            raise sc.error(f"unknown key '{key}' for a {kind} edit (expected: {allowed})", i, key)
    for key in required:
        if key not in values:
            raise sc.error(f"{kind} edit without '{key}'", i)
    for key, value in values.items():
        if key in ("links", "devices", "bytes"):
            continue
        if not isinstance(value, str):
            raise sc.error(f"'{key}' must be a string", i, key)
    if kind in ("pin", "unpin"):
        given = [k for k in TARGETS if k in values]
        if len(given) != 1:
            raise sc.error(f"a {kind} edit names exactly one of: {', '.join(TARGETS)}", i,
                           given[1] if len(given) > 1 else None)
    if kind == "add_device" and ("copy" in values) == ("target" in values):
        raise sc.error("add_device takes exactly one of 'copy' (an existing device) or "
                       "'target' (#hal.device.target<...> text)", i)
    if kind == "budget" and parse_size(values["bytes"]) is None:
        raise sc.error("'bytes' must be a non-negative integer or a size such as \"24G\"", i,
                       "bytes")
    if "devices" in values and (not isinstance(values["devices"], list) or not all(
            isinstance(d, str) for d in values["devices"])):
        raise sc.error("'devices' must be an array of device names", i, "devices")
    if "links" in values:
        _check_links(sc, i, values["links"])
    return Edit(kind, i, values)


def _check_links(sc: Scenario, i: int, links: Any) -> None:
    if not isinstance(links, list) or not all(isinstance(x, dict) for x in links):
        raise sc.error("'links' must be an array of tables {from, to, weight}", i, "links")
    for link in links:
        bad = [k for k in link if k not in LINK_KEYS]
        if bad or "to" not in link and "from" not in link:
            raise sc.error("each link is {from = \"@a\", to = \"@b\", weight = N} (one of "
                           "from/to defaults to the new device)", i, "links")
        weight = link.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise sc.error("a link's 'weight' must be a non-negative integer", i, "links")

"""Stored bytes of encoded weights, measured on the program after the stream pipeline.

After the stream phase, each weight global holds a `!stream.resource<constant>` that an
initializer stores (`util.global.store %v, @g : !stream.resource<constant>`). The measure is
the size of every stored resource, per affinity of the op that made it: the encoded copies
(`stream.resource.alloca`, through `stream.timepoint.await`) and, where an encoding became
identity, the loaded parameter itself (`stream.cmd.parameter.load`). It reads `iree-opt`'s
printed output (a tool interface, not our IR), so the patterns below spell IREE's syntax.
"""

from __future__ import annotations

import re

_TOP = re.compile(r"^  (?=\S)", re.MULTILINE)  # a top-level op of the module body
_INITIALIZER = "util.initializer"
_STORE = re.compile(r"util\.global\.store (%[\w$.#-]+), @[\w$.-]+ : !stream\.resource<constant>")
_DEF = re.compile(r"^\s*(%[\w$.-]+)(?::\d+)?(?:, %[\w$.-]+(?::\d+)?)* = ", re.MULTILINE)
_CONSTANT = re.compile(r"(%[\w$.-]+) = arith\.constant (\d+) : index")
_SIZE = re.compile(r"!stream\.resource<constant>\{(%[\w$.-]+)\}")
_AWAIT = re.compile(r"stream\.timepoint\.await\b[^\n]*?=> (.*?) : ")
_AFFINITY = re.compile(r"\bon\((#hal\.device\.[^\n]*?)\) ")


def _statements(chunk: str) -> dict[str, str]:
    """First result name -> the text of the op defining it (braces balanced)."""
    out: dict[str, str] = {}
    for m in _DEF.finditer(chunk):
        end = chunk.find("\n", m.end())
        depth = chunk.count("{", m.start(), end) - chunk.count("}", m.start(), end)
        while depth > 0 and end >= 0:
            nxt = chunk.find("\n", end + 1)
            depth += chunk.count("{", end, nxt) - chunk.count("}", end, nxt)
            end = nxt
        out[m.group(1)] = chunk[m.start():end if end >= 0 else len(chunk)]
    return out


class _Initializer:
    def __init__(self, chunk: str) -> None:
        self.defs = _statements(chunk)
        self.values = {m.group(1): int(m.group(2)) for m in _CONSTANT.finditer(chunk)}

    def origin(self, value: str) -> tuple[int, str]:
        """(bytes, affinity) of a constant resource value."""
        base, _, index = value.partition("#")
        k = int(index or 0)
        op = self.defs.get(base)
        if op is None:
            raise ValueError(f"cannot find the definition of {value}")
        sizes = _SIZE.findall(op)
        aw = _AWAIT.search(op)
        if aw:
            operands = [v.strip() for v in aw.group(1).split(",")]
            return self._bytes(sizes[k]), self.origin(operands[k])[1]
        aff = _AFFINITY.search(op)
        return self._bytes(sizes[k]), aff.group(1) if aff else "(default)"

    def _bytes(self, name: str) -> int:
        if name not in self.values:
            raise ValueError(f"cannot read the size {name} (not an index constant)")
        return self.values[name]


def stored_bytes(after_stream: str) -> dict[str, int]:
    """Bytes of the constant resources that initializers store in globals, per affinity."""
    out: dict[str, int] = {}
    starts = [m.start() for m in _TOP.finditer(after_stream)] + [len(after_stream)]
    for a, b in zip(starts, starts[1:], strict=False):
        chunk = after_stream[a:b]
        if not chunk.lstrip().startswith(_INITIALIZER):
            continue
        init = _Initializer(chunk)
        for m in _STORE.finditer(chunk):
            size, aff = init.origin(m.group(1))
            out[aff] = out.get(aff, 0) + size
    return out


def total_stored_bytes(after_stream: str) -> int:
    """All bytes of encoded weights stored by the program after the stream pipeline."""
    return sum(stored_bytes(after_stream).values())

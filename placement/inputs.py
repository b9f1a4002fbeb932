"""Reading user input: files or stdin, decoding, and `--split-input-file` cases.

Decoding follows iree-opt: bytes that are not UTF-8 are accepted inside `//` comments (which
carry no meaning), and are a located error anywhere else; NUL bytes are text (MLIR's lexer
reads a NUL outside a string as a blank: the parser does so too). Splitting follows
MLIR's `splitAndProcessBuffer` exactly, quirks included (see `split_cases`).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from placement.diagnostics import PlacementError, located

SPLIT_MARKER = "// -----"
# iree-opt prints an input without operations (empty, or only comments) as this module.
EMPTY_MODULE = "module {\n}\n"

_BAD_CHAR = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Source:
    """One input: display name, decoded text, and the identity of the file it was read from."""

    name: str
    text: str
    path: str  # as given: a path, or '-' for stdin
    file_id: tuple[int, int] | None  # (st_dev, st_ino) of the regular file read, if any


@dataclass(frozen=True)
class Case:
    """One input case: its text padded so that line and column numbers match the file."""

    text: str
    first_line: int  # 1-based line of the case's first character in the file
    index: int = 0  # 0-based position among the cases
    shift: int = 0  # offset in the file minus offset in `text`, for the case's characters

    @property
    def has_code(self) -> bool:
        """Whether the case holds anything but whitespace and comments."""
        return has_code(self.text)


@dataclass(frozen=True)
class Split:
    """The cases of an input, and the offsets of near misses of the split marker."""

    cases: list[Case]
    near_misses: list[int]


def has_code(text: str) -> bool:
    """Whether `text` holds anything but whitespace and `//` comments."""
    return any(line.strip() and not line.lstrip().startswith("//")
               for line in text.splitlines())


def file_identity(st: os.stat_result) -> tuple[int, int] | None:
    """(device, inode) of a regular file, None for pipes, terminals and the like."""
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def stdin_identity() -> tuple[int, int] | None:
    """(device, inode) of the regular file stdin is redirected from, if it is one."""
    try:
        return file_identity(os.fstat(sys.stdin.fileno()))
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests, closed)
        return None


def read_source(path: str) -> Source:
    """The input at a file path, or stdin for '-'; a PlacementError if it cannot be read."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read().encode()
        name, file_id = "<stdin>", stdin_identity()
    else:
        name = path
        try:
            with open(path, "rb") as f:
                data = f.read()
                file_id = file_identity(os.fstat(f.fileno()))
        except IsADirectoryError:
            raise PlacementError("could not open input file: is a directory", name) from None
        except FileNotFoundError:
            raise PlacementError("could not open input file: no such file", name) from None
        except OSError as e:
            raise PlacementError(f"could not open input file: {e.strerror}", name) from None
    return Source(name, decode(data, name), path, file_id)


def decode(data: bytes, name: str) -> str:
    """UTF-8 text of `data`; bytes that are not UTF-8 are blanked inside comments, errors
    elsewhere."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")
    return _blank_bad_chars_in_comments(text, name)


def _blank_bad_chars_in_comments(text: str, name: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _BAD_CHAR.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        comment = _comment_start(text, line_start)
        if comment is None or m.start() < comment:
            shown = _BAD_CHAR.sub("\ufffd", text)  # printable, same offsets
            byte = ord(m.group()) - 0xDC00
            raise PlacementError(f"input is not UTF-8 text (invalid byte 0x{byte:02x})", name,
                                 shown, m.start())
        out.append(text[pos:m.start()])
        out.append(" ")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _comment_start(text: str, line_start: int) -> int | None:
    """Offset of the `//` that starts a comment on the line at `line_start`, if any."""
    end = text.find("\n", line_start)
    end = len(text) if end < 0 else end
    in_string = False
    i = line_start
    while i < end:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "/" and text.startswith("//", i):
            return i
        i += 1
    return None


def split_cases(text: str, split: bool) -> list[Case]:
    """The cases of an input: the whole text, or the chunks between split markers."""
    return split_input(text, split).cases


def split_input(text: str, split: bool) -> Split:
    """Cases as `iree-opt --split-input-file` makes them (MLIR's splitAndProcessBuffer).

    The text is cut at every `// ---` (even mid-line); a cut whose next two characters are
    `--` and whose third exists and is not `0` is a split (the rest of the marker line starts
    the next case), any other is a near miss, reported, and does not split. An empty first
    chunk swallows the next one whole (a file that starts with the marker keeps its `--`).
    An empty text has no case at all.
    """
    if not split:
        return Split([Case(text, 1)], [])
    probe = SPLIT_MARKER[:-2]
    pieces = text.split(probe)
    spans: list[tuple[int, int]] = []
    misses: list[int] = []
    prev: tuple[int, int] | None = None
    pos = 0
    for k, piece in enumerate(pieces):
        start, end = pos, pos + len(piece)
        pos = end + len(probe)
        if prev is None or prev[0] == prev[1]:
            prev = (start, end)
            continue
        if k and piece.startswith("--") and len(piece) > 2 and piece[2] != "0":
            spans.append(prev)
            prev = (start + 2, end)
        else:
            misses.append(start)
            prev = (prev[0], end)
    if prev is not None and prev[0] != prev[1]:
        spans.append(prev)
    cases = [_case(text, start, end, i) for i, (start, end) in enumerate(spans)]
    return Split(cases, misses)


def _case(text: str, start: int, end: int, index: int) -> Case:
    """The chunk text[start:end], padded with newlines and spaces up to its position."""
    line = text.count("\n", 0, start)
    col = start - (text.rfind("\n", 0, start) + 1)
    return Case("\n" * line + " " * col + text[start:end], line + 1, index,
                start - line - col)


def near_miss_warnings(name: str, text: str, offsets: list[int]) -> list[str]:
    """The warnings iree-opt prints for near misses of the split marker."""
    return [located(name, text, off, "warning", "near miss with file split marker")
            for off in offsets]


def join_outputs(outputs: list[str]) -> str:
    """Case outputs joined the way `iree-opt --split-input-file` joins them."""
    return (SPLIT_MARKER + "\n").join(outputs)


def same_file(a: tuple[int, int] | None, path: Path) -> bool:
    """Whether `path` (following symlinks) is the file with identity `a`."""
    if a is None:
        return False
    try:
        return file_identity(path.stat()) == a
    except OSError:
        return False

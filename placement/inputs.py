"""Reading user input: files or stdin, decoding, and `--split-input-file` cases."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from placement.diagnostics import PlacementError

SPLIT_MARKER = "// -----"


@dataclass(frozen=True)
class Case:
    """One input case: its text padded so that line numbers match the original file."""

    text: str
    first_line: int  # 1-based line of the case's first line in the file


def read_input(path: str) -> tuple[str, str]:
    """(display name, text) of a file path or '-' for stdin; PlacementError if unreadable."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        name = path
        try:
            data = p.read_bytes()
        except IsADirectoryError:
            raise PlacementError("could not open input file: is a directory", name) from None
        except FileNotFoundError:
            raise PlacementError("could not open input file: no such file", name) from None
        except OSError as e:
            raise PlacementError(f"could not open input file: {e.strerror}", name) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        shown = data[: e.start].decode("utf-8", errors="replace")
        rest = data[e.start:].split(b"\n", 1)[0].decode("utf-8", errors="replace")
        raise PlacementError("input is not UTF-8 text (invalid byte "
                             f"0x{data[e.start]:02x})", name, shown + rest, len(shown)) from None
    if "\x00" in text:
        raise PlacementError("input is not MLIR text (it contains NUL bytes)", name, text,
                             text.index("\x00"))
    return name, text


def split_cases(text: str, split: bool) -> list[Case]:
    """The cases of an input: the whole text, or the chunks between `// -----` lines."""
    if not split:
        return [Case(text, 1)]
    cases: list[Case] = []
    lines = text.split("\n")
    start = 0
    for i, line in enumerate(lines + [SPLIT_MARKER]):
        if line.strip() == SPLIT_MARKER or i == len(lines):
            chunk = "\n".join(lines[start:i])
            cases.append(Case("\n" * start + chunk + "\n", start + 1))
            start = i + 1
    return cases


def join_outputs(outputs: list[str]) -> str:
    """Case outputs joined the way `iree-opt --split-input-file` joins them."""
    return (SPLIT_MARKER + "\n").join(outputs)

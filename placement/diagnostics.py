"""MLIR-style diagnostics: `file:line:col: error: message`, the source line and a caret.

Notes (`file:line:col: note: ...`) follow an error the way MLIR prints them: with their own
source line and caret, except a note at the error's own location, which MLIR prints bare.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """A `note:` attached to an error, at `offset` of the error's source (None: no location)."""

    message: str
    offset: int | None = None


class PlacementError(Exception):
    """An error in the user's input, reported with a location and never as a traceback.

    An empty `filename` renders as a bare `error: message` (errors about no particular input,
    such as an output that cannot be written).
    """

    def __init__(self, message: str, filename: str = "<input>", source: str | None = None,
                 offset: int | None = None, notes: tuple[Note, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.source = source
        self.offset = offset
        self.notes = notes

    def render(self) -> str:
        """The diagnostic (and its notes) as MLIR prints it."""
        if self.source is None or self.offset is None:
            head = f"{self.filename}: error: " if self.filename else "error: "
            return head + self.message
        lines = [located(self.filename, self.source, self.offset, "error", self.message)]
        for note in self.notes:
            if note.offset is None:
                lines.append(f"{self.filename}: note: {note.message}")
            else:
                lines.append(located(self.filename, self.source, note.offset, "note",
                                     note.message, snippet=note.offset != self.offset))
        return "\n".join(lines)


def located(filename: str, source: str, offset: int, severity: str, message: str,
            snippet: bool = True) -> str:
    """`file:line:col: severity: message`, then the source line and a caret under `col`."""
    line, col, text = line_col(source, offset)
    head = f"{filename}:{line}:{col}: {severity}: {message}"
    if not snippet:
        return head
    return f"{head}\n{text}\n{' ' * (col - 1)}^"


def line_col(source: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of `offset`, and the text of that line (tabs kept as one column)."""
    offset = max(0, min(offset, len(source)))
    line_start = source.rfind("\n", 0, offset) + 1
    line_end = source.find("\n", offset)
    if line_end < 0:
        line_end = len(source)
    line = source.count("\n", 0, line_start) + 1
    return line, offset - line_start + 1, source[line_start:line_end]
